// Did-you-mean candidates for names that were not found (shared by the server and the CLI's file checks).

/** Edit distance (insert, delete, substitute) between two strings. */
export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** Known names close to `wanted` (edit distance ≤ 2, or one a prefix of the other), closest first, at most `limit`. */
export function didYouMean(wanted: string, known: Iterable<string>, limit = 5): string[] {
  const w = wanted.toLowerCase();
  const scored: { name: string; score: number }[] = [];
  for (const name of new Set(known)) {
    const n = name.toLowerCase();
    const d = levenshtein(w, n);
    const prefix = w.length > 0 && (n.startsWith(w) || w.startsWith(n));
    if (d <= 2 || prefix) scored.push({ name, score: prefix ? Math.min(d, 1.5) : d });
  }
  scored.sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
  return scored.slice(0, limit).map((s) => s.name);
}
