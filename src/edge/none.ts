// Edge mode `none`: the operator manages DNS; the control plane touches nothing.
import { emptyResult, type EdgeDriver } from './types.js';

/** A driver that never calls anything: publish/read/remove are empty. */
export function createNoneDriver(_config: Record<string, never> = {}, _deps: unknown = {}): EdgeDriver {
  return {
    mode: 'none',
    verify: async () => undefined,
    publish: async () => emptyResult(),
    read: async () => [],
    remove: async () => emptyResult(),
  };
}
