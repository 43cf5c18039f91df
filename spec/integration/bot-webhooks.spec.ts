import { verifyWebhook } from '../../webhooks/webhook-signature';
import { ADMIN_ID, type BotHarness, type TestUser } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';
import { addReceiver as addReceiverAs, answer, startWebhookBot, stopWebhookBot } from '../support/webhook-bot';
import type { WebhookReceiver } from '../support/webhook-receiver';

/**
 * Signed webhooks out through the whole app: super admins manage the endpoints with /webhooks over
 * the local Bot API server, and calls placed with /call on the ARI simulator reach a receiver on
 * 127.0.0.1 as signed events, in order, across a restart.
 */
describe('bot: signed webhooks out', () => {
  let h: BotHarness;
  let admin: TestUser;
  let ann: TestUser;
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    ({ h, admin, ann, receiver } = await startWebhookBot({ webhooks: { settings: { timeoutMs: 1000 } } }));
  });

  afterEach(() => stopWebhookBot(h, receiver));

  /** Adds the receiver as an endpoint from Telegram; the secret the reply showed. */
  const addReceiver = async (events = ''): Promise<string> => (await addReceiverAs(admin, receiver, events)).secret;

  const typesOf = (callId: string) => receiver.accepted.filter((r) => r.event.callId === callId).map((r) => r.event.type);

  it('given the admin, when they add, list and remove endpoints, then bad input gets a clear answer, the secret is shown once, and the audit log keeps the origin only', async () => {
    for (const [command, expected] of [
      ['/webhooks frobnicate', /^Usage: \/webhooks \(lists them\)/],
      ['/webhooks add', /^Usage: \/webhooks/],
      ['/webhooks add crm.example.com/hooks', /^❌ That is not a URL/],
      ['/webhooks add ftp://crm.example.com/hooks', /^❌ Only http:\/\/ and https:\/\/ URLs/],
      ['/webhooks add https://user:pw@crm.example.com/hooks', /^❌ The URL holds a user name or password/],
      ['/webhooks add https://crm.example.com/hooks ended,sold', /^❌ Unknown event: sold\. Known: requested, refused,/],
      ['/webhooks remove', /^Usage: \/webhooks remove <id>/],
      ['/webhooks remove 12', /^There is no webhook #12\./],
      ['/webhooks', /^No webhooks yet\./],
    ] as const) {
      expect(await answer(admin, command)).toMatch(expected);
    }
    expect(await answer(ann, '/webhooks')).not.toMatch(/webhook/i);

    const added = await answer(admin, '/webhooks add https://crm.example.com/hooks/t0ken ended disposition_set');
    expect(added).toMatch(/^✅ Webhook #1 added: https:\/\/crm\.example\.com\/hooks\/t0ken \(ended, disposition_set\)\./);
    const secret = /^whsec_\S+$/m.exec(added)![0];
    const listed = await answer(admin, '/webhooks');
    expect(listed).toMatch(/^Webhooks \(1\):\n\n#1 https:\/\/crm\.example\.com\/hooks\/t0ken — ended, disposition_set\n {2}Last delivered: never\n {2}Queued: 0 · given up: 0$/);
    expect(listed).not.toContain(secret);
    expect(await answer(admin, '/webhooks remove #1')).toBe('✅ Webhook #1 removed, with the events still queued for it.');
    expect(await answer(admin, '/webhooks')).toMatch(/^No webhooks yet\./);

    const audit = (await h.stores.audit.latest(20)).filter((e) => e.action.startsWith('webhook_')).reverse();
    expect(audit.map((e) => ({ actor: e.actor, action: e.action, subject: e.subject, details: e.details }))).toEqual([
      { actor: String(ADMIN_ID), action: 'webhook_added', subject: '1', details: 'https://crm.example.com call.ended,call.disposition_set' },
      { actor: String(ADMIN_ID), action: 'webhook_removed', subject: '1', details: '' },
    ]);
    expect(JSON.stringify(audit)).not.toContain(secret);
  }, 30000);

  it('given an endpoint, when an agent\'s call connects, ends and gets its outcome, and a call is refused, then the receiver gets every event signed, in order', async () => {
    const secret = await addReceiver();
    expect(await answer(admin, '/dnc add +12025550199 asked')).toMatch(/do-not-call list now/);
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 50, hangupAfterMs: 300 } : undefined));

    const before = ann.messages().length;
    await ann.send('/call +12025550123');
    const status = await ann.waitFor(/Call ended/, 15000, before);
    const callId = status.buttons.find((b) => b.text === 'Interested')!.data.split(':')[2]!;
    await ann.tap('Interested');
    await ann.send('/call +12025550199');

    await waitFor(() => typesOf(callId).length === 7 && receiver.accepted.some((r) => r.event.type === 'call.refused'), { what: 'every event delivered', timeoutMs: 10000 });
    expect(typesOf(callId)).toEqual([
      'call.requested', 'call.agent_ringing', 'call.agent_answered', 'call.customer_ringing', 'call.connected', 'call.ended', 'call.disposition_set',
    ]);
    const byType = (type: string) => receiver.accepted.find((r) => r.event.type === type)!.event;
    expect(byType('call.ended').data).toMatchObject({ outcome: 'completed', talkSeconds: expect.any(Number), customer: '+12025550123' });
    expect(byType('call.disposition_set').data).toMatchObject({ disposition: 'interested', previous: null });
    expect(byType('call.refused').data).toMatchObject({ refusal: 'rule', customer: '+12025550199', rule: { rule: 'do_not_call' } });
    for (const r of receiver.requests) expect(verifyWebhook(secret, String(r.headers['callbot-signature']), r.body, Date.now() / 1000)).toBe(true);

    const listed = await answer(admin, '/webhooks');
    expect(listed).toMatch(/Last delivered: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(HTTP 200\)\n {2}Queued: 0 · given up: 0$/);
  }, 30000);

  it('given a receiver that is failing while a call runs, when the app restarts and the receiver recovers, then the restarted app delivers the call\'s events in order, and /webhooks showed the failures meanwhile', async () => {
    await addReceiver('requested connected ended');
    receiver.answer = () => 503;
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 50, hangupAfterMs: 200 } : undefined));
    const before = ann.messages().length;
    await ann.send('/call +12025550123');
    await ann.waitFor(/Call ended/, 15000, before);
    await waitFor(() => receiver.requests.length >= 1, { what: 'the first attempt' });
    await waitFor(async () => /Queued: 3 \(1 retrying\) · given up: 0\n {2}Last failure: .+ \(HTTP 503\)$/.test(await answer(admin, '/webhooks')), { what: 'the failure shown', timeoutMs: 10000 });

    h = await h.restarted();
    admin = h.user(ADMIN_ID, 'Ada', 'ada_admin');
    receiver.answer = () => 200;

    await waitFor(() => receiver.accepted.length === 3, { what: 'the queued events delivered after the restart', timeoutMs: 15000 });
    expect(receiver.accepted.map((r) => r.event.type)).toEqual(['call.requested', 'call.connected', 'call.ended']);
    expect(receiver.requests.filter((r) => r.status === 503).every((r) => r.event.type === 'call.requested')).toBe(true);
  }, 40000);
});
