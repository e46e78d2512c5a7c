// The cobra completion protocol spoken between the shell scripts and `ownstack __complete`:
// one `value<TAB>description` line per candidate, then a `:<directive>` line.

/** Directive bits, as cobra defines them (the scripts test the same numbers). */
export const Directive = {
  /** Something went wrong: offer nothing. */
  error: 1,
  /** Do not add a space after the completion. */
  noSpace: 2,
  /** Do not fall back to file names when there is no candidate. */
  noFileComp: 4,
  /** Candidates are file extensions to filter file names by. */
  filterFileExt: 8,
  /** Candidates are a folder to list folders of (none: the current one). */
  filterDirs: 16,
  /** Keep the candidates in the order given (no sorting). */
  keepOrder: 32,
} as const;

/** The default directive: the shell may complete file names when there is no candidate. */
export const DEFAULT_DIRECTIVE = 0;

export interface Candidate {
  value: string;
  description?: string;
}

export interface Completion {
  candidates: Candidate[];
  directive: number;
}

/** One line of protocol: tabs and newlines in a description would break the line format. */
function clean(s: string): string {
  return s.replace(/[\t\r\n]+/g, ' ').trim();
}

/** Renders a completion as the lines the shell scripts read. */
export function formatCompletion(c: Completion): string {
  const lines = c.candidates.map((cand) => {
    const desc = cand.description ? clean(cand.description) : '';
    return desc ? `${clean(cand.value)}\t${desc}` : clean(cand.value);
  });
  lines.push(`:${c.directive}`);
  return lines.join('\n') + '\n';
}
