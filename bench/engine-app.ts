/** The app under test: the real CallEngine and AriAdapter on a fresh SQLite database, pointed at the simulator. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';

import type { DataSource } from 'typeorm';
import winston from 'winston';

import { loadConfig } from '../config/config';
import type { Logger } from '../config/logger';
import { openDatabase } from '../store/data-source';
import { AriAdapter } from '../ari/ari-adapter';
import { CallEngine } from '../engine/call-engine';
import { CallStore, createStores, type Stores } from '../store';
import { AppTap } from './app-tap';
import { Tracker } from './call-tracker';
import type { SimProcess } from './sim-client';
import { AGENT_PHONE_PREFIX } from './sim-protocol';
import { sleep } from './sleep';

/**
 * BENCH_EXPERIMENT: diagnostics, never the product configuration (the run says so at the top):
 * - `no-transition-writes`: the call's per-transition UPDATEs skipped (the request INSERT stays);
 * - `sqlite-sync-normal`: PRAGMA synchronous = NORMAL (WAL stays; commits stop waiting for fsync).
 */
export const EXPERIMENT = process.env.BENCH_EXPERIMENT ?? '';

const TARGET_INPUT = '2025550123';

/** What the phases drive: callbot itself, or the bare reactor it is measured against (bare-reactor.ts). */
export interface Driver {
  readonly tracker: Tracker;
  readonly refusals: Map<string, number>;
  readonly tap?: AppTap;
  placeCall(agentTelegramId: string, targetInput: string): Promise<{ ok: true; callId: string } | { ok: false; refusal: string }>;
  connectedCalls(): number;
  /** Calls not yet torn down to the end. */
  callsInFlight(): number;
  settled(): Promise<void>;
}

export interface App extends Driver {
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

export async function startApp(sim: SimProcess): Promise<App> {
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
  return {
    engine, ari, stores, dataSource, tracker: new Tracker(engine.updates), logCounts, refusals: new Map(), dbDir, tap,
    placeCall: (agentTelegramId, targetInput) => engine.placeCall({ agentTelegramId, targetInput }),
    connectedCalls: () => engine.liveCalls().filter((c) => c.stage === 'connected').length,
    callsInFlight: () => engine.callsInFlight(),
    settled: () => engine.settled(),
  };
}

export const agentTelegramId = (i: number): string => String(100_000 + i);

/** Agent i's phone; the simulator tells the legs apart by AGENT_PHONE_PREFIX. */
export const agentPhone = (telegramId: string): string => `${AGENT_PHONE_PREFIX}${2_000_000 + Number(telegramId) - 100_000}`;

export async function addAgents(stores: Stores, n: number): Promise<void> {
  const one = async (i: number): Promise<void> => {
    const telegramId = agentTelegramId(i);
    await stores.agents.authorize({ telegramId, phone: agentPhone(telegramId), by: '1000', displayName: `Agent ${i}` });
    await stores.agents.setRoute(telegramId, 'M');
  };
  for (let i = 0; i < n; i += 25) await Promise.all(Array.from({ length: Math.min(25, n - i) }, (_, k) => one(i + k)));
}

export async function place(app: Driver, agent: number): Promise<string | undefined> {
  const telegramId = agentTelegramId(agent);
  app.tracker.willPlace(telegramId);
  const result = await app.placeCall(telegramId, TARGET_INPUT);
  if (result.ok) return result.callId;
  app.refusals.set(result.refusal, (app.refusals.get(result.refusal) ?? 0) + 1);
  return undefined;
}

/** Places one call per agent, the i-th at i / perSecond seconds from now; resolves with the call ids. */
export async function placeAtRate(app: Driver, agents: readonly number[], perSecond: number): Promise<string[]> {
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
export async function drained(app: Driver, ids: readonly string[], timeoutMs: number, what: string): Promise<void> {
  await app.tracker.waitFor(ids, 'ended', timeoutMs, what);
  const deadline = performance.now() + timeoutMs;
  while (app.callsInFlight() > 0 && performance.now() < deadline) await sleep(5);
  await app.settled();
}
