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
import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';

import type { DataSource } from 'typeorm';
import winston from 'winston';

import { loadConfig } from '../config/config';
import type { Logger } from '../config/logger';
import { openDatabase } from '../ormconfig';
import { AriAdapter } from '../stasis/ari-adapter';
import { CallEngine } from '../stasis/call-engine';
import { DIAL_HOLD_MS } from '../call/call-machine';
import type { CallOutcome } from '../call/call-types';
import type { CallUpdate } from '../call/call-update';
import { CallStore, createStores, type Stores } from '../store';
import { AGENT_PHONE_PREFIX, type LegBehaviour, type MarkPairs, type SimCommand, type SimMarks, type SimMessage, type SimResult } from './sim-protocol';
import { AppTap, type HandedKey, type ReactionPath, type WrittenKey } from './app-tap';
import { intervals, ms, summarize, type Summary, table } from './stats';

// ---- knobs -------------------------------------------------------------------------------------

const TARGET_INPUT = '2025550123';
const SEQUENTIAL_WARMUP = 30;
const SEQUENTIAL_CALLS = 200;
const BURST_CALLS = 500;
/** The 500 agents answer one after another, evenly spread over this window. */
const BURST_WINDOW_MS = Number(process.env.BENCH_BURST_WINDOW_MS ?? 1000);
const LOAD_CALLS = 1000;
const RAMP_RATE = 100; // calls placed per second while ramping up to 1, 100, 1,000 connected
const PROBE_CALLS = 250;
const PROBE_RATE = 50; // new calls per second while 1,000 stay connected
const TEARDOWN_SPREAD_MS = 2000; // the 1,000 far ends hang up evenly over this
const SUSTAINED_MS = 10_000;
const SUSTAINED_AGENTS = Number(process.env.BENCH_SUSTAINED_AGENTS ?? 100);
const SUSTAINED_TALK_MS = 200;
const HOLD_MS = 2000;
const AGENTS = LOAD_CALLS + PROBE_CALLS;
/** monitorEventLoopDelay samples every RESOLUTION_MS; it records the whole interval, so that much is taken off. */
const RESOLUTION_MS = 1;
/** Requests caused by the last events of a phase may still be on their way when the phase is over. */
const SETTLE_MS = 200;
/**
 * BENCH_EXPERIMENT: diagnostics, never the product configuration (the run says so at the top):
 * - `no-transition-writes`: the call's per-transition UPDATEs skipped (the request INSERT stays);
 * - `sqlite-sync-normal`: PRAGMA synchronous = NORMAL (WAL stays; commits stop waiting for fsync).
 */
const EXPERIMENT = process.env.BENCH_EXPERIMENT ?? '';
/**
 * BENCH_TAIL=1 prints each reaction's six slowest samples with the epoch ms their event was sent:
 * samples of several rows at the same moment are one stall (a GC pause, the VM), not the app's handling.
 */
const TAIL = process.env.BENCH_TAIL === '1';
/** BENCH_PHASES=levels,sequential,burst,sustained (the default: all, in this order) runs only some, e.g. to profile one. */
const PHASES = new Set((process.env.BENCH_PHASES ?? 'levels,sequential,burst,sustained').split(',').map((p) => p.trim()));

// ---- the simulator process ---------------------------------------------------------------------

class SimProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: SimResult) => void; reject: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess, readonly url: string, readonly username: string, readonly password: string) {
    child.on('message', (m: SimMessage) => {
      if (m.kind === 'ready') return;
      const waiter = this.pending.get(m.id);
      this.pending.delete(m.id);
      if (m.kind === 'reply') waiter?.resolve(m.result);
      else waiter?.reject(new Error(`simulator: ${m.message}`));
    });
    child.on('exit', (code) => {
      for (const w of this.pending.values()) w.reject(new Error(`simulator process exited (${String(code)})`));
      this.pending.clear();
    });
  }

  static start(): Promise<SimProcess> {
    const ext = path.extname(__filename);
    const child = fork(path.join(__dirname, `sim-process${ext}`), [], {
      execArgv: [...(ext === '.ts' ? ['-r', 'ts-node/register/transpile-only'] : []), ...(process.env.SIM_NODE_ARGS ?? '').split(' ').filter(Boolean)],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`simulator process exited (${String(code)}) before it was ready`));
      child.once('exit', onExit);
      child.once('message', (m: SimMessage) => {
        child.off('exit', onExit);
        if (m.kind === 'ready') resolve(new SimProcess(child, m.url, m.username, m.password));
        else reject(new Error(`simulator sent ${m.kind} before ready`));
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  request(command: SimCommand): Promise<SimResult> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, command });
    });
  }

  async marks(): Promise<SimMarks> {
    const r = await this.request({ kind: 'marks' });
    if (r.kind !== 'marks') throw new Error(`simulator answered ${r.kind} to marks`);
    return r.marks;
  }

  async farEnd(agent: LegBehaviour, target: LegBehaviour): Promise<void> {
    await this.request({ kind: 'far-end', agent, target });
  }

  async channelCount(): Promise<number> {
    const r = await this.request({ kind: 'channel-count' });
    return r.kind === 'channel-count' ? r.count : Number.NaN;
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (this.child.exitCode !== null) resolve();
      else this.child.once('exit', () => resolve());
    });
    await this.request({ kind: 'stop' }).catch(() => undefined);
    await Promise.race([exited, sleep(3000)]);
    if (this.child.exitCode === null) this.child.kill();
  }
}

// ---- the app -----------------------------------------------------------------------------------

interface TrackedCall {
  placedAt: number;
  connectedAt?: number;
  endedAt?: number;
  outcome?: CallOutcome;
}

type Milestone = 'connected' | 'ended';

interface Waiter {
  remaining: Set<string>;
  milestone: Milestone;
  done: () => void;
}

/**
 * Follows every call's updates: when it was placed, connected and ended, on this process's clock.
 * Waiting is indexed by call id, so the bookkeeping costs the app's process O(1) per update.
 */
class Tracker {
  readonly calls = new Map<string, TrackedCall>();
  readonly outcomes = new Map<string, number>();
  private readonly placedAtByAgent = new Map<string, number>();
  private readonly waiters = new Map<string, Waiter[]>();

  constructor(engine: CallEngine) {
    engine.updates.subscribe((u) => this.onUpdate(u));
  }

  willPlace(agentTelegramId: string): void {
    this.placedAtByAgent.set(agentTelegramId, performance.now());
  }

  resetOutcomes(): void {
    this.outcomes.clear();
  }

  /** `connected` counts a call that ended without connecting too: it will not connect any more. */
  reached(callId: string, milestone: Milestone): boolean {
    const call = this.calls.get(callId);
    if (call === undefined) return false;
    return call.endedAt !== undefined || (milestone === 'connected' && call.connectedAt !== undefined);
  }

  /** Resolves once every call in `ids` has reached `milestone`; rejects after `timeoutMs`. */
  waitFor(ids: readonly string[], milestone: Milestone, timeoutMs: number, what: string): Promise<void> {
    const remaining = new Set(ids.filter((id) => !this.reached(id, milestone)));
    if (remaining.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter.done = () => undefined;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${waiter.remaining.size} of ${ids.length} left)`));
      }, timeoutMs);
      const waiter: Waiter = {
        remaining,
        milestone,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      for (const id of remaining) {
        const list = this.waiters.get(id);
        if (list === undefined) this.waiters.set(id, [waiter]);
        else list.push(waiter);
      }
    });
  }

  private onUpdate(u: CallUpdate): void {
    const callId = u.context.callId;
    let call = this.calls.get(callId);
    if (call === undefined) {
      call = { placedAt: this.placedAtByAgent.get(u.context.agentTelegramId) ?? performance.now() };
      this.calls.set(callId, call);
    }
    if (u.stage === 'connected' && call.connectedAt === undefined) call.connectedAt = performance.now();
    if (u.final && call.endedAt === undefined) {
      call.endedAt = performance.now();
      call.outcome = u.outcome;
      const key = u.outcome ?? 'unknown';
      this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
    }
    const list = this.waiters.get(callId);
    if (list === undefined) return;
    const waiting = list.filter((w) => {
      if (!this.reached(callId, w.milestone)) return true;
      w.remaining.delete(callId);
      if (w.remaining.size === 0) w.done();
      return false;
    });
    if (waiting.length === 0) this.waiters.delete(callId);
    else this.waiters.set(callId, waiting);
  }
}

interface App {
  engine: CallEngine;
  ari: AriAdapter;
  stores: Stores;
  dataSource: DataSource;
  tracker: Tracker;
  logCounts: Map<string, number>;
  refusals: Map<string, number>;
  dbDir: string;
  tap?: AppTap;
}

/** Drops every line, but counts warnings and errors by message so failures show in the report. */
function countingLogger(counts: Map<string, number>): Logger {
  const count = winston.format((info) => {
    if (info.level !== 'warn' && info.level !== 'error') return false;
    const { request, err } = info as { request?: unknown; err?: unknown };
    const why = err instanceof Error ? err.message : [request, err].filter((x) => x !== undefined).map(String).join(': ');
    const key = `${info.level}: ${String(info.message)}${why ? ` (${why})` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    return false;
  });
  return winston.createLogger({ level: 'warn', format: count(), transports: [new winston.transports.Console({ silent: true })] });
}

/** For BENCH_EXPERIMENT=no-transition-writes only. */
class UnrecordedCallStore extends CallStore {
  override async recordCallTransition(): Promise<void> {
    // skipped on purpose: measures what the writes cost the event loop
  }
}

async function startApp(sim: SimProcess): Promise<App> {
  const config = loadConfig({
    TELEGRAM_BOT_TOKEN: '123456:BENCH-token_value',
    SUPER_ADMIN_IDS: '1000',
    ARI_URL: sim.url,
    ARI_USERNAME: sim.username,
    ARI_PASSWORD: sim.password,
    ARI_REQUEST_TIMEOUT_MS: '5000',
    AGENT_RING_TIMEOUT_S: '300',
    TARGET_RING_TIMEOUT_S: '300',
    MAX_CONCURRENT_CALLS: '5000',
    DEFAULT_CALLER_ID: '+12025550100',
  });
  const dbDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-bench-'));
  const { dataSource } = await openDatabase(`sqlite:${path.join(dbDir, 'callbot.sqlite')}`);
  if (EXPERIMENT === 'sqlite-sync-normal') await dataSource.query('PRAGMA synchronous = NORMAL');
  const stores = createStores(dataSource);
  const logCounts = new Map<string, number>();
  const logger = countingLogger(logCounts);
  const ari = new AriAdapter({
    url: config.ari.url, username: config.ari.username, password: config.ari.password, app: config.ari.app,
    requestTimeoutMs: 5000, logger,
  });
  const calls = EXPERIMENT === 'no-transition-writes' ? new UnrecordedCallStore(dataSource) : stores.calls;
  const engine = new CallEngine({ config, ari, ...stores, calls, logger });
  const tap = process.env.BENCH_SPLIT ? new AppTap(ari) : undefined;
  await engine.start();
  await ari.start();
  if (!ari.isConnected()) throw new Error('the adapter did not connect to the simulator');
  return { engine, ari, stores, dataSource, tracker: new Tracker(engine), logCounts, refusals: new Map(), dbDir, tap };
}

const agentTelegramId = (i: number): string => String(100_000 + i);

async function addAgents(stores: Stores, n: number): Promise<void> {
  const one = async (i: number): Promise<void> => {
    const telegramId = agentTelegramId(i);
    await stores.agents.authorize({ telegramId, phone: `${AGENT_PHONE_PREFIX}${2_000_000 + i}`, by: '1000', displayName: `Agent ${i}` });
    await stores.agents.setRoute(telegramId, 'M');
  };
  for (let i = 0; i < n; i += 25) await Promise.all(Array.from({ length: Math.min(25, n - i) }, (_, k) => one(i + k)));
}

async function place(app: App, agent: number): Promise<string | undefined> {
  const telegramId = agentTelegramId(agent);
  app.tracker.willPlace(telegramId);
  const result = await app.engine.placeCall({ agentTelegramId: telegramId, targetInput: TARGET_INPUT });
  if (result.ok) return result.callId;
  app.refusals.set(result.refusal, (app.refusals.get(result.refusal) ?? 0) + 1);
  return undefined;
}

/** Places one call per agent, the i-th at i / perSecond seconds from now; resolves with the call ids. */
async function placeAtRate(app: App, agents: readonly number[], perSecond: number): Promise<string[]> {
  const start = performance.now();
  const placed: Array<Promise<string | undefined>> = [];
  for (let i = 0; i < agents.length; i += 1) {
    const due = start + (i * 1000) / perSecond;
    const wait = due - performance.now();
    if (wait > 0.5) await sleep(wait);
    placed.push(place(app, agents[i] ?? 0));
  }
  return (await Promise.all(placed)).filter((id): id is string => id !== undefined);
}

/** Resolves when every call in `ids` has ended and the engine has finished tearing it down. */
async function drained(app: App, ids: readonly string[], timeoutMs: number, what: string): Promise<void> {
  await app.tracker.waitFor(ids, 'ended', timeoutMs, what);
  const deadline = performance.now() + timeoutMs;
  while (app.engine.registry.size > 0 && performance.now() < deadline) await sleep(5);
  await app.engine.settled();
}

// ---- measuring the app's own process -----------------------------------------------------------

interface LoadFigures {
  wallMs: number;
  /** User + system CPU of the whole process (main thread, libuv pool, GC threads). */
  cpuMs: number;
  cpuPct: number;
  /** The kernel's share (system time): socket writes, fsync, futex wake-ups. */
  sysPct: number;
  loop: { p50: number; p99: number; max: number };
}

class LoadMeter {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private readonly cpu = process.cpuUsage();
  private readonly t0 = performance.now();

  constructor() {
    this.histogram.enable();
  }

  stop(): LoadFigures {
    this.histogram.disable();
    const wallMs = performance.now() - this.t0;
    const used = process.cpuUsage(this.cpu);
    const cpuMs = (used.user + used.system) / 1000;
    const delay = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    const h = this.histogram;
    return {
      wallMs,
      cpuMs,
      cpuPct: (cpuMs / wallMs) * 100,
      sysPct: (used.system / 1000 / wallMs) * 100,
      loop: h.count > 0 ? { p50: delay(h.percentile(50)), p99: delay(h.percentile(99)), max: delay(h.max) } : { p50: 0, p99: 0, max: 0 },
    };
  }
}

async function memoryMb(): Promise<{ rss: number; heap: number; heapTotal: number; external: number; gc: boolean }> {
  const gc = globalThis.gc;
  if (gc) {
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
  }
  const m = process.memoryUsage();
  const mb = (bytes: number): number => bytes / 2 ** 20;
  return { rss: mb(m.rss), heap: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), gc: gc !== undefined };
}

// ---- pairing the simulator's marks -------------------------------------------------------------

const onlyLeg = (pairs: MarkPairs, leg: 'agent' | 'target'): MarkPairs => pairs.filter(([id]) => id.endsWith(`-${leg}`));
const callOf = (channelId: string): string => channelId.replace(/-(agent|target)$/, '');

interface Reaction {
  name: string;
  summary: Summary;
  unpaired: number;
  /** Each paired interval with the app's keys for it, for BENCH_SPLIT. */
  paths: ReactionPath[];
}

/** The app-side marks between a `from` id and its `to` key (see app-tap.ts). */
type AppKeys = (fromId: string, toKey: string) => { handed: HandedKey; written: WrittenKey };

function reaction(name: string, from: MarkPairs, to: MarkPairs, key: (id: string) => string | undefined, appKeys: AppKeys): Reaction {
  const r = intervals(from, to, key);
  const later = new Map(to);
  const paths: ReactionPath[] = [];
  for (const [id, sentAt] of from) {
    const toKey = key(id);
    const parsedAt = toKey === undefined ? undefined : later.get(toKey);
    if (toKey !== undefined && parsedAt !== undefined && parsedAt >= sentAt) paths.push({ sentAt, parsedAt, ...appKeys(id, toKey) });
  }
  if (TAIL) {
    const slowest = paths.map((x) => [x.parsedAt - x.sentAt, x.sentAt] as const).sort((a, b) => b[0] - a[0]).slice(0, 6);
    process.stdout.write(`slowest of ${name}: ${slowest.map(([v, t]) => `${ms(v)} ms at ${t.toFixed(0)}`).join(', ')}\n`);
  }
  return { name, summary: summarize(r.values), unpaired: r.unpaired + r.negative, paths };
}

const same = (id: string): string => id;

/** ChannelDestroyed of the leg that ended first (not by the app's own DELETE) → DELETE of the other leg. */
function teardownReaction(marks: SimMarks): Reaction {
  return reaction('ChannelDestroyed (one leg) → DELETE other leg', firstGoneByFarEnd(marks), marks.deleteChannel, otherLeg,
    (gone, other) => ({ handed: `ChannelDestroyed:${gone}`, written: `hangup:${other}` }));
}

/** Per call, the ChannelDestroyed of the leg that ended first, if the app did not end it itself. */
function firstGoneByFarEnd(marks: SimMarks): MarkPairs {
  const deleted = new Map(marks.deleteChannel);
  const firstGone = new Map<string, [string, number]>();
  for (const [channelId, t] of marks.channelDestroyed) {
    const call = callOf(channelId);
    const seen = firstGone.get(call);
    if (seen === undefined || t < seen[1]) firstGone.set(call, [channelId, t]);
  }
  return [...firstGone.values()].filter(([channelId]) => !deleted.has(channelId));
}

const otherLeg = (channelId: string): string => (channelId.endsWith('-agent') ? `${callOf(channelId)}-target` : `${callOf(channelId)}-agent`);

/**
 * Per agent channel, when the app may add it: once it is in Stasis and the call's hold for the
 * target's dial is over (DIAL_HOLD_MS after the dial was asked, or the target's first progress if
 * sooner; stasis/call-runner.ts). The dial is asked on the agent's answer, so "answer sent + hold"
 * is a lower bound of when the hold ends: the reaction measured from it is never flattered.
 */
function agentJoinTriggers(marks: SimMarks): MarkPairs {
  const answeredAt = new Map(marks.agentAnswer);
  const progressAt = new Map(marks.targetProgress);
  return onlyLeg(marks.stasisStart, 'agent').map(([channel, inStasisAt]) => {
    const call = callOf(channel);
    const holdEnds = Math.min((answeredAt.get(call) ?? -Infinity) + DIAL_HOLD_MS, progressAt.get(call) ?? Infinity);
    return [channel, Math.max(inStasisAt, holdEnds)];
  });
}

const stasisToAdd: AppKeys = (channel) => ({ handed: `StasisStart:${channel}`, written: `addChannel:${channel}` });

/** The agent's addChannel from its StasisStart alone: it includes the call's hold for the dial. */
function agentJoinFromStasis(marks: SimMarks): Reaction {
  return reaction('agent StasisStart → addChannel(agent), with the hold for the dial', onlyLeg(marks.stasisStart, 'agent'), marks.addChannel, same,
    stasisToAdd);
}

function setupReactions(marks: SimMarks): Reaction[] {
  return [
    reaction('agent answer → POST target dial', marks.agentAnswer, marks.targetDial, same,
      (call) => ({ handed: `answer:${call}-agent`, written: `dial:${call}-target` })),
    // BENCH_SPLIT's "in" for this row runs from the StasisStart, so it includes the hold.
    reaction('agent in Stasis, hold over → addChannel(agent)', agentJoinTriggers(marks), marks.addChannel, same, stasisToAdd),
    reaction('target StasisStart → addChannel(target)', onlyLeg(marks.stasisStart, 'target'), marks.addChannel, same, stasisToAdd),
    reaction('target answer → DELETE ringback playback', marks.targetAnswer, marks.stopPlayback, same,
      (call) => ({ handed: `answer:${call}-target`, written: `stopPlayback:${call}-ringback` })),
  ];
}

// ---- the phases --------------------------------------------------------------------------------

interface Row {
  metric: string;
  n: string;
  p50: string;
  p99: string;
  max: string;
  target: string;
  verdict: string;
}

const rows: Row[] = [];
const notes: string[] = [];

function latencyRow(metric: string, s: Summary, target?: { p: 'p50' | 'p99'; below: number }, unpaired = 0): void {
  const verdict = target === undefined ? '' : s[target.p] < target.below ? 'PASS' : 'MISS';
  rows.push({
    metric, n: unpaired > 0 ? `${s.n} (+${unpaired} unpaired)` : String(s.n), p50: ms(s.p50), p99: ms(s.p99), max: ms(s.max),
    target: target === undefined ? '' : `${target.p} < ${target.below} ms`, verdict,
  });
}

function phaseNote(name: string, sim: SimMarks, load: LoadFigures): void {
  notes.push(
    `${name}: ${(load.wallMs / 1000).toFixed(1)} s; app CPU ${load.cpuPct.toFixed(0)}% (system ${load.sysPct.toFixed(0)}%), app loop delay p50/p99/max `
    + `${ms(load.loop.p50)}/${ms(load.loop.p99)}/${ms(load.loop.max)} ms; simulator CPU ${((sim.sim.cpuMs / sim.sim.wallMs) * 100).toFixed(0)}%, `
    + `simulator loop delay p99/max ${ms(Math.max(0, sim.sim.loopDelayP99Ms - RESOLUTION_MS))}/${ms(Math.max(0, sim.sim.loopDelayMaxMs - RESOLUTION_MS))} ms; `
    + `${sim.eventsSent} events, ${sim.requestsReceived} requests${sim.lateAnswers > 0 ? `; ${sim.lateAnswers} far ends answered late` : ''}`,
  );
}

/** A reaction's row and, with BENCH_SPLIT, the three parts of it under it (see app-tap.ts). */
function reactionRows(app: App, r: Reaction, metric: string, target?: { p: 'p50' | 'p99'; below: number }): void {
  latencyRow(metric, r.summary, target, r.unpaired);
  if (!app.tap) return;
  const parts = app.tap.split(r.paths);
  latencyRow('      in: event sent → handed to the engine', parts.inbound);
  latencyRow('      app: handed to the engine → request written', parts.inApp);
  latencyRow('      out: request written → parsed by the simulator', parts.outbound);
}

/** (a) at 1 call: one call at a time, each torn down before the next. */
async function sequentialCalls(app: App, sim: SimProcess): Promise<void> {
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
async function burstAnswers(app: App, sim: SimProcess): Promise<void> {
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

interface LevelFigures {
  calls: number;
  rssMb: number;
  heapMb: number;
  heapTotalMb: number;
  externalMb: number;
  ramp: LoadFigures;
  hold: LoadFigures;
}

/** (b) and (c): ramp to 1, 100 and 1,000 connected calls; probe reactions at 1,000; tear all down. */
async function loadLevels(app: App, sim: SimProcess): Promise<LevelFigures[]> {
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
    const live = app.engine.liveCalls().filter((c) => c.state.stage === 'connected').length;
    const hold = new LoadMeter();
    await sleep(HOLD_MS);
    const holdFigures = hold.stop();
    const mem = await memoryMb();
    levels.push({ calls: live, rssMb: mem.rss, heapMb: mem.heap, heapTotalMb: mem.heapTotal, externalMb: mem.external, ramp: rampFigures, hold: holdFigures });
  }
  const rampMarks = await sim.marks();
  notes.push(`(c) ramp to ${LOAD_CALLS} connected at ${RAMP_RATE} calls/s: ${rampMarks.eventsSent} events, ${rampMarks.requestsReceived} requests; simulator reports ${await sim.channelCount()} channels up`);

  // (b) a stream of new calls while the 1,000 stay connected; each target hangs up after 300 ms.
  await sim.farEnd({ kind: 'answer', ringMs: 20 }, { kind: 'answer', ringMs: 20, hangupAfterMs: 300 });
  const probeLoad = new LoadMeter();
  const probes = await placeAtRate(app, Array.from({ length: PROBE_CALLS }, (_, i) => LOAD_CALLS + i), PROBE_RATE);
  await app.tracker.waitFor(probes, 'ended', 30_000, 'the probe calls to end');
  const probeFigures = probeLoad.stop();
  await sleep(SETTLE_MS);
  const probeMarks = await sim.marks();
  for (const r of [...setupReactions(probeMarks), teardownReaction(probeMarks)]) {
    reactionRows(app, r, `(b) ${r.name}, +${PROBE_RATE}/s over ${LOAD_CALLS} connected`, { p: 'p99', below: 5 });
  }
  const held = agentJoinFromStasis(probeMarks);
  reactionRows(app, held, `    ${held.name}, +${PROBE_RATE}/s`);
  phaseNote(`(b) ${PROBE_CALLS} new calls at ${PROBE_RATE}/s over ${LOAD_CALLS} connected`, probeMarks, probeFigures);

  // (b) all 1,000 hang up from the far end, half on each leg, spread evenly.
  const teardownLoad = new LoadMeter();
  const legs = all.map((id, i) => (i % 2 === 0 ? `${id}-agent` : `${id}-target`));
  await sim.request({ kind: 'hangup', channelIds: legs, spreadMs: TEARDOWN_SPREAD_MS });
  await drained(app, all, 30_000, `the ${LOAD_CALLS} calls to end`);
  const teardownFigures = teardownLoad.stop();
  await sleep(SETTLE_MS);
  const teardownMarks = await sim.marks();
  const teardown = teardownReaction(teardownMarks);
  reactionRows(app, teardown, `(b) ${teardown.name}, ${LOAD_CALLS} hang up over ${TEARDOWN_SPREAD_MS / 1000} s`, { p: 'p99', below: 5 });
  app.tap?.clear();
  phaseNote(`(b) ${LOAD_CALLS} far-end hangups over ${TEARDOWN_SPREAD_MS} ms`, teardownMarks, teardownFigures);
  return levels;
}

interface SustainedFigures {
  placed: number;
  connected: number;
  perSecond: number;
  setup: Summary;
  outcomes: Map<string, number>;
  load: LoadFigures;
}

/** (d) SUSTAINED_AGENTS agents, each placing its next call as soon as the last one ends, for SUSTAINED_MS. */
async function sustained(app: App, sim: SimProcess): Promise<SustainedFigures> {
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

// ---- main --------------------------------------------------------------------------------------

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

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
    if (PHASES.has('levels')) {
      console.log('(b)(c) 1 → 100 → 1,000 connected calls…');
      levels = await loadLevels(app, sim);
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

    console.log('\nLatency, measured at the simulator (ms): event sent → the app\'s request arrived\n');
    console.log(table(['metric', 'n', 'p50', 'p99', 'max', 'target', ''], rows.map((r) => [r.metric, r.n, r.p50, r.p99, r.max, r.target, r.verdict])));

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
