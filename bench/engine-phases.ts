/** The bench's phases: (a) the answer-to-dial gap, (b) reactions at 1,000 calls, (c) memory, (d) sustained set-up. */
import { performance } from 'node:perf_hooks';

import type { TrackedCall } from './call-tracker';
import { type App, type Driver, drained, place, placeAtRate } from './engine-app';
import { LoadMeter, type LoadFigures, memoryMb } from './load-meter';
import { type Reaction, agentJoinFromStasis, setupReactions, teardownReaction } from './reactions';
import { notes, phaseNote, reactionRows } from './report';
import type { SimProcess } from './sim-client';
import { sleep } from './sleep';
import { summarize, type Summary } from './stats';

const SEQUENTIAL_WARMUP = 30;
const SEQUENTIAL_CALLS = 200;
const BURST_CALLS = 500;
/** The 500 agents answer one after another, evenly spread over this window. */
const BURST_WINDOW_MS = Number(process.env.BENCH_BURST_WINDOW_MS ?? 1000);
export const LOAD_CALLS = 1000;
export const RAMP_RATE = 100; // calls placed per second while ramping up to 1, 100, 1,000 connected
const PROBE_CALLS = 250;
const PROBE_RATE = 50; // new calls per second while 1,000 stay connected
const TEARDOWN_SPREAD_MS = 2000; // the 1,000 far ends hang up evenly over this
export const SUSTAINED_MS = 10_000;
export const SUSTAINED_AGENTS = Number(process.env.BENCH_SUSTAINED_AGENTS ?? 100);
export const SUSTAINED_TALK_MS = 200;
const HOLD_MS = 2000;
export const AGENTS = LOAD_CALLS + PROBE_CALLS;
/** Requests caused by the last events of a phase may still be on their way when the phase is over. */
const SETTLE_MS = 200;

/** (a) at 1 call: one call at a time, each torn down before the next. */
export async function sequentialCalls(app: App, sim: SimProcess): Promise<void> {
  await sim.farEnd({ kind: 'answer', ringMs: 5 }, { kind: 'answer', ringMs: 5 });
  // Each call is hung up by a far end once connected, the agent's and the target's in turn.
  const one = async (i: number): Promise<void> => {
    const id = await place(app, 0);
    if (id === undefined) return;
    await app.tracker.waitFor([id], 'connected', 10_000, 'a sequential call to connect');
    await sleep(2);
    await sim.request({ kind: 'hangup', channelIds: [`${id}-${i % 2 === 0 ? 'agent' : 'target'}`], spreadMs: 0 });
    await drained(app, [id], 10_000, 'a sequential call to end');
    await sleep(2);
  };
  for (let i = 0; i < SEQUENTIAL_WARMUP; i += 1) await one(i);
  await sim.marks();
  const load = new LoadMeter();
  for (let i = 0; i < SEQUENTIAL_CALLS; i += 1) await one(i);
  const figures = load.stop();
  await sleep(SETTLE_MS);
  const marks = await sim.marks();
  const [gap, ...others] = setupReactions(marks);
  if (gap) reactionRows(app, gap, `(a) answer→dial gap, 1 call (${SEQUENTIAL_CALLS} sequential)`, { p: 'p50', below: 3 });
  for (const r of others) reactionRows(app, r, `    ${r.name}, 1 call`);
  const teardown = teardownReaction(marks);
  if (teardown.summary.n > 0) reactionRows(app, teardown, `    ${teardown.name}, 1 call`);
  app.tap?.clear();
  phaseNote(`(a) ${SEQUENTIAL_CALLS} sequential calls (after ${SEQUENTIAL_WARMUP} warm-up calls)`, marks, figures);
}

/** (a) at 500 calls: 500 agents ringing, all answering within BURST_WINDOW_MS. */
export async function burstAnswers(app: App, sim: SimProcess): Promise<void> {
  const agents = Array.from({ length: BURST_CALLS }, (_, i) => i);
  const placeRate = 500;
  const leadMs = (BURST_CALLS / placeRate) * 1000 + 1500;
  const startEpochMs = performance.timeOrigin + performance.now() + leadMs;
  // Targets ring until well after the window, so the window holds the agents' answers and what they cause.
  await sim.farEnd(
    { kind: 'answer-at', startEpochMs, stepMs: BURST_WINDOW_MS / BURST_CALLS },
    { kind: 'answer', ringMs: BURST_WINDOW_MS + 1000 },
  );
  await sim.marks();
  const load = new LoadMeter();
  const ids = await placeAtRate(app, agents, placeRate);
  await app.tracker.waitFor(ids, 'connected', 30_000, 'the burst calls to connect');
  const figures = load.stop();
  await sleep(SETTLE_MS);
  const marks = await sim.marks();
  const [gap, ...others] = setupReactions(marks);
  if (gap) reactionRows(app, gap, `(a) answer→dial gap, ${BURST_CALLS} calls answering within ${BURST_WINDOW_MS} ms`, { p: 'p99', below: 10 });
  for (const r of others) reactionRows(app, r, `    ${r.name}, ${BURST_CALLS}-call burst`);
  phaseNote(`(a) ${BURST_CALLS}-call answer burst (placed at ${placeRate}/s, answers ${BURST_WINDOW_MS / BURST_CALLS} ms apart)`, marks, figures);

  // The same 500, all hanging up in the same instant: a stress figure, no target.
  const connected = ids.filter((id) => app.tracker.calls.get(id)?.connectedAt !== undefined);
  const hangLoad = new LoadMeter();
  await sim.request({ kind: 'hangup', channelIds: connected.map((id) => `${id}-agent`), spreadMs: 0 });
  await drained(app, ids, 30_000, 'the burst calls to end');
  const hangFigures = hangLoad.stop();
  await sleep(SETTLE_MS);
  const hangMarks = await sim.marks();
  const teardown = teardownReaction(hangMarks);
  reactionRows(app, teardown, `    ${teardown.name}, ${connected.length} hang up at once (stress)`);
  app.tap?.clear();
  phaseNote(`(a) ${connected.length} simultaneous far-end hangups`, hangMarks, hangFigures);
}

export interface LevelFigures {
  calls: number;
  rssMb: number;
  heapMb: number;
  heapTotalMb: number;
  externalMb: number;
  ramp: LoadFigures;
  hold: LoadFigures;
}

/** A (b) reaction at 1,000 connected calls, under the name its row is printed with. */
export interface LevelReaction {
  metric: string;
  reaction: Reaction;
}

/**
 * (b) and (c): ramp to 1, 100 and 1,000 connected calls; probe reactions at 1,000; tear all down.
 * `report` false runs it silently for the bare reactor, whose reactions are only compared.
 */
export async function loadLevels(app: Driver, sim: SimProcess, report = true): Promise<{ levels: LevelFigures[]; reactions: LevelReaction[] }> {
  const reactions: LevelReaction[] = [];
  const row = (r: Reaction, metric: string, target?: { p: 'p50' | 'p99'; below: number }): void => {
    reactions.push({ metric, reaction: r });
    if (report) reactionRows(app, r, metric, target);
  };
  const note = (...args: Parameters<typeof phaseNote>): void => {
    if (report) phaseNote(...args);
  };
  await sim.farEnd({ kind: 'answer', ringMs: 20 }, { kind: 'answer', ringMs: 20 });
  const levels: LevelFigures[] = [];
  const all: string[] = [];
  let next = 0;
  for (const level of [1, 100, LOAD_CALLS]) {
    const agents = Array.from({ length: level - next }, (_, i) => next + i);
    next = level;
    const ramp = new LoadMeter();
    all.push(...await placeAtRate(app, agents, RAMP_RATE));
    await app.tracker.waitFor(all, 'connected', 30_000, `${level} calls to connect`);
    const rampFigures = ramp.stop();
    const live = app.connectedCalls();
    const hold = new LoadMeter();
    await sleep(HOLD_MS);
    const holdFigures = hold.stop();
    const mem = await memoryMb();
    levels.push({ calls: live, rssMb: mem.rss, heapMb: mem.heap, heapTotalMb: mem.heapTotal, externalMb: mem.external, ramp: rampFigures, hold: holdFigures });
  }
  const rampMarks = await sim.marks();
  if (report) notes.push(`(c) ramp to ${LOAD_CALLS} connected at ${RAMP_RATE} calls/s: ${rampMarks.eventsSent} events, ${rampMarks.requestsReceived} requests; simulator reports ${await sim.channelCount()} channels up`);

  // (b) a stream of new calls while the 1,000 stay connected; each target hangs up after 300 ms.
  await sim.farEnd({ kind: 'answer', ringMs: 20 }, { kind: 'answer', ringMs: 20, hangupAfterMs: 300 });
  const probeLoad = new LoadMeter();
  const probes = await placeAtRate(app, Array.from({ length: PROBE_CALLS }, (_, i) => LOAD_CALLS + i), PROBE_RATE);
  await app.tracker.waitFor(probes, 'ended', 30_000, 'the probe calls to end');
  const probeFigures = probeLoad.stop();
  await sleep(SETTLE_MS);
  const probeMarks = await sim.marks();
  for (const r of [...setupReactions(probeMarks), teardownReaction(probeMarks)]) {
    row(r, `(b) ${r.name}, +${PROBE_RATE}/s over ${LOAD_CALLS} connected`, { p: 'p99', below: 5 });
  }
  const held = agentJoinFromStasis(probeMarks);
  row(held, `    ${held.name}, +${PROBE_RATE}/s`);
  note(`(b) ${PROBE_CALLS} new calls at ${PROBE_RATE}/s over ${LOAD_CALLS} connected`, probeMarks, probeFigures);

  // (b) all 1,000 hang up from the far end, half on each leg, spread evenly.
  const teardownLoad = new LoadMeter();
  const legs = all.map((id, i) => (i % 2 === 0 ? `${id}-agent` : `${id}-target`));
  await sim.request({ kind: 'hangup', channelIds: legs, spreadMs: TEARDOWN_SPREAD_MS });
  await drained(app, all, 30_000, `the ${LOAD_CALLS} calls to end`);
  const teardownFigures = teardownLoad.stop();
  await sleep(SETTLE_MS);
  const teardownMarks = await sim.marks();
  const teardown = teardownReaction(teardownMarks);
  row(teardown, `(b) ${teardown.name}, ${LOAD_CALLS} hang up over ${TEARDOWN_SPREAD_MS / 1000} s`, { p: 'p99', below: 5 });
  app.tap?.clear();
  note(`(b) ${LOAD_CALLS} far-end hangups over ${TEARDOWN_SPREAD_MS} ms`, teardownMarks, teardownFigures);
  return { levels, reactions };
}

export interface SustainedFigures {
  placed: number;
  connected: number;
  perSecond: number;
  setup: Summary;
  outcomes: Map<string, number>;
  load: LoadFigures;
}

/** (d) SUSTAINED_AGENTS agents, each placing its next call as soon as the last one ends, for SUSTAINED_MS. */
export async function sustained(app: App, sim: SimProcess): Promise<SustainedFigures> {
  await sim.farEnd({ kind: 'answer', ringMs: 5 }, { kind: 'answer', ringMs: 5, hangupAfterMs: SUSTAINED_TALK_MS });
  app.tracker.resetOutcomes();
  app.refusals.clear();
  const ids: string[] = [];
  const start = performance.now();
  const stopAt = start + SUSTAINED_MS;
  const load = new LoadMeter();
  const agentLoop = async (agent: number): Promise<void> => {
    while (performance.now() < stopAt) {
      const id = await place(app, agent);
      if (id === undefined) {
        await sleep(10);
        continue;
      }
      ids.push(id);
      await app.tracker.waitFor([id], 'ended', 30_000, 'a sustained call to end');
    }
  };
  await Promise.all(Array.from({ length: SUSTAINED_AGENTS }, (_, i) => agentLoop(i)));
  const figures = load.stop();
  await drained(app, ids, 30_000, 'the sustained calls to end');
  const marks = await sim.marks();
  const inWindow = ids.map((id) => app.tracker.calls.get(id)).filter((c): c is TrackedCall => c?.connectedAt !== undefined && c.connectedAt <= stopAt);
  phaseNote(`(d) sustained, ${SUSTAINED_AGENTS} agents back to back`, marks, figures);
  return {
    placed: ids.length,
    connected: inWindow.length,
    perSecond: inWindow.length / (SUSTAINED_MS / 1000),
    setup: summarize(inWindow.map((c) => (c.connectedAt ?? 0) - c.placedAt)),
    outcomes: new Map(app.tracker.outcomes),
    load: figures,
  };
}
