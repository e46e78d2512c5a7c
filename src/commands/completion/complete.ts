// __complete <words…>: the candidates for the last word, in cobra's protocol. Never fails and
// never hangs: any problem prints what is known statically (or the error directive), exit 0.
import type { Command } from 'commander';
import type { Context } from '../../context.js';
import type { CommandModule, RawInput } from '../define.js';
import { filterCandidates, planCompletion, staticCompletion } from '../../complete/engine.js';
import { Directive, formatCompletion, type Completion } from '../../complete/protocol.js';

/** Upper bound on the whole live lookup: the request timeout plus a little for the rest. */
function hardLimitMs(env: NodeJS.ProcessEnv): number {
  const timeout = Number(env.OWNSTACK_COMPLETION_TIMEOUT_MS);
  return (Number.isFinite(timeout) && timeout > 0 ? timeout : 1_000) + 500;
}

function withLimit<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    timer.unref();
    work.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}

/** Computes a completion for the words (the last one is under the cursor). */
export async function runComplete(root: Command, words: string[], ctx: Pick<Context, 'env' | 'home'>): Promise<Completion> {
  const plan = planCompletion(root, words);
  const known = staticCompletion(plan);
  if (!plan.live) return known;
  const live = withLimit(
    import('../../complete/live.js').then(({ liveCandidates }) => liveCandidates(plan.live!, plan.flags, { env: ctx.env, home: ctx.home })),
    hardLimitMs(ctx.env),
    [],
  );
  const found = await live;
  return { candidates: filterCandidates([...plan.candidates, ...found], plan.prefix), directive: plan.directive };
}

/** The command module, bound to the program whose tree it completes. */
export function completeCommand(root: Command): CommandModule<string[], Completion> {
  return {
    parse: (raw: RawInput) => (raw.args.length ? raw.args : ['']),
    run: async (words, ctx) => {
      try {
        return await runComplete(root, words, ctx);
      } catch {
        return { candidates: [], directive: Directive.error };
      }
    },
    render: (completion, ctx) => void ctx.io.stdout.write(formatCompletion(completion)),
  };
}
