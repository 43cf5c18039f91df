/** The bench's printed rows and phase notes. */
import type { AppTap } from './app-tap';
import type { LoadFigures } from './load-meter';
import { RESOLUTION_MS } from './load-meter';
import type { Reaction } from './reactions';
import type { SimMarks } from './sim-protocol';
import { ms, type Summary, table } from './stats';

interface Row {
  metric: string;
  n: string;
  p50: string;
  p99: string;
  max: string;
  target: string;
  verdict: string;
}

export const rows: Row[] = [];
export const notes: string[] = [];

export function latencyRow(metric: string, s: Summary, target?: { p: 'p50' | 'p99'; below: number }, unpaired = 0): void {
  const verdict = target === undefined ? '' : s[target.p] < target.below ? 'PASS' : 'MISS';
  rows.push({
    metric, n: unpaired > 0 ? `${s.n} (+${unpaired} unpaired)` : String(s.n), p50: ms(s.p50), p99: ms(s.p99), max: ms(s.max),
    target: target === undefined ? '' : `${target.p} < ${target.below} ms`, verdict,
  });
}

export function phaseNote(name: string, sim: SimMarks, load: LoadFigures): void {
  notes.push(
    `${name}: ${(load.wallMs / 1000).toFixed(1)} s; app CPU ${load.cpuPct.toFixed(0)}% (system ${load.sysPct.toFixed(0)}%), app loop delay p50/p99/max `
    + `${ms(load.loop.p50)}/${ms(load.loop.p99)}/${ms(load.loop.max)} ms; simulator CPU ${((sim.sim.cpuMs / sim.sim.wallMs) * 100).toFixed(0)}%, `
    + `simulator loop delay p99/max ${ms(Math.max(0, sim.sim.loopDelayP99Ms - RESOLUTION_MS))}/${ms(Math.max(0, sim.sim.loopDelayMaxMs - RESOLUTION_MS))} ms; `
    + `${sim.eventsSent} events, ${sim.requestsReceived} requests${sim.lateAnswers > 0 ? `; ${sim.lateAnswers} far ends answered late` : ''}`,
  );
}

/** A reaction's row and, with BENCH_SPLIT, the three parts of it under it (see app-tap.ts). */
export function reactionRows(app: { readonly tap?: AppTap }, r: Reaction, metric: string, target?: { p: 'p50' | 'p99'; below: number }): void {
  latencyRow(metric, r.summary, target, r.unpaired);
  if (!app.tap) return;
  const parts = app.tap.split(r.paths);
  latencyRow('      in: event sent → handed to the engine', parts.inbound);
  latencyRow('      app: handed to the engine → request written', parts.inApp);
  latencyRow('      out: request written → parsed by the simulator', parts.outbound);
}

/**
 * Each (b) row as callbot / bare reactor: the same reaction, same simulator, same run, the app's
 * own cost as a ratio that carries from one machine to another.
 */
export function ratioTable(callbot: readonly { metric: string; reaction: Reaction }[], bare: readonly { metric: string; reaction: Reaction }[]): string {
  const floor = new Map(bare.map((b) => [b.metric, b.reaction.summary]));
  return table(['metric', 'callbot p50/p99', 'bare p50/p99', 'ratio p50', 'ratio p99', 'target', ''], callbot.map(({ metric, reaction }) => {
    const b = floor.get(metric);
    const s = reaction.summary;
    if (!b || b.n === 0) return [metric, `${ms(s.p50)}/${ms(s.p99)}`, '-', '-', '-', '', ''];
    const r50 = s.p50 / b.p50;
    const r99 = s.p99 / b.p99;
    const target = metric.startsWith('(b)');
    return [metric, `${ms(s.p50)}/${ms(s.p99)}`, `${ms(b.p50)}/${ms(b.p99)}`, r50.toFixed(2), r99.toFixed(2), target ? 'p99 ratio ≤ 1.5' : '', target ? (r99 <= 1.5 ? 'PASS' : 'MISS') : ''];
  }));
}
