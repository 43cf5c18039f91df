/** Small helpers for the engine benchmark: percentiles, interval pairing and a plain-text table. */
import type { MarkPairs } from './sim-protocol';

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] ?? Number.NaN };
}

/**
 * `to[key(id)] - from[id]` for every id of `from` whose counterpart exists and came later: the
 * latency from a mark to the mark it caused. Negative pairs (a request sent before its cause, which
 * would mean the pairing is wrong) are counted, not used.
 */
export function intervals(from: MarkPairs, to: MarkPairs, key: (id: string) => string | undefined = (id) => id): { values: number[]; unpaired: number; negative: number } {
  const later = new Map(to);
  const values: number[] = [];
  let unpaired = 0;
  let negative = 0;
  for (const [id, t] of from) {
    const k = key(id);
    const u = k === undefined ? undefined : later.get(k);
    if (u === undefined) unpaired += 1;
    else if (u < t) negative += 1;
    else values.push(u - t);
  }
  return { values, unpaired, negative };
}

export function ms(value: number, digits = 2): string {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

/** A left-aligned first column, right-aligned others, joined with two spaces. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
