import fs from 'node:fs';
import path from 'node:path';
import { apiPlugin } from '../../api/api-plugin';
import { DncService } from '../../compliance/dnc-service';
import { silentLogger } from '../../config/logger';
import { endedEventId, eventIdOf, type StageEventType, stageEventId } from '../../webhooks/webhook-events';
import { type HttpServer, startHttpServer } from '../../http/http-server';
import type { BotHarness, TestUser } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';
import { addReceiver, answer, startWebhookBot, stopWebhookBot } from '../support/webhook-bot';
import type { ReceivedDelivery, WebhookReceiver } from '../support/webhook-receiver';

/** The verification function of docs/webhooks.md, run as a CRM's receiver would run it. */
function documentedVerifier(): (secret: string, header: string, rawBody: string) => boolean {
  const page = fs.readFileSync(path.join(__dirname, '../../docs/webhooks.md'), 'utf8');
  const code = [...page.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((c) => c.includes('function verifyCallbotSignature'));
  if (!code) throw new Error('docs/webhooks.md has no verifyCallbotSignature snippet');
  return new Function('require', `${code}\nreturn verifyCallbotSignature;`)(require) as (secret: string, header: string, rawBody: string) => boolean;
}

const CALL_EVENTS = [
  'call.requested', 'call.agent_ringing', 'call.agent_answered', 'call.customer_ringing', 'call.connected', 'call.ended', 'call.disposition_set',
];

/**
 * The "done when", end to end on the ARI simulator and the local Bot API server: a CRM with
 * a key made in /apikeys and a receiver registered with /webhooks asks over HTTP for a call, the
 * agent taps 📞 Call in Telegram, the call connects and ends, the agent sets its outcome, and the
 * receiver gets every event signed and in order, across a restart of the app.
 */
describe('a CRM places a call through the API and follows it by signed webhooks', () => {
  let h: BotHarness;
  let admin: TestUser;
  let ann: TestUser;
  let receiver: WebhookReceiver;
  let api: HttpServer | undefined;
  const verify = documentedVerifier();

  beforeEach(async () => {
    ({ h, admin, ann, receiver } = await startWebhookBot({ integration: true, webhooks: { settings: { timeoutMs: 1000, maxRetryDelayMs: 2000 } } }));
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 50, hangupAfterMs: 300 } : undefined));
  });

  afterEach(async () => {
    await api?.close();
    api = undefined;
    await stopWebhookBot(h, receiver);
  });

  /** The HTTP API on 127.0.0.1 over the harness's app, wired as app/main.ts wires it. */
  async function startApi(): Promise<string> {
    const { stores, config } = h;
    const dnc = new DncService({ dnc: stores.dnc, calls: stores.calls, audit: stores.audit, numbers: config });
    api = await startHttpServer({
      host: '127.0.0.1', port: 0, bodyLimitBytes: 4096, logger: silentLogger(),
      parts: [apiPlugin({ keys: h.apiKeys!, calls: h.integration!, pages: stores.callPages, dnc, audit: stores.audit, config, logger: silentLogger() })],
    });
    return `http://127.0.0.1:${api.address.port}`;
  }

  /** The CRM's setup, all from Telegram: its key from /apikeys, its receiver from /webhooks; the key and the endpoint's secret. */
  async function connectCrm(): Promise<{ token: string; secret: string; hooksUrl: string }> {
    const token = /^(cb\.hubspot\.\S+)$/m.exec(await answer(admin, '/apikeys add hubspot calls:place calls:read'))?.[1];
    if (!token) throw new Error('no key in the reply to /apikeys add');
    const { url: hooksUrl, secret } = await addReceiver(admin, receiver);
    return { token, secret, hooksUrl };
  }

  async function placeThroughApi(base: string, token: string, body: unknown, idempotencyKey: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${base}/v1/calls`, {
      method: 'POST', body: JSON.stringify(body),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
    });
    return { status: response.status, body: await response.json() as Record<string, unknown> };
  }

  /** What the CRM keeps: each event once (deliveries are at least once), in the order they came. */
  function keptEvents(): ReceivedDelivery['event'][] {
    const seen = new Set<string>();
    return receiver.accepted.map((r) => r.event).filter((e) => !seen.has(e.id) && seen.add(e.id));
  }
  const typesOf = (chainId: string) => keptEvents().filter((e) => e.callId === chainId).map((e) => e.type);

  /** Ann's prompt tapped, the call through to its end, Interested chosen; the call's id. */
  async function annTakesTheCall(): Promise<string> {
    await ann.waitFor(/HubSpot asks you to call \+1 202-555-0123/);
    const before = ann.messages().length;
    await ann.tap('📞 Call');
    const ended = await ann.waitFor(/Call ended/, 15000, before);
    const callId = ended.buttons.find((b) => b.text === 'Interested')!.data.split(':')[2]!;
    await ann.tap('Interested');
    await waitFor(async () => (await h.stores.calls.byId(callId))?.disposition === 'interested', { what: 'the disposition kept' });
    return callId;
  }

  it('given a key from /apikeys and a receiver from /webhooks, when the CRM asks for a call, Ann taps 📞 Call and the call connects and ends, then the receiver gets every event signed by the documented check, in order; and a request a rule refuses is told as call.refused with the rule before any call existed', async () => {
    const { token, secret } = await connectCrm();
    const base = await startApi();
    expect(await answer(admin, '/dnc add +12025550199 asked')).toMatch(/do-not-call list now/);

    const asked = await placeThroughApi(base, token, { agent: '2001', number: '(202) 555-0123', crm: 'HubSpot' }, 'lead-42');
    expect(asked).toMatchObject({ status: 202, body: { state: 'prompted', number: '+12025550123' } });
    const requestId = String(asked.body.requestId);
    const callId = await annTakesTheCall();

    const refused = await placeThroughApi(base, token, { agent: '2001', number: '+12025550199', crm: 'HubSpot' }, 'lead-43');
    expect(refused).toMatchObject({ status: 422, body: { code: 'rule', rule: { rule: 'do_not_call' } } });

    await waitFor(() => typesOf(callId).length === CALL_EVENTS.length && keptEvents().some((e) => e.type === 'call.refused'), { what: 'every event delivered', timeoutMs: 15000 });
    expect(typesOf(requestId)).toEqual(['call.api_requested', 'call.api_placed']);
    expect(typesOf(callId)).toEqual(CALL_EVENTS);
    const events = keptEvents();
    // The request was told before its call was.
    expect(events.findIndex((e) => e.type === 'call.api_requested')).toBeLessThan(events.findIndex((e) => e.type === 'call.requested'));
    const of = (type: string) => events.find((e) => e.type === type)!;
    expect(of('call.api_requested').data).toMatchObject({ requestId, apiKey: 'hubspot', requester: 'HubSpot', agentTelegramId: '2001', customer: '+12025550123', mode: 'prompt' });
    expect(of('call.api_placed').data).toMatchObject({ requestId, placedCallId: callId });
    expect(of('call.ended').data).toMatchObject({ outcome: 'completed', talkSeconds: expect.any(Number), customer: '+12025550123' });
    expect(of('call.disposition_set').data).toMatchObject({ disposition: 'interested' });
    expect(of('call.refused').data).toMatchObject({ requestId: null, apiKey: 'hubspot', agentTelegramId: '2001', refusal: 'rule', rule: { rule: 'do_not_call', record: expect.any(String) } });
    for (const r of receiver.requests) expect(verify(secret, String(r.headers['callbot-signature']), r.body)).toBe(true);
    expect(verify(`${secret}x`, String(receiver.requests[0]!.headers['callbot-signature']), receiver.requests[0]!.body)).toBe(false);
  }, 40000);

  it('given the receiver goes down after the request was told, when the call runs and ends meanwhile and the app restarts, then once the receiver is back every remaining event arrives, signed and in order, none lost', async () => {
    const { token, secret, hooksUrl } = await connectCrm();
    const base = await startApi();
    const asked = await placeThroughApi(base, token, { agent: '2001', number: '+12025550123', crm: 'HubSpot' }, 'lead-44');
    const requestId = String(asked.body.requestId);
    await waitFor(() => typesOf(requestId).length === 1, { what: 'call.api_requested delivered' });

    // The CRM's receiver is down (connections refused) for the whole call and the restart.
    await receiver.close();
    const callId = await annTakesTheCall();
    await waitFor(async () => (await h.stores.webhookDeliveries.pendingCount()) === CALL_EVENTS.length + 1, { what: 'the rest queued', timeoutMs: 10000 });

    await api?.close();
    api = undefined;
    h = await h.restarted();
    await receiver.start(Number(new URL(hooksUrl).port));

    await waitFor(() => typesOf(callId).length === CALL_EVENTS.length && typesOf(requestId).length === 2, { what: 'the rest delivered after the restart', timeoutMs: 20000 });
    expect(typesOf(requestId)).toEqual(['call.api_requested', 'call.api_placed']);
    expect(typesOf(callId)).toEqual(CALL_EVENTS);
    expect(receiver.accepted.map((r) => r.event.type).filter((t) => t !== 'call.api_requested' && t !== 'call.api_placed')).toEqual(CALL_EVENTS);
    for (const r of receiver.requests) expect(verify(secret, String(r.headers['callbot-signature']), r.body)).toBe(true);
    await waitFor(async () => (await h.stores.webhookDeliveries.pendingCount()) === 0, { what: 'the queue empty' });
  }, 60000);

  it('given the process dies just as its outbox writes a call\'s connected event, when the app starts again, then the events after the last one written (connected, then ended) are queued from the calls table and delivered in order, with the ids the live events would have had', async () => {
    const { token, secret } = await connectCrm();
    const base = await startApi();
    // From the moment the call's connected event is to be written, nothing more reaches the database: the process is gone.
    const store = h.stores.webhookDeliveries;
    const enqueue = store.enqueue.bind(store);
    let dead = false;
    store.enqueue = async (rows) => {
      dead ||= rows.some((r) => r.eventType === 'call.connected');
      if (!dead) await enqueue(rows);
    };
    await placeThroughApi(base, token, { agent: '2001', number: '+12025550123', crm: 'HubSpot' }, 'lead-45');
    await ann.waitFor(/HubSpot asks you to call/);
    const before = ann.messages().length;
    await ann.tap('📞 Call');
    const ended = await ann.waitFor(/Call ended/, 15000, before);
    const callId = ended.buttons.find((b) => b.text === 'Interested')!.data.split(':')[2]!;
    await waitFor(() => dead, { what: 'the connected event lost with the process' });
    await waitFor(() => typesOf(callId).includes('call.customer_ringing'), { what: 'the events before it delivered' });
    expect(typesOf(callId)).toEqual(['call.requested', 'call.agent_ringing', 'call.agent_answered', 'call.customer_ringing']);

    await api?.close();
    api = undefined;
    h = await h.restarted();

    await waitFor(() => typesOf(callId).includes('call.ended'), { what: 'the rest delivered after the restart', timeoutMs: 15000 });
    expect(typesOf(callId)).toEqual(CALL_EVENTS.slice(0, -1));
    const callEvents = receiver.accepted.map((r) => r.event).filter((e) => e.callId === callId);
    // Nothing before the lost suffix is told again: the restart queued only what came after the last event written.
    expect(callEvents.map((e) => e.type)).toEqual(CALL_EVENTS.slice(0, -1));
    const of = (type: StageEventType) => keptEvents().find((e) => e.type === type)!;
    expect(of('call.connected').id).toBe(stageEventId(callId, 'call.connected'));
    expect(of('call.connected').data).toMatchObject({ customer: '+12025550123' });
    expect(of('call.ended').id).toBe(endedEventId(callId));
    expect(of('call.ended').data).toMatchObject({ outcome: 'completed', talkSeconds: expect.any(Number), customer: '+12025550123' });
    for (const r of receiver.requests) expect(verify(secret, String(r.headers['callbot-signature']), r.body)).toBe(true);
  }, 60000);

  /** From the moment an event of `type` is to be written, nothing more reaches the queue: the process is gone (SIGKILL between the state's write and the event's). */
  function dieWhenWriting(type: string): { dead: () => boolean } {
    const store = h.stores.webhookDeliveries;
    const enqueue = store.enqueue.bind(store);
    let dead = false;
    store.enqueue = async (rows) => {
      dead ||= rows.some((r) => r.eventType === type);
      if (!dead) await enqueue(rows);
    };
    return { dead: () => dead };
  }

  async function restart(): Promise<void> {
    await api?.close();
    api = undefined;
    h = await h.restarted();
  }

  it('given the process dies as it writes the disposition\'s event (the choice is on the calls row), when the app starts again, then call.disposition_set is delivered after the call\'s end, with the id the live event has', async () => {
    const { token } = await connectCrm();
    const base = await startApi();
    const process = dieWhenWriting('call.disposition_set');
    await placeThroughApi(base, token, { agent: '2001', number: '+12025550123', crm: 'HubSpot' }, 'lead-46');
    const callId = await annTakesTheCall();
    await waitFor(() => process.dead(), { what: 'the disposition\'s event lost with the process' });
    await waitFor(() => typesOf(callId).includes('call.ended'), { what: 'the call\'s events before it delivered' });
    expect(typesOf(callId)).not.toContain('call.disposition_set');

    await restart();
    await waitFor(() => typesOf(callId).includes('call.disposition_set'), { what: 'the disposition delivered after the restart', timeoutMs: 15000 });
    expect(typesOf(callId)).toEqual(CALL_EVENTS);
    const told = keptEvents().find((e) => e.type === 'call.disposition_set')!;
    const row = await h.stores.calls.byId(callId);
    expect(told.id).toBe(eventIdOf({ type: 'call.disposition_set', callId, at: row!.dispositionAt!.getTime() }));
    expect(told.data).toMatchObject({ disposition: 'interested', previous: null });
  }, 60000);

  it('given the process dies as it writes the request\'s call.api_requested (the request is kept), when the app starts again, then the request is told, and Ann\'s tap then tells call.api_placed after it', async () => {
    const { token } = await connectCrm();
    const base = await startApi();
    const process = dieWhenWriting('call.api_requested');
    const asked = await placeThroughApi(base, token, { agent: '2001', number: '(202) 555-0123', crm: 'HubSpot' }, 'lead-47');
    const requestId = String(asked.body.requestId);
    await waitFor(() => process.dead(), { what: 'the request\'s event lost with the process' });

    await restart();
    await waitFor(() => typesOf(requestId).length === 1, { what: 'the request told after the restart', timeoutMs: 15000 });
    const requested = keptEvents().find((e) => e.type === 'call.api_requested')!;
    expect(requested.id).toBe(eventIdOf({ type: 'call.api_requested', callId: requestId, at: 0 }));
    expect(requested.data).toMatchObject({ requestId, apiKey: 'hubspot', requester: 'HubSpot', agentTelegramId: '2001', customer: '+12025550123', mode: 'prompt' });
    const callId = await annTakesTheCall();
    await waitFor(() => typesOf(callId).length === CALL_EVENTS.length, { what: 'the call told' });
    expect(typesOf(requestId)).toEqual(['call.api_requested', 'call.api_placed']);
  }, 60000);

  it('given the process dies as it writes call.api_placed (the request is placed, the call runs), when the app starts again, then call.api_placed and the call\'s events are delivered, each once, in order', async () => {
    const { token } = await connectCrm();
    const base = await startApi();
    const process = dieWhenWriting('call.api_placed');
    const asked = await placeThroughApi(base, token, { agent: '2001', number: '+12025550123', crm: 'HubSpot' }, 'lead-48');
    const requestId = String(asked.body.requestId);
    const callId = await annTakesTheCall();
    expect(process.dead()).toBe(true);
    expect(typesOf(requestId)).toEqual(['call.api_requested']);

    await restart();
    await waitFor(() => typesOf(requestId).length === 2 && typesOf(callId).length === CALL_EVENTS.length, { what: 'the rest told after the restart', timeoutMs: 15000 });
    expect(typesOf(requestId)).toEqual(['call.api_requested', 'call.api_placed']);
    expect(keptEvents().find((e) => e.type === 'call.api_placed')!.data).toMatchObject({ requestId, placedCallId: callId });
    expect(typesOf(callId)).toEqual(CALL_EVENTS);
    expect(receiver.accepted.filter((r) => r.event.callId === callId).map((r) => r.event.type)).toEqual(CALL_EVENTS);
  }, 60000);

  it('given the process dies as it writes call.api_declined (Ann tapped Not now), when the app starts again, then the request\'s Not now is delivered after its request', async () => {
    const { token } = await connectCrm();
    const base = await startApi();
    const asked = await placeThroughApi(base, token, { agent: '2001', number: '+12025550123', crm: 'HubSpot' }, 'lead-49');
    const requestId = String(asked.body.requestId);
    await waitFor(() => typesOf(requestId).length === 1, { what: 'the request told' });
    const process = dieWhenWriting('call.api_declined');
    await ann.waitFor(/HubSpot asks you to call/);
    await ann.tap('Not now');
    await waitFor(() => process.dead(), { what: 'the Not now\'s event lost with the process' });

    await restart();
    await waitFor(() => typesOf(requestId).length === 2, { what: 'the Not now told after the restart', timeoutMs: 15000 });
    expect(typesOf(requestId)).toEqual(['call.api_requested', 'call.api_declined']);
  }, 60000);

  it('given the process dies as it writes the call.refused of Ann\'s /call to a number on the do-not-call list (the refused request is on the calls table), when the app starts again, then call.refused is delivered with its rule', async () => {
    await connectCrm();
    expect(await answer(admin, '/dnc add +12025550199 asked')).toMatch(/do-not-call list now/);
    const process = dieWhenWriting('call.refused');
    await answer(ann, '/call +12025550199');
    await waitFor(() => process.dead(), { what: 'the refusal\'s event lost with the process' });

    await restart();
    await waitFor(() => keptEvents().some((e) => e.type === 'call.refused'), { what: 'the refusal told after the restart', timeoutMs: 15000 });
    const refused = keptEvents().find((e) => e.type === 'call.refused')!;
    expect(refused.id).toBe(eventIdOf({ type: 'call.refused', callId: refused.callId, at: 0 }));
    expect(refused.data).toMatchObject({ agentId: expect.any(Number), customer: '+12025550199', refusal: 'rule', rule: { record: expect.stringContaining('do_not_call') } });
  }, 60000);

  it('given a CRM\'s request Ann taps when the number was put on the do-not-call list meanwhile, then one call.refused is told, the request\'s, after its call.api_requested; and a process that dies as it writes it tells it after the restart', async () => {
    const { token } = await connectCrm();
    const base = await startApi();
    const asked = await placeThroughApi(base, token, { agent: '2001', number: '+12025550123', crm: 'HubSpot' }, 'lead-50');
    const requestId = String(asked.body.requestId);
    await waitFor(() => typesOf(requestId).length === 1, { what: 'the request told' });
    expect(await answer(admin, '/dnc add +12025550123 asked')).toMatch(/do-not-call list now/);
    const process = dieWhenWriting('call.refused');
    await ann.waitFor(/HubSpot asks you to call/);
    const before = ann.messages().length;
    await ann.tap('📞 Call');
    await ann.waitForNew(before);
    await waitFor(() => process.dead(), { what: 'the refusal\'s event lost with the process' });

    await restart();
    await waitFor(() => typesOf(requestId).length === 2, { what: 'the refusal told after the restart', timeoutMs: 15000 });
    expect(typesOf(requestId)).toEqual(['call.api_requested', 'call.refused']);
    expect(keptEvents().find((e) => e.type === 'call.refused')!.data).toMatchObject({ requestId, refusal: 'rule', record: expect.stringContaining('do_not_call') });
    // The refused call's own row is not told a second time.
    await h.webhooks!.checkedMissedEnds();
    await waitFor(async () => (await h.stores.webhookDeliveries.pendingCount()) === 0, { what: 'the queue empty', timeoutMs: 15000 });
    expect(keptEvents().filter((e) => e.type === 'call.refused')).toHaveLength(1);
  }, 60000);

  it('given a prompted request Ann tapped, when the CRM repeats it with the same Idempotency-Key, then the answer is the placed call with its id', async () => {
    const { token } = await connectCrm();
    const base = await startApi();
    const body = { agent: '2001', number: '+12025550123', crm: 'HubSpot' };
    const asked = await placeThroughApi(base, token, body, 'lead-52');
    expect(await placeThroughApi(base, token, body, 'lead-52')).toEqual(asked);
    const callId = await annTakesTheCall();
    expect(await placeThroughApi(base, token, body, 'lead-52')).toEqual({
      status: 202, body: { requestId: asked.body.requestId, state: 'placed', agent: '2001', number: '+12025550123', callId },
    });
  }, 60000);
});
