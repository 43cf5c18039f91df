import fs from 'node:fs';
import path from 'node:path';
import { Subject } from 'rxjs';
import type { DataSource } from 'typeorm';
import type { CallStage } from '../../call/call-types';
import type { CallContext, CallUpdate } from '../../call/call-update';
import { silentLogger } from '../../config/logger';
import type { WebhookSettings } from '../../config/webhook-settings';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import { type CallEventDraft, type WebhookEventType, eventBody } from '../../webhooks/webhook-events';
import { WebhookDelivery } from '../../entities';
import { Webhooks } from '../../webhooks/webhooks';
import type { WorkerClock } from '../../webhooks/webhook-worker';
import { ManualClock } from '../support/manual-clock';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';
import { WebhookReceiver } from '../support/webhook-receiver';

const kind = testDatabaseKind();
const HOUR = 3_600_000;
const SETTINGS: WebhookSettings = { timeoutMs: 5000, concurrency: 8, retryForMs: 24 * HOUR, maxRetryDelayMs: HOUR, keepFinishedMs: 7 * 24 * HOUR };

/** The verification function of docs/webhooks.md, run as a receiver would run it. */
function documentedVerifier(): (secret: string, header: string, rawBody: string) => boolean {
  const page = fs.readFileSync(path.join(__dirname, '../../docs/webhooks.md'), 'utf8');
  const code = [...page.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((c) => c.includes('function verifyCallbotSignature'));
  if (!code) throw new Error('docs/webhooks.md has no verifyCallbotSignature snippet');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  return new Function('require', `${code}\nreturn verifyCallbotSignature;`)(require) as (secret: string, header: string, rawBody: string) => boolean;
}

interface App {
  dataSource: DataSource;
  stores: Stores;
  webhooks: Webhooks;
  stop(): Promise<void>;
}

/** One instance of the app's webhook side over the database at `url`. */
async function openApp(url: string, options: { clock?: WorkerClock; workerId?: string; pollMs?: number; timeoutMs?: number; concurrency?: number } = {}): Promise<App> {
  const { dataSource } = await openDatabase(url);
  const stores = createStores(dataSource);
  const webhooks = new Webhooks({
    stores, settings: { ...SETTINGS, timeoutMs: options.timeoutMs ?? SETTINGS.timeoutMs, concurrency: options.concurrency ?? SETTINGS.concurrency }, logger: silentLogger(), workerId: options.workerId ?? 'instance-1', random: () => 0.5,
    ...(options.clock ? { clock: options.clock } : {}), pollMs: options.pollMs ?? 50,
  });
  let stopped = false;
  return {
    dataSource, stores, webhooks,
    async stop() {
      if (stopped) return;
      stopped = true;
      await webhooks.stop();
      await closeDatabase(dataSource);
    },
  };
}

const draft = (callId: string, type: WebhookEventType, at: number, data: Record<string, unknown> = {}): CallEventDraft => ({ callId, type, at, data });

function updatesOf(context: CallContext, stages: CallStage[], at: number): CallUpdate[] {
  return stages.map((stage, i) => (stage === 'ended'
    ? { context, stage, at: at + i, final: true, outcome: 'completed', talkSeconds: 42, endedBy: 'target', hangupCause: 16 }
    : { context, stage, at: at + i, final: false }));
}

describe(`signed webhooks out on ${kind}`, () => {
  let url: string;
  let receiver: WebhookReceiver;
  const apps: App[] = [];

  beforeEach(async () => {
    url = await freshDatabaseUrl();
    receiver = new WebhookReceiver();
  });

  afterEach(async () => {
    for (const app of apps.splice(0)) await app.stop();
    await receiver.close();
  });

  const open = async (options?: Parameters<typeof openApp>[1]) => {
    const app = await openApp(url, options);
    apps.push(app);
    return app;
  };

  const eventsOfCall = (callId: string) => receiver.accepted.filter((r) => r.event.callId === callId).map((r) => r.event.type);

  it('given an endpoint, when a call runs from request to end, then its events arrive in order, each signed so that the documented snippet verifies it with the endpoint\'s secret', async () => {
    const app = await open();
    const added = await app.webhooks.endpoints.add('100', await receiver.start(), []);
    if (!added.ok) throw new Error('endpoint refused');
    const updates = new Subject<CallUpdate>();
    app.webhooks.follow({ updates });
    app.webhooks.start();
    const context: CallContext = { callId: 'call-1', agentId: 7, agentTelegramId: '700', agentPhone: '+12025550100', target: '+12025550123', route: 'M', callerId: null };

    for (const update of updatesOf(context, ['requested', 'agent_dialing', 'agent_ringing', 'agent_answered', 'target_dialing', 'target_ringing', 'connected', 'ended'], Date.now())) {
      updates.next(update);
    }

    await waitFor(() => receiver.accepted.length === 6, { what: 'six events delivered' });
    expect(eventsOfCall('call-1')).toEqual(['call.requested', 'call.agent_ringing', 'call.agent_answered', 'call.customer_ringing', 'call.connected', 'call.ended']);
    const verify = documentedVerifier();
    for (const request of receiver.requests) {
      const signature = String(request.headers['callbot-signature']);
      expect(verify(added.secret, signature, request.body)).toBe(true);
      expect(verify('whsec_another', signature, request.body)).toBe(false);
      expect(verify(added.secret, signature, request.body.replace('call-1', 'call-2'))).toBe(false);
      expect(request.headers['callbot-event-id']).toBe(request.event.id);
      expect(signature).toMatch(new RegExp(`^t=${String(request.headers['callbot-timestamp'])},v1=[0-9a-f]{64}$`));
    }
    expect(receiver.requests.at(-1)!.event).toMatchObject({
      type: 'call.ended', callId: 'call-1', data: { outcome: 'completed', talkSeconds: 42, customer: '+12025550123' },
    });
  });

  it('given a receiver that answers 500 to a call\'s first event, when events of two calls are queued, then the other call\'s go on, this call\'s wait, and after the retry all of them arrive in order', async () => {
    const clock = new ManualClock();
    clock.skip(Date.now());
    const app = await open({ clock, pollMs: 10 * HOUR });
    await app.webhooks.endpoints.add('100', await receiver.start(), []);
    let failedOnce = false;
    receiver.answer = ({ event }) => {
      if (event.callId === 'A' && event.type === 'call.requested' && !failedOnce) {
        failedOnce = true;
        return 500;
      }
      return 200;
    };
    app.webhooks.start();
    const t = clock.now();

    for (const d of [draft('A', 'call.requested', t), draft('B', 'call.requested', t), draft('A', 'call.agent_ringing', t + 1),
      draft('B', 'call.agent_ringing', t + 1), draft('A', 'call.connected', t + 2)]) app.webhooks.outbox.add(d);

    await waitFor(() => eventsOfCall("B").length === 2, { what: "call B delivered" });
    await app.webhooks.worker.idle();
    expect(receiver.requests.filter((r) => r.event.callId === 'A').map((r) => r.status)).toEqual([500]);

    await clock.advance(10_000);
    await waitFor(() => eventsOfCall('A').length === 3, { what: 'call A delivered after the retry' });
    // The receiver has them; the worker writes each result after its answer.
    await app.webhooks.worker.idle();
    expect(eventsOfCall('A')).toEqual(['call.requested', 'call.agent_ringing', 'call.connected']);
    const firstOfA = await app.stores.webhookDeliveries.byEvent(1, receiver.accepted.find((r) => r.event.callId === 'A')!.event.id);
    expect(firstOfA).toMatchObject({ state: 'delivered', attempts: 2, lastResult: 'HTTP 200' });
    const activity = await app.stores.webhookDeliveries.activityOf(1);
    expect(activity).toMatchObject({ pending: 0, retrying: 0, failed: 0, lastDelivered: { result: 'HTTP 200' }, lastFailure: null });
  });

  it('given a receiver that does not answer, when the timeout passes, then the attempt is recorded as a timeout and the event is delivered on the retry', async () => {
    const clock = new ManualClock();
    clock.skip(Date.now());
    const app = await open({ clock, pollMs: 10 * HOUR, timeoutMs: 300 });
    await app.webhooks.endpoints.add('100', await receiver.start(), []);
    receiver.answer = (_, n) => (n === 0 ? 'hang' : 204);
    app.webhooks.start();

    app.webhooks.outbox.add(draft('C', 'call.requested', clock.now()));
    const eventId = await waitFor(() => receiver.requests[0]?.event.id, { what: 'the first attempt' });
    const afterTimeout = await waitFor(async () => {
      const row = await app.stores.webhookDeliveries.byEvent(1, eventId);
      return row?.attempts === 1 ? row : undefined;
    }, { what: 'the timed-out attempt recorded', timeoutMs: 20_000 });
    expect(afterTimeout).toMatchObject({ state: 'pending', lastResult: 'timeout' });
    expect(afterTimeout.nextAttemptAt).toBeGreaterThan(clock.now());

    await clock.advance(10_000);
    await waitFor(async () => (await app.stores.webhookDeliveries.byEvent(1, eventId))?.state === 'delivered', { what: 'delivered on the retry' });
    expect(receiver.requests.map((r) => r.status)).toEqual(['hang', 204]);
  });

  it('given a receiver that always fails one event, when a day passes, then it is retried for the whole day, given up after it, and the call\'s next event goes out', async () => {
    const clock = new ManualClock();
    clock.skip(Date.now());
    const app = await open({ clock, pollMs: 100 * HOUR });
    await app.webhooks.endpoints.add('100', await receiver.start(), []);
    receiver.answer = ({ event }) => (event.type === 'call.ended' ? 200 : 500);
    app.webhooks.start();
    const t0 = clock.now();
    app.webhooks.outbox.add(draft('D', 'call.requested', t0));
    app.webhooks.outbox.add(draft('D', 'call.ended', t0 + 1));
    await waitFor(() => receiver.requests.length === 1, { what: 'the first attempt' });
    await app.webhooks.worker.idle();
    const failing = receiver.requests[0]!.event.id;

    while (clock.now() - t0 < 24 * HOUR - HOUR) {
      await clock.advance(HOUR);
      await app.webhooks.worker.idle();
    }
    expect(await app.stores.webhookDeliveries.byEvent(1, failing)).toMatchObject({ state: 'pending' });
    expect(eventsOfCall('D')).toEqual([]);
    for (let i = 0; i < 3; i++) {
      await clock.advance(HOUR);
      await app.webhooks.worker.idle();
    }

    const row = await app.stores.webhookDeliveries.byEvent(1, failing);
    expect(row).toMatchObject({ state: 'failed', lastResult: 'HTTP 500' });
    expect(row!.lastAttemptAt! - t0).toBeGreaterThanOrEqual(24 * HOUR);
    expect(row!.attempts).toBeGreaterThan(20);
    await waitFor(() => eventsOfCall('D').length === 1, { what: 'the next event delivered' });
    expect(eventsOfCall('D')).toEqual(['call.ended']);
    expect(await app.stores.webhookDeliveries.activityOf(1)).toMatchObject({ failed: 1, pending: 0, lastFailure: { result: 'HTTP 500' } });
  });

  it('given a receiver that was down (every attempt failed), when it answers a new event again, then the waiting retries go out at once, without waiting for their backoff', async () => {
    const clock = new ManualClock();
    clock.skip(Date.now());
    const app = await open({ clock, pollMs: 10 * HOUR });
    await app.webhooks.endpoints.add('100', await receiver.start(), []);
    receiver.answer = () => 503;
    app.webhooks.start();
    for (const call of ['H1', 'H2', 'H3', 'H4']) app.webhooks.outbox.add(draft(call, 'call.requested', clock.now()));
    await waitFor(() => receiver.requests.length === 4, { what: 'four failed attempts' });
    await app.webhooks.worker.idle();

    receiver.answer = () => 200;
    app.webhooks.outbox.add(draft('H5', 'call.requested', clock.now()));

    await waitFor(() => receiver.accepted.length === 5, { what: 'the waiting retries delivered with the new event' });
    expect(receiver.accepted[0]!.event.callId).toBe('H5');
  });

  it('given events queued while the receiver was failing, when the app stops and a new instance starts over the same database, then the new one delivers them all, in order', async () => {
    const endpointUrl = await receiver.start();
    receiver.answer = () => 503;
    const first = await open();
    await first.webhooks.endpoints.add('100', endpointUrl, []);
    first.webhooks.start();
    const t = Date.now();
    for (const type of ['call.requested', 'call.agent_ringing', 'call.connected', 'call.ended'] as const) first.webhooks.outbox.add(draft('E', type, t));
    await waitFor(() => receiver.requests.length === 1, { what: 'the first attempt' });
    await first.stop();
    receiver.answer = () => 200;

    const clock = new ManualClock();
    clock.skip(Date.now() + 60_000);
    const second = await open({ clock, workerId: 'instance-2' });
    second.webhooks.start();

    await waitFor(() => eventsOfCall('E').length === 4, { what: 'the queued events delivered by the new instance' });
    expect(eventsOfCall('E')).toEqual(['call.requested', 'call.agent_ringing', 'call.connected', 'call.ended']);
  });

  it('given a worker that claimed deliveries and died, when its lease runs out, then another instance takes them over and delivers them', async () => {
    const app = await open({ workerId: 'survivor' });
    await app.webhooks.endpoints.add('100', await receiver.start(), []);
    const t = Date.now();
    app.webhooks.outbox.add(draft('F', 'call.requested', t));
    await app.webhooks.outbox.written();
    const claimed = await app.stores.webhookDeliveries.claimDue('dead-instance#1', t, t + 400, 10);
    expect(claimed).toHaveLength(1);

    app.webhooks.start();
    await app.webhooks.worker.idle();
    expect(receiver.requests).toHaveLength(0);

    await waitFor(() => eventsOfCall('F').length === 1, { what: 'the dead worker\'s delivery taken over' });
  });

  // Several instances run on PostgreSQL only (CLUSTER=on needs it); SQLite has one writer process.
  (kind === 'postgres' ? it : it.skip)('given two instances\' workers over one PostgreSQL database, when many calls\' events are queued, then each event is delivered exactly once and every call\'s in order', async () => {
    // A timeout would be a second post of the same delivery by design (at least once): none here, so every repeat would be a lost claim race.
    const a = await open({ workerId: 'instance-a', pollMs: 20, timeoutMs: 10_000 });
    const b = await open({ workerId: 'instance-b', pollMs: 20, timeoutMs: 10_000 });
    await a.webhooks.endpoints.add('100', await receiver.start(), []);
    a.webhooks.start();
    b.webhooks.start();
    const types: WebhookEventType[] = ['call.requested', 'call.agent_ringing', 'call.agent_answered', 'call.customer_ringing', 'call.connected', 'call.ended',
      'call.disposition_set', 'call.recording_ready'];
    const t = Date.now();
    for (const type of types) {
      for (let call = 0; call < 25; call++) (call % 2 === 0 ? a : b).webhooks.outbox.add(draft(`G${call}`, type, t));
    }

    await waitFor(() => receiver.requests.length >= 200, { what: '200 deliveries', timeoutMs: 20_000 });
    await a.webhooks.worker.idle();
    await b.webhooks.worker.idle();
    expect(new Set(receiver.requests.map((r) => r.event.id)).size).toBe(200);
    expect(receiver.requests).toHaveLength(200);
    const rows = await a.dataSource.query("SELECT attempts, last_result FROM webhook_deliveries WHERE attempts <> 1 OR state <> 'delivered'") as unknown[];
    expect(rows).toEqual([]);
    for (let call = 0; call < 25; call++) expect(eventsOfCall(`G${call}`)).toEqual(types);
  });

  it('given a backlog of retries claimed and waiting to be posted, when a live call\'s new event comes, then it is posted before the backlog', async () => {
    const app = await open({ concurrency: 1, timeoutMs: 1000 });
    const added = await app.webhooks.endpoints.add('100', await receiver.start(), []);
    if (!added.ok) throw new Error('endpoint not added');
    // The first post hangs (and times out): everything else claimed waits behind it.
    receiver.answer = (_d, n) => (n === 0 ? 'hang' : 200);
    const now = Date.now();
    await app.dataSource.getRepository(WebhookDelivery).insert(Array.from({ length: 30 }, (_, i) => ({
      endpointId: added.id, eventId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, eventType: 'call.connected', callId: `B${i}`,
      body: eventBody(`backlog-${i}`, draft(`B${i}`, 'call.connected', now)), state: 'pending' as const, attempts: 1, createdAt: now, nextAttemptAt: 1,
    })));
    app.webhooks.start();
    await waitFor(() => receiver.requests.length === 1, { what: 'the first backlog post hanging' });

    app.webhooks.outbox.add(draft('live', 'call.requested', Date.now()));
    await waitFor(() => receiver.requests.some((r) => r.event.callId === 'live'), { what: 'the live event posted', timeoutMs: 10000 });
    expect(receiver.requests.findIndex((r) => r.event.callId === 'live')).toBe(1);
  });
});
