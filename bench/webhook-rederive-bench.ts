/**
 * What the cluster's periodic check for events a dead instance did not queue costs
 * (webhooks/missed-events.ts): on a calls table of 100,000 rows, every call's events already
 * queued (the steady state: the check finds nothing to add), the time of one check over the last
 * 3 minutes (cluster mode, every 30 s on every instance) and of a start's check over the last hour.
 *
 *   1. 100,000 calls over the last day (about 1 a second);
 *   2. 100,000 calls, the last 30,000 at 50 a second (the webhook bench's rate) over the last 10 minutes.
 *
 *   npm run bench:webhook-checks
 *   scripts/with-postgres.sh npm run bench:webhook-checks   # on PostgreSQL
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Call, WebhookEndpoint } from '../entities';
import { openDatabase } from '../store/data-source';
import { createStores } from '../store';
import type { NewWebhookDelivery } from '../store/webhook-delivery-store';
import { enqueueMissedEvents, stageDraftsOf } from '../webhooks/missed-events';
import { eventBody, eventIdOf } from '../webhooks/webhook-events';
import { ms, table } from './stats';

const CALLS = Number(process.env.WEBHOOK_CHECK_BENCH_CALLS ?? 100_000);
const ROWS_PER_INSERT = 40;
const RUNS = 5;

async function scenario(name: string, requestedAtOf: (i: number, now: number) => number): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-check-bench-'));
  const url = process.env.TEST_DATABASE_URL?.startsWith('postgres') ? process.env.TEST_DATABASE_URL : `sqlite:${path.join(dir, 'bench.sqlite')}`;
  const { dataSource } = await openDatabase(url);
  try {
    if (url.startsWith('postgres')) await dataSource.query('TRUNCATE calls, webhook_deliveries, webhook_endpoints, agents CASCADE');
    const stores = createStores(dataSource);
    const agent = await stores.agents.authorize({ telegramId: '700', phone: '+12025550100', by: '1' });
    const endpoint = await stores.webhookEndpoints.add({ url: 'http://127.0.0.1:9/hooks', secret: 'whsec_bench', events: [], createdBy: '1' });
    await dataSource.getRepository(WebhookEndpoint).update({ id: endpoint.id }, { createdAt: new Date(Date.now() - 3 * 86_400_000) });
    const now = Date.now();
    const recent = now - 3_600_000;
    for (let i = 0; i < CALLS; i += ROWS_PER_INSERT) {
      const calls: Partial<Call>[] = [];
      const deliveries: NewWebhookDelivery[] = [];
      for (let k = i; k < Math.min(CALLS, i + ROWS_PER_INSERT); k += 1) {
        const t = requestedAtOf(k, now);
        const call = {
          id: `00000000-0000-4000-8000-${String(k).padStart(12, '0')}`, agentId: agent.id, onCallAgentId: agent.id, agentPhone: '+12025550100', targetInput: '+12025550123',
          target: '+12025550123', route: 'M' as const, callerId: null, stage: 'ended' as const, outcome: 'completed' as const, endedBy: 'target' as const, hangupCause: 16,
          requestedAt: new Date(t), agentRingingAt: new Date(t + 200), agentAnsweredAt: new Date(t + 1500), targetRingingAt: new Date(t + 1700),
          connectedAt: new Date(t + 3000), endedAt: new Date(t + 6000), direction: 'outbound' as const,
        };
        calls.push(call);
        // The live outbox queued every event of the calls a check reads.
        if (t + 6000 >= recent) {
          for (const draft of stageDraftsOf(call as Call)) {
            const id = eventIdOf(draft)!;
            deliveries.push({ endpointId: endpoint.id, eventId: id, eventType: draft.type, callId: call.id, body: eventBody(id, draft), createdAt: draft.at });
          }
        }
      }
      await dataSource.getRepository(Call).insert(calls);
      await stores.webhookDeliveries.enqueue(deliveries);
    }
    const deps = {
      calls: stores.calls, recordings: stores.recordings, requests: stores.apiCallRequests, apiKeys: stores.apiKeys,
      deliveries: stores.webhookDeliveries, endpoints: stores.webhookEndpoints, legs: stores.legs,
    };
    const timed = async (lookbackMs: number, settleMs: number) => {
      const times: number[] = [];
      let queued = 0;
      for (let r = 0; r < RUNS; r += 1) {
        const start = performance.now();
        queued += await enqueueMissedEvents(deps, { now: Date.now(), lookbackMs, settleMs });
        times.push(performance.now() - start);
      }
      times.sort((a, b) => a - b);
      return `${ms(times[Math.floor(RUNS / 2)]!)} (max ${ms(times[RUNS - 1]!)}; ${queued} queued)`;
    };
    return [name, await timed(180_000, 15_000), await timed(3_600_000, 0)];
  } finally {
    await dataSource.destroy();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const kind = process.env.TEST_DATABASE_URL?.startsWith('postgres') ? 'PostgreSQL' : 'SQLite';
  const rows = [
    await scenario(`${CALLS} calls over a day`, (i, now) => now - 86_400_000 + Math.floor((i * 86_400_000) / CALLS)),
    await scenario(`${CALLS} calls, the last 30,000 at 50/s`, (i, now) => (i < CALLS - 30_000 ? now - 86_400_000 + i * 1000 : now - 600_000 + (i - (CALLS - 30_000)) * 20)),
  ];
  process.stdout.write(`webhook re-derivation check on ${kind}, median of ${RUNS}\n`);
  process.stdout.write(`${table(['calls table', 'periodic check (last 3 min)', 'start check (last hour)'], rows)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
