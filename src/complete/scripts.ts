// The shell scripts live as plain files in the package's completions/ folder (shipped with it);
// `ownstack completion <shell>` prints them, so the installed file and the printed one are the same.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SHELLS = ['bash', 'zsh', 'fish'] as const;
export type Shell = (typeof SHELLS)[number];

/** The file name of each shell's script under completions/. */
export const SCRIPT_FILES: Record<Shell, string> = {
  bash: 'ownstack.bash',
  zsh: '_ownstack',
  fish: 'ownstack.fish',
};

/** The package's completions/ folder: the nearest one above this module (dist/ or src/complete/). */
export function completionsDir(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'completions');
    if (existsSync(join(candidate, SCRIPT_FILES.bash))) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error(`cannot find the completions/ folder of the ownstack package (looked above ${dirname(from)})`);
}

/** The completion script for one shell, exactly as shipped. */
export function completionScript(shell: Shell): string {
  return readFileSync(join(completionsDir(), SCRIPT_FILES[shell]), 'utf8');
}
