/**
 * Call-engine benchmark: the real CallEngine and AriAdapter (ws events, keep-alive HTTP) on a
 * fresh SQLite database, driving the ARI simulator over loopback. The simulator runs in a child process
 * (sim-process.ts), so this process holds only the app: its RSS, CPU and event-loop figures are the
 * app's own. Latencies are measured at the simulator, from an event leaving it to the request the
 * app sends in reaction arriving, both on the simulator's clock.
 *
 *   npm run bench:engine
 *
 * Every phase is bounded in calls and in time and stops by itself. Timings are printed, never
 * asserted.
 */
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';

import { BareReactor } from './bare-reactor';
import { EXPERIMENT, addAgents, agentPhone, startApp, type App } from './engine-app';
import {
  AGENTS, LOAD_CALLS, RAMP_RATE, SUSTAINED_AGENTS, SUSTAINED_MS, SUSTAINED_TALK_MS, burstAnswers, loadLevels, sequentialCalls, sustained,
  type LevelFigures, type LevelReaction, type SustainedFigures,
} from './engine-phases';
import { type LoadFigures, memoryMb } from './load-meter';
import { notes, ratioTable, rows } from './report';
import { SimProcess } from './sim-client';
import { ms, table } from './stats';

/** BENCH_PHASES=levels,sequential,burst,sustained (the default: all, in this order) runs only some, e.g. to profile one. */
/** BENCH_BARE=0 skips the bare reactor's run of the levels phase (and so the ratio table). */
const BARE = process.env.BENCH_BARE !== '0';
const PHASES = new Set((process.env.BENCH_PHASES ?? 'levels,sequential,burst,sustained').split(',').map((p) => p.trim()));

function machine(): string {
  const cpus = os.cpus();
  const [l1, l5, l15] = os.loadavg().map((l) => l.toFixed(2));
  return `${os.availableParallelism()} CPUs (${cpus[0]?.model.trim() ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, `
    + `${os.type()} ${os.release()}, Node ${process.version}; load average ${l1} ${l5} ${l15}`;
}

async function main(): Promise<void> {
  const began = performance.now();
  console.log(`engine benchmark — ${machine()}`);
  if (EXPERIMENT !== '') console.log(`EXPERIMENT ${EXPERIMENT}: a diagnostic run, not the product configuration`);
  if (globalThis.gc === undefined) console.log('note: run with --expose-gc for RSS after a full GC');
  const sim = await SimProcess.start();
  let app: App | undefined;
  try {
    app = await startApp(sim);
    const agentsAt = performance.now();
    await addAgents(app.stores, AGENTS);
    const base = await memoryMb();
    console.log(`app connected to the simulator (pid ${String(sim.pid)}) at ${sim.url}; ${AGENTS} agents in ${((performance.now() - agentsAt) / 1000).toFixed(1)} s; RSS ${base.rss.toFixed(0)} MB idle`);

    // The levels go first, so the RSS growth from 1 to 1,000 calls is not hidden by earlier peaks.
    let levels: LevelFigures[] = [];
    let levelReactions: LevelReaction[] = [];
    if (PHASES.has('levels')) {
      console.log('(b)(c) 1 → 100 → 1,000 connected calls…');
      ({ levels, reactions: levelReactions } = await loadLevels(app, sim));
      await sim.request({ kind: 'reset' });
    }
    if (PHASES.has('sequential')) {
      console.log('(a) sequential calls…');
      await sequentialCalls(app, sim);
      await sim.request({ kind: 'reset' });
    }
    if (PHASES.has('burst')) {
      console.log('(a) answer burst…');
      await burstAnswers(app, sim);
      await sim.request({ kind: 'reset' });
    }
    let d: SustainedFigures | undefined;
    if (PHASES.has('sustained')) {
      console.log(`(d) sustained set-up for ${SUSTAINED_MS / 1000} s…`);
      d = await sustained(app, sim);
      await sim.request({ kind: 'reset' });
    }
    const end = await memoryMb();
    let bareReactions: LevelReaction[] = [];
    if (PHASES.has('levels') && BARE) {
      console.log('(b) the same 1,000 connected calls, driven by the bare reactor…');
      const bare = await BareReactor.start(sim, agentPhone);
      try {
        ({ reactions: bareReactions } = await loadLevels(bare, sim, false));
      } finally {
        bare.close();
      }
      await sim.request({ kind: 'reset' });
    }

    console.log('\nLatency, measured at the simulator (ms): event sent → the app\'s request arrived\n');
    console.log(table(['metric', 'n', 'p50', 'p99', 'max', 'target', ''], rows.map((r) => [r.metric, r.n, r.p50, r.p99, r.max, r.target, r.verdict])));

    if (bareReactions.length > 0) {
      console.log('\n(b) The app\'s own cost: callbot / bare reactor (same simulator, same run; bench/bare-reactor.ts)\n');
      console.log(ratioTable(levelReactions, bareReactions));
    }

    if (levels.length > 0) {
      console.log(`\n(c) The app process at N connected calls, ramped up at ${RAMP_RATE} calls/s (RSS after a full GC; loop delay from monitorEventLoopDelay, 1 ms resolution)\n`);
      const loop = (f: LoadFigures): string => `${ms(f.loop.p50)}/${ms(f.loop.p99)}/${ms(f.loop.max)}`;
      console.log(table(
        ['connected', 'RSS MB', 'heap used/total MB', 'external MB', 'RSS target', '', 'ramp loop delay p50/p99/max ms', 'ramp CPU', 'hold loop delay p50/p99/max ms', 'hold CPU'],
        levels.map((l) => {
          const target = l.calls >= LOAD_CALLS ? ['< 200 MB', l.rssMb < 200 ? 'PASS' : 'MISS'] : ['', ''];
          return [
            String(l.calls), l.rssMb.toFixed(0), `${l.heapMb.toFixed(0)}/${l.heapTotalMb.toFixed(0)}`, l.externalMb.toFixed(0), target[0] ?? '', target[1] ?? '',
            loop(l.ramp), `${l.ramp.cpuPct.toFixed(0)}%`, loop(l.hold), `${l.hold.cpuPct.toFixed(0)}%`,
          ];
        }),
      ));
    }
    console.log(`    idle, engine connected, no call yet: RSS ${base.rss.toFixed(0)} MB, heap ${base.heap.toFixed(0)}/${base.heapTotal.toFixed(0)} MB; `
      + `after every phase, no call live: RSS ${end.rss.toFixed(0)} MB, heap ${end.heap.toFixed(0)}/${end.heapTotal.toFixed(0)} MB`);

    if (d !== undefined) {
      const outcomes = [...d.outcomes.entries()].map(([k, v]) => `${k} ${v}`).join(', ');
      const refused = [...app.refusals.entries()].map(([k, v]) => `${k} ${v}`).join(', ');
      console.log(`\n(d) Sustained set-up, ${SUSTAINED_AGENTS} agents back to back for ${SUSTAINED_MS / 1000} s (ring 5 ms per leg, ${SUSTAINED_TALK_MS} ms talk)\n`);
      console.log(table(['calls connected', 'calls/s', 'placeCall→connected p50', 'p99', 'max', 'app CPU', 'CPU ms/call', 'outcomes', 'refused'], [[
        String(d.connected), d.perSecond.toFixed(0), ms(d.setup.p50), ms(d.setup.p99), ms(d.setup.max), `${d.load.cpuPct.toFixed(0)}%`,
        ms(d.load.cpuMs / Math.max(1, d.placed), 1), outcomes || '-', refused || 'none',
      ]]));
    }

    console.log('\nPhases\n');
    for (const n of notes) console.log(`- ${n}`);
    const problems = [...app.logCounts.entries()].map(([k, v]) => `${k} ×${v}`);
    console.log(`\nApp warnings/errors: ${problems.length > 0 ? problems.join('; ') : 'none'}`);
    console.log(`Finished in ${((performance.now() - began) / 1000).toFixed(0)} s; ${machine()}`);
  } finally {
    if (app !== undefined) {
      for (const call of app.engine.liveCalls()) app.engine.cancelCall(call.context.callId, 'system');
      await app.engine.settled();
      await app.engine.stop();
      await app.ari.close();
      await app.dataSource.destroy();
      fs.rmSync(app.dbDir, { recursive: true, force: true });
    }
    await sim.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error('engine benchmark failed:', err);
    process.exit(1);
  },
);
