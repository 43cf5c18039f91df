import { Subject } from 'rxjs';
import type { DataSource } from 'typeorm';
import type { CallContext, CallUpdate } from '../../call/call-update';
import { silentLogger } from '../../config/logger';
import type { WebhookSettings } from '../../config/webhook-settings';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import { eventIdOf } from '../../webhooks/webhook-events';
import { Webhooks } from '../../webhooks/webhooks';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';
import { WebhookReceiver } from '../support/webhook-receiver';

const kind = testDatabaseKind();
const HOUR = 3_600_000;
const SETTINGS: WebhookSettings = { timeoutMs: 5000, concurrency: 8, retryForMs: 24 * HOUR, maxRetryDelayMs: HOUR, keepFinishedMs: 7 * 24 * HOUR };

interface Instance {
  dataSource: DataSource;
  stores: Stores;
  webhooks: Webhooks;
}

/**
 * Two instances of a cluster on one database (PostgreSQL in the cluster's runs): A runs a call and
 * dies after writing its state but before its outbox wrote the events; B, which never ran the call,
 * finds them in the database on its periodic check and delivers them, in order.
 */
describe(`an instance that dies between a call's state and its webhook events, on ${kind}`, () => {
  let url: string;
  let receiver: WebhookReceiver;
  const opened: Instance[] = [];

  beforeEach(async () => {
    url = await freshDatabaseUrl();
    receiver = new WebhookReceiver();
  });

  afterEach(async () => {
    for (const instance of opened.splice(0)) {
      await instance.webhooks.stop();
      await closeDatabase(instance.dataSource);
    }
    await receiver.close();
  });

  async function instance(workerId: string, options: { recheckEveryMs?: number } = {}): Promise<Instance> {
    const { dataSource } = await openDatabase(url);
    const stores = createStores(dataSource);
    const webhooks = new Webhooks({ stores, settings: SETTINGS, logger: silentLogger(), workerId, pollMs: 50, missedEndsAfterMs: 1, ...options });
    const opened1 = { dataSource, stores, webhooks };
    opened.push(opened1);
    return opened1;
  }

  type At = (seconds: number) => Date;

  /**
   * Instances A and B, a receiver registered before the call, and Ann's call as A left its row a
   * minute ago (the periodic checks count its stages as settled): rung, answered, the customer
   * ringing, and what `rest` adds.
   */
  async function callLeftByA(callId: string, rest: (at: At) => { stage: 'connected' | 'target_ringing'; connectedAt?: Date }) {
    const a = await instance('instance-a');
    const b = await instance('instance-b', { recheckEveryMs: 100 });
    const added = await a.webhooks.endpoints.add('100', await receiver.start(), []);
    if (!added.ok) throw new Error('endpoint refused');
    const agent = await a.stores.agents.authorize({ telegramId: '700', phone: '+12025550100', callerId: '+15551234567', by: '100', displayName: 'Ann' });
    const t0 = Date.now() - 60_000;
    const at: At = (seconds) => new Date(t0 + seconds * 1000);
    await a.dataSource.getRepository('WebhookEndpoint').update({ id: added.id }, { createdAt: at(-10) });
    await a.stores.calls.recordCallRequest({
      id: callId, agentId: agent.id, agentPhone: '+12025550100', targetInput: '+12025550123', target: '+12025550123', route: 'M', callerId: '+15551234567',
      requestedAt: at(0), agentRingingAt: at(1), agentAnsweredAt: at(2), targetRingingAt: at(3), ...rest(at),
    });
    const context: CallContext = { callId, agentId: agent.id, agentTelegramId: '700', agentPhone: '+12025550100', target: '+12025550123', route: 'M', callerId: '+15551234567' };
    return { a, b, at, context };
  }

  /** A follows the call and tells it live up to the customer's ringing; returns A's update stream. */
  async function toldByAUpToCustomerRinging(a: Instance, context: CallContext, at: At): Promise<Subject<CallUpdate>> {
    const onA = new Subject<CallUpdate>();
    a.webhooks.follow({ updates: onA });
    const stages = [['requested', 0], ['agent_dialing', 0], ['agent_ringing', 1], ['agent_answered', 2], ['target_dialing', 2], ['target_ringing', 3]] as const;
    for (const [stage, s] of stages) onA.next({ context, stage, at: at(s).getTime(), final: false });
    await a.webhooks.outbox.written();
    return onA;
  }

  const typesOf = (callId: string) => receiver.accepted.map((r) => r.event).filter((e) => e.callId === callId).map((e) => e.type);

  it('given instance A told a call up to the customer\'s ringing and died as its outbox wrote connected, after the call\'s row was ended and its disposition chosen, when instance B checks the database, then B delivers connected, ended and the disposition after what A wrote, each once and in order', async () => {
    const a = await instance('instance-a');
    const b = await instance('instance-b', { recheckEveryMs: 100 });
    const added = await a.webhooks.endpoints.add('100', await receiver.start(), []);
    if (!added.ok) throw new Error('endpoint refused');
    // B runs before A's call: its start's check finds nothing; its periodic checks find what A left.
    b.webhooks.start();
    await b.webhooks.checkedMissedEnds();
    const agent = await a.stores.agents.authorize({ telegramId: '700', phone: '+12025550100', callerId: '+15551234567', by: '100', displayName: 'Ann' });
    // The call ran a minute ago: B's check leaves only the last seconds to the live outboxes.
    const t0 = Date.now() - 60_000;
    const callId = '5f1c7a52-3b1e-4c55-9d0a-2a6f1e9b1c10';
    const at = (s: number) => new Date(t0 + s * 1000);
    // The endpoint was there before the call began (a call begun before it was added is not followed there).
    await a.dataSource.getRepository('WebhookEndpoint').update({ id: added.id }, { createdAt: at(-10) });
    await a.stores.calls.recordCallRequest({
      id: callId, agentId: agent.id, agentPhone: '+12025550100', targetInput: '+12025550123', target: '+12025550123', route: 'M', callerId: '+15551234567',
      stage: 'ended', outcome: 'completed', endedBy: 'target', hangupCause: 16, requestedAt: at(0), agentRingingAt: at(1), agentAnsweredAt: at(2),
      targetRingingAt: at(3), connectedAt: at(5), endedAt: at(35),
    });
    await a.stores.calls.recordDisposition(callId, 'interested', at(40));

    // A's outbox dies as it writes connected: what it wrote before stays queued.
    const enqueue = a.stores.webhookDeliveries.enqueue.bind(a.stores.webhookDeliveries);
    let dead = false;
    a.stores.webhookDeliveries.enqueue = async (rows) => {
      dead ||= rows.some((r) => r.eventType === 'call.connected');
      if (!dead) await enqueue(rows);
    };
    const updates = new Subject<CallUpdate>();
    a.webhooks.follow({ updates });
    const context: CallContext = { callId, agentId: agent.id, agentTelegramId: '700', agentPhone: '+12025550100', target: '+12025550123', route: 'M', callerId: '+15551234567' };
    const stages = [['requested', 0], ['agent_dialing', 0], ['agent_ringing', 1], ['agent_answered', 2], ['target_dialing', 2], ['target_ringing', 3]] as const;
    for (const [stage, s] of stages) updates.next({ context, stage, at: at(s).getTime(), final: false });
    await a.webhooks.outbox.written();
    updates.next({ context, stage: 'connected', at: at(5).getTime(), final: false });
    await a.webhooks.outbox.written();
    expect(dead).toBe(true);
    a.webhooks.start();
    await waitFor(() => typesOf(callId).length === 7, { what: 'B\'s re-derived events delivered', timeoutMs: 15000 });
    expect(typesOf(callId)).toEqual([
      'call.requested', 'call.agent_ringing', 'call.agent_answered', 'call.customer_ringing', 'call.connected', 'call.ended', 'call.disposition_set',
    ]);
    const disposition = receiver.accepted.map((r) => r.event).find((e) => e.type === 'call.disposition_set')!;
    expect(disposition.id).toBe(eventIdOf({ type: 'call.disposition_set', callId, at: at(40).getTime() }));
    expect(disposition.data).toMatchObject({ disposition: 'interested', previous: null, agentId: agent.id });
    // Later checks (of both instances) add nothing: every event is queued once.
    await b.webhooks.checkedMissedEnds();
    await new Promise((resolve) => setImmediate(resolve));
    await waitFor(async () => (await b.stores.webhookDeliveries.pendingCount()) === 0, { what: 'the queue empty' });
    const [{ n }] = await b.dataSource.query('SELECT COUNT(*) AS n FROM webhook_deliveries') as Array<{ n: number | string }>;
    expect(Number(n)).toBe(7);
  }, 30000);

  it('given instance A told a call up to the customer\'s ringing and died as its outbox wrote connected, when instance B takes the call over at connected and it ends there, then the receiver gets every stage in order, connected before ended, each once with the live event\'s id', async () => {
    const callId = '0b8e3f4a-6c1d-4e2f-9a7b-5d3c2e1f0a99';
    const { a, b, at, context } = await callLeftByA(callId, (at) => ({ stage: 'connected', connectedAt: at(5) }));

    // A's outbox dies as it writes connected: what it wrote before stays queued.
    const enqueue = a.stores.webhookDeliveries.enqueue.bind(a.stores.webhookDeliveries);
    let dead = false;
    a.stores.webhookDeliveries.enqueue = async (rows) => {
      dead ||= rows.some((r) => r.eventType === 'call.connected');
      if (!dead) await enqueue(rows);
    };
    const onA = await toldByAUpToCustomerRinging(a, context, at);
    onA.next({ context, stage: 'connected', at: at(5).getTime(), final: false });
    await a.webhooks.outbox.written();
    expect(dead).toBe(true);

    // B takes the server over: it first sees the call connected, then the call ends on B.
    const onB = new Subject<CallUpdate>();
    b.webhooks.follow({ updates: onB });
    onB.next({ context, stage: 'connected', at: at(6).getTime(), final: false });
    await b.stores.calls.recordCallTransition(callId, { stage: 'ended', outcome: 'completed', endedBy: 'target', hangupCause: 16, endedAt: at(35) });
    onB.next({ context, stage: 'ended', outcome: 'completed', endedBy: 'target', talkSeconds: 30, hangupCause: 16, at: at(35).getTime(), final: true });
    await b.webhooks.outbox.written();
    // B's periodic checks run too: what B queued live stays after what the catch-up queued.
    b.webhooks.start();
    const types = ['call.requested', 'call.agent_ringing', 'call.agent_answered', 'call.customer_ringing', 'call.connected', 'call.ended'] as const;
    await waitFor(() => typesOf(callId).length === types.length, { what: 'every stage of the call delivered', timeoutMs: 10000 });
    expect(typesOf(callId)).toEqual(types);
    const events = receiver.accepted.map((r) => r.event).filter((e) => e.callId === callId);
    expect(events.map((e) => e.id)).toEqual(types.map((type) => eventIdOf({ type, callId, at: 0 })));
    expect(events.find((e) => e.type === 'call.connected')!.occurredAt).toBe(at(5).toISOString());
    await waitFor(async () => (await b.stores.webhookDeliveries.pendingCount()) === 0, { what: 'the queue empty' });
    const [{ n }] = await b.dataSource.query('SELECT COUNT(*) AS n FROM webhook_deliveries') as Array<{ n: number | string }>;
    expect(Number(n)).toBe(types.length);
  }, 30000);

  it('given instance A told a call up to the customer\'s ringing and died, when instance B first sees the call connected and stamps connected on the row only after its catch-up read the row, then the receiver still gets connected, between the customer\'s ringing and the end, each stage once', async () => {
    const callId = '7d2a9c41-1e5b-4f3a-8c6d-0b9e8f7a6c55';
    // The row as A left it: the customer's phone rang; connected is not on it yet.
    const { a, b, at, context } = await callLeftByA(callId, () => ({ stage: 'target_ringing' }));
    await toldByAUpToCustomerRinging(a, context, at);

    // B takes the server over as the customer answers: its catch-up reads the row before B's writer stamps connected.
    const onB = new Subject<CallUpdate>();
    b.webhooks.follow({ updates: onB });
    onB.next({ context, stage: 'connected', at: at(5).getTime(), final: false });
    await b.webhooks.outbox.written();
    await b.stores.calls.recordCallTransition(callId, { stage: 'connected', connectedAt: at(5) });
    await b.stores.calls.recordCallTransition(callId, { stage: 'ended', outcome: 'completed', endedBy: 'target', hangupCause: 16, endedAt: at(35) });
    onB.next({ context, stage: 'ended', outcome: 'completed', endedBy: 'target', talkSeconds: 30, hangupCause: 16, at: at(35).getTime(), final: true });
    await b.webhooks.outbox.written();
    b.webhooks.start();
    await b.webhooks.checkedMissedEnds();

    const types = ['call.requested', 'call.agent_ringing', 'call.agent_answered', 'call.customer_ringing', 'call.connected', 'call.ended'] as const;
    await waitFor(() => typesOf(callId).includes('call.ended'), { what: 'the call\'s end delivered', timeoutMs: 10000 });
    await waitFor(async () => (await b.stores.webhookDeliveries.pendingCount()) === 0, { what: 'the queue empty' });
    expect(typesOf(callId)).toEqual(types);
    const events = receiver.accepted.map((r) => r.event).filter((e) => e.callId === callId);
    expect(events.map((e) => e.id)).toEqual(types.map((type) => eventIdOf({ type, callId, at: 0 })));
  }, 30000);
});
