// `<cluster> <app>`: the two positionals every member verb takes.
import type { RawInput } from '../../define.js';
import { appRefSchema, clusterRefSchema, parseInput } from '../../../inputs/index.js';

export interface MemberRef {
  cluster: string;
  app: string;
}

/** Validates the cluster and app positionals (exit 2 naming the argument on a bad value). */
export function parseMemberRef(raw: RawInput): MemberRef {
  return {
    cluster: parseInput(clusterRefSchema, raw.args[0], { '': '<cluster>' }),
    app: parseInput(appRefSchema, raw.args[1], { '': '<app>' }),
  };
}
