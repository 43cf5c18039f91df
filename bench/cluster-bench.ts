/**
 * Cluster mode as deployed: callbot processes on one PostgreSQL database over simulated Asterisk
 * servers, Telegram's updates spread over the instances by a round-robin proxy
 * (spec/support/cluster-harness.ts). Three figures:
 *
 *   takeover  SIGKILL of the owner of a connected call's server → its lease held by another
 *             instance, and → that instance's 'took over a call' for the call; per lease ttl
 *   setup     /call → the agent's originate at the simulator, and agent answer → target dial,
 *             one call at a time, a cluster of 3 against a cluster of 1, interleaved
 *   rate      calls placed through the Bot API at a rising rate until the cluster saturates,
 *             with each process's CPU over each step
 *
 *   npm run bench:cluster
 *   CLUSTER_BENCH_PHASES=takeover CLUSTER_BENCH_TTLS=2000 npm run bench:cluster
 *
 * Loopback only; every phase is bounded in calls and time; figures are printed, never asserted.
 * Everything but the callbot processes and PostgreSQL (simulators, Bot API server, proxy) runs in
 * this process, so every timestamp compared below is this process's performance.now(), except the
 * 'took over a call' log line, whose own timestamp is compared with Date.now() at the kill.
 */
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import type { DataSource } from 'typeorm';

import { serverLeaseName } from '../cluster/cluster-call-store';
import { LeaseStore } from '../cluster/lease-store';
import { openDatabase } from '../store/data-source';
import { dialledNumber, type FarEndScript, type RecordedRequest, type SentEvent } from '../spec/support/ari-simulator';
import { buildApp } from '../spec/support/built-app';
import { ClusterHarness, type ClusterHarnessOptions, type SeedAgent } from '../spec/support/cluster-harness';
import { descendants } from '../spec/support/service-process';
import { closeDatabase } from '../spec/support/test-database';
import { sleep } from './sleep';
import { ms, type Summary, summarize, table } from './stats';

const PHASES = new Set((process.env.CLUSTER_BENCH_PHASES ?? 'takeover,setup,rate').split(',').map((p) => p.trim()));
const TTLS = (process.env.CLUSTER_BENCH_TTLS ?? '6000,2000').split(',').map(Number);
const ROUNDS = Number(process.env.CLUSTER_BENCH_ROUNDS ?? 15);
const SETUP_CALLS = Number(process.env.CLUSTER_BENCH_SETUP_CALLS ?? 100);
/** Set-up calls alternate between the two clusters in batches this long, so both meet the same moments of load. */
const SETUP_BATCH = 10;
const RATE_AGENTS = Number(process.env.CLUSTER_BENCH_AGENTS ?? 600);
const RATE_STEPS = (process.env.CLUSTER_BENCH_RATES ?? '5,10,20,40,60,80,100,120,150,200').split(',').map(Number);
const STEP_MS = Number(process.env.CLUSTER_BENCH_STEP_MS ?? 8000);
/** A call without its target's dial this long after /call counts as failed. */
const SETUP_DEADLINE_MS = 10_000;
/** An agent is called again only this long after their leg was destroyed: the owner must have written the row ended, or the intake refuses the call as a second live one. */
const AGENT_REST_MS = 2000;
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU in these ticks on every architecture Node runs on. */
const CLOCK_TICKS_PER_S = 100;

/** The far ends: agents answer 50 ms after the INVITE, customers 100 ms after it and talk `talkMs` (forever if undefined). */
function farEnds(talkMs: number | undefined): (endpoint: string) => FarEndScript {
  return (endpoint) => (dialledNumber(endpoint).startsWith('+1202')
    ? { kind: 'answer', ringMs: 100, ...(talkMs === undefined ? {} : { hangupAfterMs: talkMs }) }
    : { kind: 'answer', ringMs: 50 });
}

function agents(n: number): SeedAgent[] {
  return Array.from({ length: n }, (_, i) => ({
    telegramId: String(3000 + i), phone: `+1555${String(3_000_000 + i)}`, route: 'M', callerId: `+1555${String(7_000_000 + i)}`,
  }));
}

function customer(n: number): string {
  return `+1202555${String(1000 + (n % 9000))}`;
}

// --- what the simulators saw of each call ---

/** One call, from /call to its agent leg's end, on this process's performance.now() clock. */
interface CallMarks {
  agent: SeedAgent;
  placedAt: number;
  callId?: string;
  /** The simulator (server) it was placed on. */
  sim?: number;
  originateAt?: number;
  agentUpAt?: number;
  targetDialAt?: number;
  agentGoneAt?: number;
  undelivered?: boolean;
}

/**
 * Follows the requests and events of every simulator of a harness: a call is known by its agent's
 * number until the agent's originate names its call id, by the call id after.
 */
class CallMarksBook {
  private readonly awaitingOriginate = new Map<string, CallMarks>();
  private readonly byCall = new Map<string, CallMarks>();
  readonly all: CallMarks[] = [];
  /** Told when an agent leg is destroyed (the rate phase frees its agent then). */
  onAgentGone: (m: CallMarks) => void = () => {};

  constructor(h: ClusterHarness, simulators: number) {
    for (let j = 0; j < simulators; j += 1) {
      const sim = h.sim(j);
      sim.onRequest((r) => this.request(j, r));
      sim.onEvent((e) => this.event(e));
    }
  }

  place(agent: SeedAgent): CallMarks {
    const m: CallMarks = { agent, placedAt: performance.now() };
    this.awaitingOriginate.set(agent.phone, m);
    this.all.push(m);
    return m;
  }

  private request(j: number, r: RecordedRequest): void {
    if (r.method !== 'POST') return;
    if (r.path === '/ari/channels') {
      const channelId = r.query.channelId ?? '';
      const m = this.awaitingOriginate.get(dialledNumber(r.query.endpoint ?? ''));
      if (!channelId.endsWith('-agent') || !m) return;
      this.awaitingOriginate.delete(m.agent.phone);
      m.callId = channelId.slice(0, -'-agent'.length);
      m.sim = j;
      m.originateAt = r.t;
      this.byCall.set(m.callId, m);
      return;
    }
    const dial = /^\/ari\/channels\/(.+)-target\/dial$/.exec(r.path);
    const m = dial ? this.byCall.get(decodeURIComponent(dial[1]!)) : undefined;
    if (m && m.targetDialAt === undefined) m.targetDialAt = r.t;
  }

  private event({ t, event }: SentEvent): void {
    // The agent's answer is the first of its Up and its Dial ANSWER, as bench:engine takes it.
    const answered = (event.type === 'ChannelStateChange' && event.channel.state === 'Up' && event.channel.id)
      || (event.type === 'Dial' && event.dialstatus === 'ANSWER' && event.peer.id);
    if (answered && answered.endsWith('-agent')) {
      const m = this.byCall.get(answered.slice(0, -'-agent'.length));
      if (m && m.agentUpAt === undefined) m.agentUpAt = t;
    }
    if (event.type === 'ChannelDestroyed' && event.channel.id.endsWith('-agent')) {
      const m = this.byCall.get(event.channel.id.slice(0, -'-agent'.length));
      if (m && m.agentGoneAt === undefined) {
        m.agentGoneAt = t;
        this.onAgentGone(m);
      }
    }
  }
}

const between = (marks: readonly CallMarks[], from: (m: CallMarks) => number | undefined, to: (m: CallMarks) => number | undefined): Summary => summarize(
  marks.flatMap((m) => {
    const a = from(m);
    const b = to(m);
    return a !== undefined && b !== undefined ? [b - a] : [];
  }),
);

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | false | Promise<T | undefined | false>, everyMs = 20): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

// --- CPU of the processes involved ---

function cpuMsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return 0; // gone since
  }
}

/** The postmaster listening on TEST_DATABASE_URL's port (other sessions may run clusters of their own on this machine). */
function postmasterPid(): number | undefined {
  const port = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://x').port;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const p = args.indexOf('-p');
    if (args[0]?.endsWith('/postgres') && p > 0 && args[p + 1] === port) return Number(entry);
  }
  return undefined;
}

/** The whole machine's busy and total CPU ticks (/proc/stat): the other work on it shows here too. */
function machineTicks(): { busy: number; total: number } {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  // idle and iowait are the 4th and 5th.
  return { busy: total - (cpu[3] ?? 0) - (cpu[4] ?? 0), total };
}

/** CPU ms of each process at one moment, to be subtracted from a later reading. */
class CpuSample {
  readonly at = performance.now();
  readonly instances: number[];
  readonly postgres: number;
  readonly postgresPids: number[];
  readonly bench: number;
  readonly machine = machineTicks();

  constructor(h: ClusterHarness, postmaster: number | undefined) {
    this.instances = h.instances.map((i) => cpuMsOf(i.process.pid));
    // Backends are children of the postmaster; the pools keep theirs for the whole run.
    this.postgresPids = postmaster === undefined ? [] : [postmaster, ...descendants(postmaster)];
    this.postgres = postmaster === undefined ? Number.NaN : this.postgresPids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
    const own = process.cpuUsage();
    this.bench = (own.user + own.system) / 1000;
  }

  /** CPU % of each process since `before` (100 % is one core). */
  since(before: CpuSample): { instances: number[]; postgres: number; bench: number; machine: number } {
    const wall = this.at - before.at;
    const pct = (a: number, b: number) => ((a - b) / wall) * 100;
    return {
      instances: this.instances.map((c, i) => pct(c, before.instances[i] ?? 0)),
      postgres: pct(this.postgres, before.postgres),
      bench: pct(this.bench, before.bench),
      machine: ((this.machine.busy - before.machine.busy) / (this.machine.total - before.machine.total)) * 100,
    };
  }
}

function load(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' / ');
}

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A connection of the bench's own to a harness's database, for lease and row reads while it runs. */
async function databaseOf(h: ClusterHarness): Promise<DataSource> {
  if (!h.databaseUrl) throw new Error('the harness has no shared database');
  return (await openDatabase(h.databaseUrl)).dataSource;
}

async function stageOf(db: DataSource, callId: string): Promise<string | undefined> {
  const rows = await db.query('SELECT stage FROM calls WHERE id = $1', [callId]) as { stage: string }[];
  return rows[0]?.stage;
}

/** Which instance owns each server now: the CPU figures read differently when one owns both. */
async function ownersOf(h: ClusterHarness): Promise<string> {
  const owners = await Promise.all(h.asteriskServers().map(async (s) => `${s.id} owned by ${(await h.holderOf(serverLeaseName(s.id)))?.id ?? 'nobody'}`));
  return owners.join(', ');
}

/** Instances start together and the first takes every server; the rate is measured once they are shared out (or after 20 s). */
async function serversSharedOut(h: ClusterHarness): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const holders = await Promise.all(h.asteriskServers().map((s) => h.holderOf(serverLeaseName(s.id))));
    if (holders.every((o) => o !== undefined) && new Set(holders.map((o) => o!.id)).size === holders.length) return;
    await sleep(500);
  }
}

async function startCluster(opts: ClusterHarnessOptions): Promise<ClusterHarness> {
  return ClusterHarness.start({ simulators: 2, ...opts });
}

// --- 1. take-over ---

interface TakeoverRound {
  leaseMs?: number;
  tookOverMs?: number;
  /** Both legs still Up on the simulator once the call was taken over. */
  kept: boolean;
  ended: boolean;
}

async function takeoverPhase(ttl: number): Promise<string[]> {
  const crew = agents(4);
  const h = await startCluster({ instances: 3, agents: crew, leaseTtlMs: ttl });
  const db = await databaseOf(h);
  const leases = new LeaseStore(db);
  const rounds: TakeoverRound[] = [];
  const loadBefore = load();
  try {
    for (let j = 0; j < 2; j += 1) h.sim(j).setFarEnd(farEnds(undefined));
    const book = new CallMarksBook(h, 2);
    for (let round = 0; round < ROUNDS; round += 1) {
      const agent = crew[round % crew.length]!;
      const m = book.place(agent);
      await h.sendCommand(Number(agent.telegramId), `/call ${customer(round)}`);
      const callId = await until('the call placed', 20_000, () => m.callId);
      const sim = h.sim(m.sim!);
      const upLegs = () => sim.channels().filter((c) => c.id.startsWith(callId) && c.state === 'Up').length;
      await until('the call connected', 20_000, async () => upLegs() === 2 && (await stageOf(db, callId)) === 'connected');
      const lease = serverLeaseName(`a${m.sim! + 1}`);
      const holding = await until('the server owned', 10_000, async () => (await leases.current(lease)) ?? undefined);
      const owner = h.instances.find((i) => i.id === holding.holder)!;

      const killedWall = Date.now();
      const killedAt = performance.now();
      h.kill(owner.index, 'SIGKILL');
      const result: TakeoverRound = { kept: false, ended: false };
      const others = h.instances.filter((i) => i.index !== owner.index);
      await until('the lease and the call taken over', 4 * ttl + 15_000, async () => {
        if (result.leaseMs === undefined) {
          const now = await leases.current(lease);
          if (now && now.holder !== owner.id) result.leaseMs = performance.now() - killedAt;
        }
        if (result.tookOverMs === undefined) {
          for (const other of others) {
            const line = h.logsOf(other.index).find((l) => l.message === 'took over a call' && l.callId === callId);
            if (line) {
              result.tookOverMs = Date.parse(String(line.timestamp)) - killedWall;
              result.kept = upLegs() === 2;
            }
          }
        }
        return result.leaseMs !== undefined && result.tookOverMs !== undefined;
      }, 10).catch((err: unknown) => say(`  round ${round + 1}: ${err instanceof Error ? err.message : String(err)}`));
      rounds.push(result);

      await h.exited(owner.index);
      await h.restart(owner.index);
      sim.farEndHangup(`${callId}-target`);
      result.ended = await until('the call ended', 15_000, async () => (await stageOf(db, callId)) === 'ended').then(() => true, () => false);
      await until('the legs gone', 10_000, () => sim.channels().every((c) => !c.id.startsWith(callId))).catch(() => undefined);
      say(`  ttl ${ttl}, round ${round + 1}: lease ${ms(result.leaseMs ?? Number.NaN, 0)} ms, took over ${ms(result.tookOverMs ?? Number.NaN, 0)} ms (killed ${owner.id})`);
    }
  } finally {
    await closeDatabase(db);
    await h.stop();
  }
  const lease = summarize(rounds.flatMap((r) => (r.leaseMs === undefined ? [] : [r.leaseMs])));
  const took = summarize(rounds.flatMap((r) => (r.tookOverMs === undefined ? [] : [r.tookOverMs])));
  const row = (name: string, s: Summary) => [name, String(ttl), String(s.n), ms(s.p50, 0), ms(s.p99, 0), ms(s.max, 0)];
  return [
    ...[row('kill → lease held by another', lease), row('kill → "took over a call"', took)].map((r) => r.join('\t')),
    `#ttl ${ttl}: ${rounds.length} rounds, calls still connected at the take-over ${rounds.filter((r) => r.kept).length}, ended normally after ${rounds.filter((r) => r.ended).length}; load before ${loadBefore}, after ${load()}`,
  ];
}

// --- 2. set-up latency, a cluster of 3 against a cluster of 1 ---

async function setupPhase(): Promise<void> {
  const crew = agents(10);
  const env = { MAX_CONCURRENT_CALLS: '10000' };
  const three = await startCluster({ instances: 3, agents: crew, env });
  const one = await startCluster({ instances: 1, agents: crew, env }).catch(async (err: unknown) => { await three.stop(); throw err; });
  const loadBefore = load();
  try {
    const clusters = [{ name: '3 instances', h: three }, { name: '1 instance', h: one }].map((c) => {
      for (let j = 0; j < 2; j += 1) c.h.sim(j).setFarEnd(farEnds(200));
      return { ...c, book: new CallMarksBook(c.h, 2), placed: 0 };
    });
    // Warm-up: the first calls of a process pay for JIT and pool connections.
    for (const c of clusters) for (let i = 0; i < 3; i += 1) await oneCall(c, true);
    for (let done = 0; done < SETUP_CALLS; done += SETUP_BATCH) {
      for (const c of clusters) for (let i = 0; i < Math.min(SETUP_BATCH, SETUP_CALLS - done); i += 1) await oneCall(c, false);
    }
    say();
    say(`Set-up latency: ${SETUP_CALLS} calls one at a time on each cluster (2 simulated servers), interleaved in batches of ${SETUP_BATCH}; load before ${loadBefore}, after ${load()}`);
    say();
    say(table(['ms', 'cluster', 'n', 'p50', 'p99', 'max'], clusters.flatMap((c) => {
      const measured = c.book.all.slice(3);
      const placing = between(measured, (m) => m.placedAt, (m) => m.originateAt);
      const gap = between(measured, (m) => m.agentUpAt, (m) => m.targetDialAt);
      const r = (name: string, s: Summary) => [name, c.name, String(s.n), ms(s.p50), ms(s.p99), ms(s.max)];
      return [r('/call → agent originate', placing), r('agent answer → target dial', gap)];
    })));
  } finally {
    await three.stop();
    await one.stop();
  }

  async function oneCall(c: { h: ClusterHarness; book: CallMarksBook; placed: number }, warmUp: boolean): Promise<void> {
    const agent = crew[c.placed % crew.length]!;
    c.placed += 1;
    const m = c.book.place(agent);
    await c.h.sendCommand(Number(agent.telegramId), `/call ${customer(c.placed)}`);
    await until(`${warmUp ? 'warm-up ' : ''}call ${c.placed} ended`, 20_000, () => m.agentGoneAt !== undefined);
    // The row is written ended just after the leg goes; a pause keeps calls from overlapping.
    await sleep(150);
  }
}

// --- 3. the rate the cluster sustains ---

async function ratePhase(): Promise<void> {
  const crew = agents(RATE_AGENTS);
  const h = await startCluster({ instances: 3, agents: crew, env: { MAX_CONCURRENT_CALLS: '10000' }, startTimeoutMs: 60_000 });
  const postmaster = postmasterPid();
  const rows: string[][] = [];
  const cpuRows: string[][] = [];
  try {
    for (let j = 0; j < 2; j += 1) h.sim(j).setFarEnd(farEnds(500));
    const book = new CallMarksBook(h, 2);
    const free: SeedAgent[] = [...crew];
    book.onAgentGone = (m) => { setTimeout(() => free.push(m.agent), AGENT_REST_MS); };
    await serversSharedOut(h);
    say(`  rate phase: ${await ownersOf(h)}`);
    let n = 0;
    for (const rate of RATE_STEPS) {
      await sleep(1000);
      const before = new CpuSample(h, postmaster);
      const loadAt = os.loadavg()[0]!;
      const stepStart = performance.now();
      const placed: CallMarks[] = [];
      let noAgent = 0;
      const count = Math.round((rate * STEP_MS) / 1000);
      for (let k = 0; k < count; k += 1) {
        const due = stepStart + (k * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const agent = free.shift();
        if (!agent) {
          noAgent += 1;
          continue;
        }
        const m = book.place(agent);
        placed.push(m);
        n += 1;
        h.sendCommand(Number(agent.telegramId), `/call ${customer(n)}`).catch(() => { m.undelivered = true; });
      }
      const placingMs = performance.now() - stepStart;
      const after = new CpuSample(h, postmaster);
      await until('the step settled', SETUP_DEADLINE_MS + 5000, () => placed.every((m) => m.targetDialAt !== undefined || m.undelivered
        || performance.now() - m.placedAt > SETUP_DEADLINE_MS), 100);
      // Agents of failed calls go back to the pool: their leg never came, or came too late to matter.
      for (const m of placed) if (m.targetDialAt === undefined && m.originateAt === undefined) free.push(m.agent);
      const ok = placed.filter((m) => m.targetDialAt !== undefined && m.targetDialAt - m.placedAt <= SETUP_DEADLINE_MS);
      const dials = ok.map((m) => m.targetDialAt!).sort((a, b) => a - b);
      const achieved = dials.length > 1 ? ((dials.length - 1) * 1000) / (dials[dials.length - 1]! - dials[0]!) : Number.NaN;
      const setup = between(ok, (m) => m.placedAt, (m) => m.originateAt);
      const toDial = between(ok, (m) => m.placedAt, (m) => m.targetDialAt);
      const failed = placed.length - ok.length;
      rows.push([
        String(rate), String(placed.length), ms((placed.length * 1000) / placingMs, 1), ms(achieved, 1), `${failed}${noAgent > 0 ? ` (+${noAgent} no free agent)` : ''}`,
        ms(setup.p50, 0), ms(setup.p99, 0), ms(toDial.p50, 0), ms(toDial.p99, 0), loadAt.toFixed(2),
      ]);
      const cpu = after.since(before);
      cpuRows.push([String(rate), ...cpu.instances.map((c) => c.toFixed(0)), cpu.postgres.toFixed(0), cpu.bench.toFixed(0), cpu.machine.toFixed(0)]);
      say(`  rate step ${rate}/s: ${rows[rows.length - 1]!.join(' | ')} ; CPU % ${cpuRows[cpuRows.length - 1]!.slice(1).join(' ')} (postgres: ${after.postgresPids.length} processes)`);
      if (noAgent > 0) {
        say(`  the ${RATE_AGENTS} agents, not the cluster, ran out at ${rate}/s (CLUSTER_BENCH_AGENTS raises them)`);
        break;
      }
      const saturated = failed > placed.length * 0.01 || achieved < rate * 0.9 || toDial.p99 > 2000;
      if (saturated) break;
    }
  } finally {
    await h.stop();
  }
  say();
  say(`Calls per second: 3 instances, 2 simulated servers, ${RATE_AGENTS} agents; each step places calls for ${STEP_MS / 1000} s; agents answer after 50 ms, customers after 100 ms and talk 500 ms`);
  say();
  say(table(['offered/s', 'placed', 'placed/s', 'dialled/s', 'failed', '→originate p50', 'p99', '→target dial p50', 'p99', 'load 1m'], rows));
  say();
  say('CPU % over each step\'s placing (100 = one core):');
  say(table(['offered/s', ...h.instances.map((i) => i.id), 'postgres', 'bench (sims, Bot API, proxy)', `machine busy % of ${os.cpus().length} cores`], cpuRows));
}

async function main(): Promise<void> {
  buildApp();
  say(`cluster bench: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; load ${load()}`);
  if (PHASES.has('takeover')) {
    const lines: string[] = [];
    for (const ttl of TTLS) lines.push(...await takeoverPhase(ttl));
    say();
    say(`Take-over after SIGKILL of the owner: 3 instances, 2 simulated servers, ${ROUNDS} rounds per ttl`);
    say();
    say(table(['ms', 'ttl', 'n', 'p50', 'p99', 'max'], lines.filter((l) => !l.startsWith('#')).map((l) => l.split('\t'))));
    for (const l of lines.filter((x) => x.startsWith('#'))) say(l.slice(1));
  }
  if (PHASES.has('setup')) await setupPhase();
  if (PHASES.has('rate')) await ratePhase();
  say();
  say(`load at the end ${load()}`);
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`cluster bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
