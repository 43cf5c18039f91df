/**
 * callbot's capacity on a real Asterisk: calls placed from Telegram at a rising rate against sipp
 * providers that answer both legs and stream RTP for the talk time, until the machine saturates.
 *
 *   ASTERISK_BIN=/opt/asterisk-22/sbin/asterisk npm run bench:asterisk-load
 *
 * The lab is the e2e suite's (spec/e2e/support/lab.ts: a private Asterisk with the rendered bundle,
 * sipp on 127.0.0.2 and 127.0.0.3) and callbot runs as deployed (spec/e2e/support/app-process.ts:
 * `node dist/app/main.js`, its own Bot API server and SQLite file). The bench runs only inside the
 * loopback-only namespace scripts/e2e/run-load-bench.sh creates. Per step it prints the calls
 * reached, the gap from the agent's answer to the customer's INVITE, failures, and the CPU per call
 * of Asterisk and of callbot; it stops rising once a limit is crossed and names the bottleneck.
 * Figures are printed, never asserted.
 *
 * BENCH_RATES (calls/s, default 1,2,4,8,16,24,32), BENCH_STEP_S (default 25), BENCH_TALK_S (default 10),
 * BENCH_MAX_P99_GAP_MS (default 250).
 */
import os from 'node:os';
import path from 'node:path';
import { AppProcess } from '../spec/e2e/support/app-process';
import { AsteriskLab, SIPP_DIR } from '../spec/e2e/support/lab';
import type { AgentProfile } from '../spec/e2e/support/scenario';
import type { RouteCode } from '../call/call-types';
import { type PlacedLoadCall, type LoadCallOutcome, achievedRate, loadCallOutcomes, peakConcurrent } from './load-call-outcomes';
import { type CpuReading, cpuBetween, readCpu } from './proc-cpu';
import { sleep } from './sleep';
import { ms, summarize, table } from './stats';
import { writeUlawTone } from './ulaw-tone';

const RATES = (process.env.BENCH_RATES ?? '1,2,4,8,16,24,32').split(',').map(Number).filter((r) => r > 0);
const STEP_S = Number(process.env.BENCH_STEP_S ?? 25);
const TALK_S = Number(process.env.BENCH_TALK_S ?? 10);
const MAX_P99_GAP_MS = Number(process.env.BENCH_MAX_P99_GAP_MS ?? 250);
/** callbot at this share of one core, or the lab's processes at this share of the machine, is saturation. */
const SATURATED_PCT = 90;
const MAX_FAILURE_PCT = 1;
/** An agent is used again this long after its last /call at the earliest: rings, talk, hang-up and slack. */
const AGENT_REUSE_S = TALK_S + 15;
/** After the last /call of a step, how long its calls get to finish before the unfinished count as failures. */
const DRAIN_S = TALK_S + 20;
/**
 * After its calls, how long a step waits for their final statuses in Telegram. The outbox sends at
 * most 28 messages/s and a call takes two, so above 14 calls/s they queue: the step's CPU reading
 * waits for them, and the lag is reported.
 */
const STATUS_DRAIN_S = 180;

/** The caller ID every agent of a route presents (one verified pool number per route). */
const CALLER_ID: Record<RouteCode, string> = { M: '+15551234567', D: '+15557654321' };

interface LoadAgent extends AgentProfile {
  phone: string;
  /** The customer this agent calls: a number of its own, so each leg pairs with its call in the trace. */
  target: string;
}

interface StepFigures {
  rate: number;
  placed: number;
  completed: number;
  failed: number;
  peak: number;
  setupRate: number;
  toAgentInvite: ReturnType<typeof summarize>;
  gap: ReturnType<typeof summarize>;
  /** CPU ms per completed call, over the whole step (first /call to the last call's end). */
  perCallMs: Map<string, number>;
  /** Share of one core while the step ran at its full rate, %. */
  corePct: Map<string, number>;
  machinePct: number;
  /** The step's last call ended (provider's trace) -> the last final status at the Bot API server, s. */
  statusLagS: number;
  /** The machine's busy share not used by the lab's processes (other work on the host), %. */
  othersPct: number;
}

/** The processes whose CPU is read: the two sides compared, the providers and this driver. */
const SIDES = ['asterisk', 'callbot', 'sipp', 'driver'] as const;

function agentsFor(count: number): LoadAgent[] {
  return Array.from({ length: count }, (_, i) => {
    // Half the agents on each route: both providers (two sipp processes) carry the load.
    const route: RouteCode = i % 2 === 0 ? 'M' : 'D';
    return {
      telegramId: String(50_000 + i),
      name: `Agent${i}`,
      callerId: CALLER_ID[route],
      route,
      phone: `+1555${String(2_000_000 + i)}`,
      target: `+1202555${String(1000 + i)}`,
    };
  });
}

function sippCpu(reading: CpuReading): number {
  return (reading.processes.get('sipp-main') ?? 0) + (reading.processes.get('sipp-dev') ?? 0);
}

/** CPU seconds by side between two readings (the two sipp processes counted together). */
function sideCpuS(from: CpuReading, to: CpuReading): Map<string, number> {
  const use = cpuBetween(from, to).cpuS;
  return new Map<string, number>([
    ['asterisk', use.get('asterisk') ?? 0],
    ['callbot', use.get('callbot') ?? 0],
    ['sipp', sippCpu(to) - sippCpu(from)],
    ['driver', use.get('driver') ?? 0],
  ]);
}

/** Waits until the Bot API server shows `count` final statuses in all; when that was, or undefined at the deadline. */
async function finalStatusesShown(app: AppProcess, count: number): Promise<number | undefined> {
  const deadline = Date.now() + STATUS_DRAIN_S * 1000;
  while (app.finalStatuses() < count) {
    if (Date.now() > deadline) return undefined;
    await sleep(250);
  }
  return Date.now();
}

async function runStep(lab: AsteriskLab, app: AppProcess, agents: readonly LoadAgent[], rate: number, first: number, pids: ReadonlyMap<string, number>): Promise<{ figures: StepFigures; next: number }> {
  const marks = { main: lab.main.trace.mark(), dev: lab.dev.trace.mark() };
  const count = Math.round(rate * STEP_S);
  const calls: PlacedLoadCall[] = [];
  const sends: Array<Promise<void>> = [];
  const start = readCpu(pids);
  // Full rate once the first calls are well into their talk: concurrency has reached its plateau.
  const plateauAfterMs = Math.min(TALK_S + 3, STEP_S / 2) * 1000;
  let plateau: CpuReading | undefined;
  const plateauTimer = setTimeout(() => { plateau = readCpu(pids); }, plateauAfterMs);
  let next = first;
  for (let k = 0; k < count; k += 1) {
    const wait = start.atMs + (k * 1000) / rate - Date.now();
    if (wait > 0) await sleep(wait);
    const agent = agents[next % agents.length]!;
    next += 1;
    calls.push({ phone: agent.phone, target: agent.target, sentAt: Date.now() });
    // A /call the Bot API server did not take shows as a call that never reached the provider: a failure.
    sends.push(app.send(Number(agent.telegramId), agent.name, `/call ${agent.target}`).catch(() => undefined));
  }
  const fullRateEnd = readCpu(pids);
  clearTimeout(plateauTimer);
  await Promise.all(sends);

  // Wait for the step's calls to end (the talk time, then hang-ups); what has not by the deadline failed.
  const read = (): LoadCallOutcome[] => loadCallOutcomes(calls, [...lab.main.trace.since(marks.main), ...lab.dev.trace.since(marks.dev)]);
  const deadline = Date.now() + DRAIN_S * 1000;
  await sleep(Math.min(TALK_S * 1000 + 2000, DRAIN_S * 1000));
  let outcomes = read();
  while (outcomes.some((o) => !o.completed) && Date.now() < deadline) {
    await sleep(2000);
    outcomes = read();
  }
  // Every call placed so far ends with one final status (the store keeps the whole run's messages).
  const shownAt = await finalStatusesShown(app, next);
  const lastEnd = Math.max(...outcomes.map((o) => o.agentUp?.to ?? Number.NEGATIVE_INFINITY));
  const end = readCpu(pids);

  const completed = outcomes.filter((o) => o.completed).length;
  const stepCpu = sideCpuS(start, end);
  const plateauFrom = plateau ?? start;
  const plateauUse = cpuBetween(plateauFrom, fullRateEnd);
  const plateauCpu = sideCpuS(plateauFrom, fullRateEnd);
  const perCallMs = new Map<string, number>();
  const corePct = new Map<string, number>();
  for (const side of SIDES) {
    perCallMs.set(side, completed > 0 ? ((stepCpu.get(side) ?? 0) * 1000) / completed : Number.NaN);
    corePct.set(side, plateauUse.wallS > 0 ? (100 * (plateauCpu.get(side) ?? 0)) / plateauUse.wallS : Number.NaN);
  }
  return {
    next,
    figures: {
      rate,
      placed: calls.length,
      completed,
      failed: calls.length - completed,
      peak: peakConcurrent(outcomes),
      setupRate: achievedRate(outcomes),
      toAgentInvite: summarize(outcomes.flatMap((o) => (o.toAgentInviteMs === undefined ? [] : [o.toAgentInviteMs]))),
      gap: summarize(outcomes.flatMap((o) => (o.gapMs === undefined ? [] : [o.gapMs]))),
      perCallMs,
      corePct,
      machinePct: plateauUse.machinePct,
      statusLagS: shownAt !== undefined && Number.isFinite(lastEnd) ? (shownAt - lastEnd) / 1000 : Number.NaN,
      othersPct: plateauUse.machinePct - [...plateauCpu.values()].reduce((sum, s) => sum + s, 0) / plateauUse.wallS / os.cpus().length * 100,
    },
  };
}

const pct = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '-' : `${Math.max(0, v).toFixed(0)}%`);

function row(f: StepFigures): string[] {
  const ratio = (f.perCallMs.get('asterisk') ?? Number.NaN) / (f.perCallMs.get('callbot') ?? Number.NaN);
  return [
    `${f.rate}/s`, String(f.placed), String(f.peak), f.setupRate.toFixed(1),
    ms(f.toAgentInvite.p50, 0), ms(f.gap.p50, 1), ms(f.gap.p99, 1),
    `${f.failed} (${((100 * f.failed) / Math.max(1, f.placed)).toFixed(1)}%)`, ms(f.statusLagS, 1),
    ms(f.perCallMs.get('asterisk') ?? Number.NaN, 1), ms(f.perCallMs.get('callbot') ?? Number.NaN, 1), ms(f.perCallMs.get('sipp') ?? Number.NaN, 1),
    Number.isFinite(ratio) ? `${ratio.toFixed(1)}x` : '-',
    pct(f.corePct.get('asterisk')), pct(f.corePct.get('callbot')), pct(f.corePct.get('sipp')), pct(f.corePct.get('driver')), pct(f.machinePct), pct(f.othersPct),
  ];
}

const HEADER = [
  'rate', 'calls', 'peak conc.', 'set-up/s', '/call->INVITE p50 ms', 'gap p50 ms', 'gap p99 ms', 'failed', 'status lag s',
  'Asterisk CPU ms/call', 'callbot CPU ms/call', 'sipp CPU ms/call', 'Asterisk/callbot',
  'Asterisk %core', 'callbot %core', 'sipp %core', 'driver %core', 'machine', 'others',
];

/** Why this step ends the climb, or undefined to go on. */
function limitReached(f: StepFigures): string | undefined {
  const reasons: string[] = [];
  const failedPct = (100 * f.failed) / Math.max(1, f.placed);
  if (failedPct > MAX_FAILURE_PCT) reasons.push(`${failedPct.toFixed(1)}% of calls failed (limit ${MAX_FAILURE_PCT}%)`);
  if (f.gap.p99 > MAX_P99_GAP_MS) reasons.push(`answer-to-INVITE p99 ${f.gap.p99.toFixed(0)} ms (limit ${MAX_P99_GAP_MS} ms)`);
  // The lab's own share: other work on the host is reported (others), not taken for saturation.
  const labPct = f.machinePct - f.othersPct;
  if (labPct >= SATURATED_PCT) reasons.push(`the lab's processes at ${labPct.toFixed(0)}% of the machine's CPU`);
  // callbot's JavaScript runs on one thread: one core is its ceiling. Asterisk's threads use every
  // core, so it saturates with the machine (the rule above) or shows it in the gap.
  const callbotCore = f.corePct.get('callbot') ?? 0;
  if (callbotCore >= SATURATED_PCT) reasons.push(`callbot at ${callbotCore.toFixed(0)}% of a core`);
  return reasons.length ? reasons.join('; ') : undefined;
}

function verdict(steps: readonly StepFigures[], cores: number): string[] {
  // The highest step that completed most of its calls gives the steadiest CPU per call.
  const measured = [...steps].reverse().find((s) => s.completed >= s.placed / 2) ?? steps[steps.length - 1];
  if (!measured) return ['no step completed'];
  const asterisk = measured.perCallMs.get('asterisk') ?? Number.NaN;
  const callbot = measured.perCallMs.get('callbot') ?? Number.NaN;
  const sipp = measured.perCallMs.get('sipp') ?? Number.NaN;
  const [heavy, light, ratio] = asterisk >= callbot ? ['Asterisk', 'callbot', asterisk / callbot] : ['callbot', 'Asterisk', callbot / asterisk];
  // Asterisk spreads over every core; callbot's work runs on Node's one JavaScript thread.
  return [
    `bottleneck: ${heavy}, ${ratio.toFixed(1)}x the CPU per call of ${light} (${ms(asterisk, 1)} ms vs ${ms(callbot, 1)} ms at ${measured.rate} calls/s, ${TALK_S} s of talk each)`,
    `ceilings from those figures: Asterisk about ${((cores * 1000) / asterisk).toFixed(0)} calls/s with all ${cores} cores to itself, `
      + `callbot about ${(1000 / callbot).toFixed(0)} calls/s on its one thread (the sipp providers used ${ms(sipp, 1)} ms per call here)`,
  ];
}

async function main(): Promise<void> {
  if (!process.env.ASTERISK_BIN) {
    console.log('bench:asterisk-load needs ASTERISK_BIN (an Asterisk 18.9+ binary, e.g. ASTERISK_BIN=/opt/asterisk-22/sbin/asterisk); nothing was run');
    return;
  }
  if (process.env.E2E_NETNS !== '1') {
    console.error('bench:asterisk-load runs only through `npm run bench:asterisk-load` (scripts/e2e/run-load-bench.sh), inside a loopback-only namespace');
    process.exitCode = 1;
    return;
  }
  const runDir = process.env.E2E_RUN_DIR!;
  const audio = path.join(runDir, 'talk.ulaw');
  writeUlawTone(audio);
  const agents = agentsFor(Math.ceil(Math.max(...RATES) * AGENT_REUSE_S));

  const lab = await AsteriskLab.start('load', {
    provider: { scenario: path.join(SIPP_DIR, 'load-uas.xml'), files: { 'talk.ulaw': audio }, args: ['-d', String(TALK_S * 1000)] },
  });
  let app: AppProcess | undefined;
  try {
    app = await AppProcess.start(lab, 'load', agents, {
      // No cap of the app's own in the way; short ring timeouts so a lost leg ends inside the step.
      env: { MAX_CONCURRENT_CALLS: '100000', AGENT_RING_TIMEOUT_S: '10', TARGET_RING_TIMEOUT_S: '10' },
    });
    const pids = new Map<string, number>([
      ['asterisk', lab.asteriskPid!], ['callbot', app.pid!], ['sipp-main', lab.main.pid!], ['sipp-dev', lab.dev.pid!], ['driver', process.pid],
    ]);
    const cores = os.cpus().length;
    const version = lab.cli('core show version').split('\n').find((l) => l.startsWith('Asterisk'))?.replace(/ built by .*/, '') ?? 'Asterisk';
    console.log([
      `callbot load on a real Asterisk: ${version}; node ${process.version}; ${cores} x ${os.cpus()[0]?.model ?? 'CPU'}`,
      `steps ${RATES.join(', ')} calls/s, ${STEP_S} s each, ${TALK_S} s of talk per call (both legs stream PCMU), ${agents.length} agents`,
      'set-up/s: customers answered per second (first to last answer of the step); gap: agent 200 OK -> customer INVITE at the provider (sipp trace)',
      'status lag: the step\'s last call ended -> its last final status in Telegram (the outbox sends at most 28 messages/s, two a call)',
      'CPU ms/call: user+system CPU over the step (to its last final status) / completed calls; %core: while at full rate; driver: this process (Bot API server, /call senders)',
      'machine: all cores, every process on the host; others: the part of it no process of the lab used',
      '',
    ].join('\n'));

    const steps: StepFigures[] = [];
    let next = 0;
    let stoppedBy: string | undefined;
    for (const rate of RATES) {
      const { figures, next: after } = await runStep(lab, app, agents, rate, next, pids);
      next = after;
      steps.push(figures);
      console.log(HEADER.map((h, i) => `${h} ${row(figures)[i]}`).join(', '));
      stoppedBy = limitReached(figures);
      if (stoppedBy) break;
    }
    console.log(['', table(HEADER, steps.map(row)), '',
      stoppedBy ? `stopped at ${steps[steps.length - 1]!.rate} calls/s: ${stoppedBy}` : `no limit reached up to ${RATES[RATES.length - 1]} calls/s`,
      ...verdict(steps, cores),
      'the sipp providers run on the same machine and take their share of its CPU',
    ].join('\n'));
    const errors = [lab.main.errors(), lab.dev.errors()].join('').trim();
    if (errors) console.log(`sipp saw unexpected messages (${errors.split('\n').length} lines): see ${lab.dir}`);
  } finally {
    await app?.stop();
    await lab.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
