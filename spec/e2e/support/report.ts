import fs from 'node:fs';
import path from 'node:path';

/**
 * Measurements for the reader, printed together at the end of the run by
 * spec/e2e/support/summary-reporter.js, which reads E2E_RUN_DIR/report-*.txt (a temporary
 * directory: nothing is written into the repository). Without a run directory they go to stdout.
 */
export function report(name: string, lines: string[]): void {
  const text = `${lines.join('\n')}\n`;
  const runDir = process.env.E2E_RUN_DIR;
  if (runDir && fs.existsSync(runDir)) fs.writeFileSync(path.join(runDir, `report-${name}.txt`), text);
  else process.stdout.write(`\n${text}\n`);
}

export function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (c ?? '').padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}
