/**
 * Signed webhooks out under load: the real path from a call's updates to a receiver on 127.0.0.1
 * (the event tracker, the outbox's batched writes, the queue in the database, the worker's claims
 * and signed posts).
 *
 *   1. live: 50 calls a second, 8 events each (requested, agent ringing, agent answered, customer
 *      ringing, connected, ended, disposition set, recording ready, spread over each call's ~7 s):
 *      event → delivered p50/p99/max;
 *   2. outage: the receiver answers 503 while the backlog of a 5-minute outage at that rate is
 *      queued (5 min × 400 events/s = 120,000 events of 15,000 calls); then it answers 200 and the
 *      live load goes on: how long until the backlog is delivered, and the live events' latency
 *      meanwhile. Time-compressed: the backlog is queued as fast as the outbox writes it, not over
 *      five real minutes, so each call's first event has failed a few attempts, not a full 5
 *      minutes' worth; the drain itself, which starts with the first success (the endpoint's
 *      retries are then due at once), is measured in real time.
 *
 *   npm run bench:webhooks
 *   WEBHOOK_BENCH_SECONDS=10 WEBHOOK_BENCH_OUTAGE_S=60 npm run bench:webhooks   # a quick run
 *   scripts/with-postgres.sh npm run bench:webhooks                               # on PostgreSQL
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Subject } from 'rxjs';
import type { DispositionChosen } from '../after-call/after-call-types';
import type { CallStage } from '../call/call-types';
import type { CallContext, CallUpdate } from '../call/call-update';
import { createLogger } from '../config/logger';
import type { RecordingKept } from '../recording/recording-types';
import { openDatabase } from '../store/data-source';
import { createStores } from '../store';
import { Webhooks } from '../webhooks/webhooks';
import { waitFor } from '../spec/support/wait-for';
import { ms, summarize, table } from './stats';

const RATE = Number(process.env.WEBHOOK_BENCH_RATE ?? 50);
const SECONDS = Number(process.env.WEBHOOK_BENCH_SECONDS ?? 20);
const OUTAGE_S = Number(process.env.WEBHOOK_BENCH_OUTAGE_S ?? 300);
const EVENTS_PER_CALL = 8;
/** When each of a call's events happens, from its request (ms). */
const CALL_SCRIPT: ReadonlyArray<{ stage: CallStage | 'disposition' | 'recording'; atMs: number }> = [
  { stage: 'requested', atMs: 0 }, { stage: 'agent_ringing', atMs: 200 }, { stage: 'target_dialing', atMs: 1500 },
  { stage: 'target_ringing', atMs: 1700 }, { stage: 'connected', atMs: 3000 }, { stage: 'ended', atMs: 6000 },
  { stage: 'disposition', atMs: 6500 }, { stage: 'recording', atMs: 7000 },
];

const now = () => performance.timeOrigin + performance.now();

class Receiver {
  readonly arrivals = new Map<string, number>();
  duplicates = 0;
  status = 200;
  private server?: http.Server;

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.status === 200) {
          const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { callId: string; type: string };
          const key = `${event.callId}:${event.type}`;
          if (this.arrivals.has(key)) this.duplicates += 1;
          else this.arrivals.set(key, now());
        }
        res.writeHead(this.status).end();
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/events`;
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** The call streams the app's webhooks follow, fed by the bench's calls. */
class CallSource {
  readonly updates = new Subject<CallUpdate>();
  readonly dispositions = new Subject<DispositionChosen>();
  readonly recordings = new Subject<RecordingKept>();
  readonly emitted = new Map<string, number>();
  private n = 0;

  /** One of a call's events; the key the receiver files it under. */
  emit(context: CallContext, step: typeof CALL_SCRIPT[number]): void {
    const at = Date.now();
    const t = now();
    const { callId } = context;
    if (step.stage === 'disposition') {
      this.emitted.set(`${callId}:call.disposition_set`, t);
      this.dispositions.next({ callId, disposition: 'interested', previous: null, agentId: context.agentId, at });
    } else if (step.stage === 'recording') {
      this.emitted.set(`${callId}:call.recording_ready`, t);
      this.recordings.next({ callId, durationMs: 3000, bytes: 24_000, at });
    } else {
      const type = ({ requested: 'call.requested', agent_ringing: 'call.agent_ringing', target_dialing: 'call.agent_answered', target_ringing: 'call.customer_ringing',
        connected: 'call.connected', ended: 'call.ended' } as Record<string, string>)[step.stage]!;
      this.emitted.set(`${callId}:${type}`, t);
      const final = step.stage === 'ended';
      this.updates.next({
        context, stage: step.stage, at, final,
        ...(final ? { outcome: 'completed' as const, talkSeconds: 3, endedBy: 'target' as const, hangupCause: 16 } : {}),
      });
    }
  }

  newCall(prefix: string): CallContext {
    this.n += 1;
    return { callId: `${prefix}-${this.n}`, agentId: this.n % 200, agentTelegramId: String(1000 + (this.n % 200)), agentPhone: '+12025550100', target: '+12025550123', route: 'M', callerId: null };
  }
}

/** Calls at `rate` a second for `seconds`, each event at its moment; resolves when the last is emitted. */
function liveCalls(source: CallSource, prefix: string, seconds: number, rate: number): { keys: () => string[]; done: Promise<void> } {
  const keys: string[] = [];
  const done = new Promise<void>((resolve) => {
    let started = 0;
    const total = seconds * rate;
    const t0 = now();
    const tick = setInterval(() => {
      const due = Math.min(total, Math.floor(((now() - t0) / 1000) * rate));
      for (; started < due; started += 1) {
        const context = source.newCall(prefix);
        for (const step of CALL_SCRIPT) setTimeout(() => source.emit(context, step), step.atMs);
        keys.push(...[...keysOf(context.callId)]);
      }
      if (started >= total) {
        clearInterval(tick);
        setTimeout(resolve, CALL_SCRIPT.at(-1)!.atMs + 10);
      }
    }, 10);
  });
  return { keys: () => keys, done };
}

function keysOf(callId: string): string[] {
  return ['call.requested', 'call.agent_ringing', 'call.agent_answered', 'call.customer_ringing', 'call.connected', 'call.ended', 'call.disposition_set', 'call.recording_ready']
    .map((type) => `${callId}:${type}`);
}

function latencies(source: CallSource, receiver: Receiver, keys: readonly string[]): number[] {
  return keys.flatMap((k) => {
    const from = source.emitted.get(k);
    const to = receiver.arrivals.get(k);
    return from !== undefined && to !== undefined ? [to - from] : [];
  });
}

async function main(): Promise<void> {
  const pg = process.env.TEST_DATABASE_URL?.startsWith('postgres') ? process.env.TEST_DATABASE_URL : undefined;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-webhook-bench-'));
  const { dataSource } = await openDatabase(pg ?? `sqlite:${path.join(dir, 'callbot.sqlite')}`);
  if (pg) {
    await dataSource.query('DELETE FROM webhook_deliveries');
    await dataSource.query('DELETE FROM webhook_endpoints');
  }
  const stores = createStores(dataSource);
  const logger = createLogger({ level: 'warn', format: 'pretty', secrets: [] });
  const webhooks = new Webhooks({
    stores, logger, workerId: 'bench',
    settings: { timeoutMs: 10_000, concurrency: 16, retryForMs: 24 * 3_600_000, maxRetryDelayMs: 3_600_000, keepFinishedMs: 7 * 86_400_000 },
  });
  const receiver = new Receiver();
  await webhooks.endpoints.add('bench', await receiver.start(), []);
  const source = new CallSource();
  webhooks.follow({ updates: source.updates, dispositions: source.dispositions, recordings: source.recordings });
  webhooks.start();
  const database = pg ? 'PostgreSQL' : 'SQLite';
  console.log(`webhook bench on ${database}, ${os.cpus().length} cores: ${RATE} calls/s × ${EVENTS_PER_CALL} events, ${SECONDS} s live; outage backlog ${OUTAGE_S} s`);

  // 1. Live load.
  const live = liveCalls(source, 'live', SECONDS, RATE);
  await live.done;
  const liveKeys = live.keys();
  await waitFor(() => liveKeys.every((k) => receiver.arrivals.has(k)), { timeoutMs: 120_000, everyMs: 50, what: 'every live event delivered' });
  const liveLatency = summarize(latencies(source, receiver, liveKeys));

  process.stderr.write(`live: p99 ${ms(liveLatency.p99, 0)} ms; queueing the outage's backlog\n`);
  // 2. The outage's backlog, queued while the receiver answers 503.
  receiver.status = 503;
  const backlogCalls = OUTAGE_S * RATE;
  const backlogKeys: string[] = [];
  const queueStart = now();
  for (let i = 0; i < backlogCalls; i += 250) {
    for (let j = i; j < Math.min(backlogCalls, i + 250); j += 1) {
      const context = source.newCall('outage');
      for (const step of CALL_SCRIPT) source.emit(context, step);
      backlogKeys.push(...keysOf(context.callId));
    }
    await webhooks.outbox.written();
  }
  const queuedS = (now() - queueStart) / 1000;
  const pendingAtRecovery = await stores.webhookDeliveries.pendingCount();

  process.stderr.write(`backlog of ${backlogKeys.length} events queued in ${queuedS.toFixed(1)} s; the receiver is back\n`);
  // The receiver is back; the live load goes on meanwhile.
  receiver.status = 200;
  const recovered = now();
  const during = liveCalls(source, 'during', Math.max(SECONDS, 10), RATE);
  await waitFor(() => backlogKeys.every((k) => receiver.arrivals.has(k)), { timeoutMs: 1_800_000, everyMs: 200, what: 'the backlog delivered' });
  const drainedS = (now() - recovered) / 1000;
  await during.done;
  const duringKeys = during.keys();
  await waitFor(() => duringKeys.every((k) => receiver.arrivals.has(k)), { timeoutMs: 600_000, everyMs: 100, what: 'the live events during the drain delivered' });
  const duringLatency = summarize(latencies(source, receiver, duringKeys));
  const outOfOrder = [...new Set([...liveKeys, ...backlogKeys, ...duringKeys].map((k) => k.split(':')[0]!))].filter((callId) => {
    const times = keysOf(callId).map((k) => receiver.arrivals.get(k)!);
    return times.some((t, i) => i > 0 && t < times[i - 1]!);
  }).length;

  console.log('');
  console.log(table(['event → delivered (ms)', 'events', 'p50', 'p99', 'max'], [
    [`live, ${RATE} calls/s`, String(liveLatency.n), ms(liveLatency.p50, 1), ms(liveLatency.p99, 1), ms(liveLatency.max, 1)],
    ['live, during the backlog\'s drain', String(duringLatency.n), ms(duringLatency.p50, 0), ms(duringLatency.p99, 0), ms(duringLatency.max, 0)],
  ]));
  console.log('');
  console.log(table(['outage backlog', 'value'], [
    ['events queued (calls × 8)', `${backlogKeys.length} (${backlogCalls} calls)`],
    ['queued in (time-compressed)', `${queuedS.toFixed(1)} s`],
    ['pending at recovery', String(pendingAtRecovery)],
    ['drained in, from recovery', `${drainedS.toFixed(1)} s (${Math.round(backlogKeys.length / drainedS)} events/s, live load on top)`],
    ['duplicates at the receiver', String(receiver.duplicates)],
    ['calls received out of order', String(outOfOrder)],
  ]));
  await webhooks.stop();
  await receiver.close();
  await dataSource.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
