/**
 * Levenshtein distance between two strings (insertions, deletions and substitutions each cost 1), for
 * "did you mean" hints. O(|a|·|b|) time, O(|b|) memory.
 * @param a one string
 * @param b the other
 * @returns the number of edits
 */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}
