// completion bash|zsh|fish: prints the script shipped in completions/.
import type { Context } from '../../context.js';
import type { CommandModule } from '../define.js';
import { completionScript, type Shell } from '../../complete/scripts.js';

/** The command module for one shell's `completion <shell>`. */
export function scriptCommand(shell: Shell): CommandModule<Shell, string> {
  return {
    parse: () => shell,
    run: async (s) => completionScript(s),
    render: (script: string, ctx: Context) => void ctx.io.stdout.write(script),
  };
}
