import { apiPlugin } from '../../api/api-plugin';
import { DncService } from '../../compliance/dnc-service';
import { silentLogger } from '../../config/logger';
import { type HttpServer, startHttpServer } from '../../http/http-server';
import { INTEGRATION_TEXT } from '../../telegram/texts';
import { ADMIN_ID, BotHarness, type TestUser } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';

/**
 * The HTTP API's side in Telegram, through the local Bot API server, the real adapter and the ARI
 * simulator: a CRM's call request over HTTP and Ann's tap, her /settings switch, click-to-call links
 * and /apikeys.
 */
describe('bot: integration calls and click-to-call links', () => {
  let h: BotHarness;
  let ann: TestUser;
  let api: HttpServer | undefined;

  beforeEach(async () => {
    h = await BotHarness.start({ integration: true });
    await h.verifiedCallerIds(['+15551234567']);
    await h.stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: '+15551234567', by: String(ADMIN_ID), displayName: 'Ann' });
    await h.stores.agents.setRoute('2001', 'M');
    ann = h.user(2001, 'Ann', 'ann');
  });

  afterEach(async () => {
    await api?.close();
    api = undefined;
    await h.stop();
  });

  /** The API on 127.0.0.1, wired to the harness's bot as app/main.ts wires it; a key with calls:place. */
  async function crm(): Promise<(body: unknown, idempotencyKey: string) => Promise<{ status: number; body: Record<string, unknown> }>> {
    const { stores, config } = h;
    const dnc = new DncService({ dnc: stores.dnc, calls: stores.calls, audit: stores.audit, numbers: config });
    api = await startHttpServer({
      host: '127.0.0.1', port: 0, bodyLimitBytes: 4096, logger: silentLogger(),
      parts: [apiPlugin({ keys: h.apiKeys!, calls: h.integration!, pages: stores.callPages, dnc, audit: stores.audit, config, logger: silentLogger() })],
    });
    const made = await h.apiKeys!.create(String(ADMIN_ID), 'hubspot', ['calls:place']);
    if (!made.ok) throw new Error(made.refusal);
    const url = `http://127.0.0.1:${api.address.port}/v1/calls`;
    return async (body, idempotencyKey) => {
      const response = await fetch(url, {
        method: 'POST', body: JSON.stringify(body),
        headers: { authorization: `Bearer ${made.token}`, 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      });
      return { status: response.status, body: await response.json() as Record<string, unknown> };
    };
  }

  /** A call's status message, whichever stage it shows by now (edits a second apart may skip the first). */
  const CALL_STATUS = /Calling your phone|is ringing|You answered|Ringing|Connected|Call ended/;

  const legRequests = () => h.sim.requests().filter((r) => r.method === 'POST' && r.path.startsWith('/ari/channels') && !r.path.includes('/play'));

  it('given a CRM asks over HTTP for Ann to call a customer, when she taps 📞 Call, then the call is placed as /call places it, once, and the request holds its call id', async () => {
    const post = await crm();
    const answer = await post({ agent: '2001', number: '(202) 555-0123', crm: 'HubSpot' }, 'lead-42');
    expect(answer).toMatchObject({ status: 202, body: { state: 'prompted', number: '+12025550123' } });
    const prompt = await ann.waitFor(/asks you to call/);
    expect(prompt.text).toBe('📞 HubSpot asks you to call +1 202-555-0123');
    expect(prompt.buttons.map((b) => b.text)).toEqual(['📞 Call', 'Not now']);
    expect(legRequests()).toEqual([]);

    const callData = prompt.buttons[0]!.data;
    await ann.tap('📞 Call');
    await ann.waitFor(CALL_STATUS);
    const requestId = String(answer.body.requestId);
    const row = await waitFor(async () => {
      const r = await h.stores.apiCallRequests.byId(requestId);
      return r?.state === 'placed' ? r : undefined;
    }, { what: 'the request placed' });
    expect(row.callId).toEqual(expect.any(String));
    await waitFor(() => h.sim.invites().some((i) => i.endpoint === 'PJSIP/+15551230001@trunk-main'), { what: 'Ann\'s phone rung' });

    // A second tap on the same prompt (another client of Ann's) places nothing more.
    const answers: string[] = [];
    const answerOf = h.out.answer.bind(h.out);
    h.out.answer = (...args) => { answers.push(args[1] ?? ''); return answerOf(...args); };
    await ann.tapData(callData, prompt.messageId);
    await waitFor(() => answers.includes(INTEGRATION_TEXT.taken), { what: 'the second tap answered' });
    expect(h.sim.invites().filter((i) => i.endpoint === 'PJSIP/+15551230001@trunk-main')).toHaveLength(1);
    // The same request again prompts nobody twice: it answers with the call the tap placed.
    expect(await post({ agent: '2001', number: '(202) 555-0123', crm: 'HubSpot' }, 'lead-42')).toEqual({
      status: 202, body: { ...answer.body, state: 'placed', callId: row.callId },
    });
  }, 30000);

  it('given a prompt, when Ann taps Not now, then nothing is dialed and the request is declined', async () => {
    const post = await crm();
    const answer = await post({ agent: '2001', number: '+12025550123' }, 'lead-43');
    await ann.waitFor(/hubspot asks you to call/);
    await ann.tap('Not now');
    await waitFor(async () => (await h.stores.apiCallRequests.byId(String(answer.body.requestId)))?.state === 'declined', { what: 'the request declined' });
    expect(legRequests()).toEqual([]);
  }, 20000);

  it('given Ann turns on "accept CRM calls without asking" in /settings, when a CRM asks, then the call is placed at once and 202 carries its id', async () => {
    await ann.send('/settings');
    const settings = await ann.waitFor(/Calls from your CRM: asked first/);
    expect(settings.buttons.map((b) => b.text)).toContain(INTEGRATION_TEXT.autoOnButton);
    await ann.tap(INTEGRATION_TEXT.autoOnButton);
    await ann.waitFor(/now placed at once/);
    expect((await h.stores.audit.latest(5)).map((e) => [e.actor, e.action, e.details])).toContainEqual(['2001', 'integration_calls_auto', 'on']);

    const post = await crm();
    const answer = await post({ agent: '2001', number: '+12025550123', crm: 'HubSpot' }, 'lead-44');
    expect(answer).toMatchObject({ status: 202, body: { state: 'placed', callId: expect.any(String) } });
    await ann.waitFor(/HubSpot asked for a call to \+1 202-555-0123/);
    await ann.waitFor(CALL_STATUS);
  }, 20000);

  it('given a click-to-call link, when Ann opens it and taps 📞 Call, then the call is placed through every rule', async () => {
    await ann.send('/start call_12025550123');
    const question = await ann.waitFor(/Call \+1 202-555-0123\?/);
    expect(question.text).toBe('📞 Call +1 202-555-0123?');
    expect(question.buttons.map((b) => b.text)).toEqual(['📞 Call', 'Cancel']);
    await ann.tap('📞 Call');
    await ann.waitFor(CALL_STATUS);
  }, 20000);

  it('given a number on the do-not-call list, when Ann taps a link\'s 📞 Call, then the rule refuses it and nothing is dialed', async () => {
    await h.stores.dnc.add('+12025550123', { kind: 'admin', addedBy: String(ADMIN_ID), reason: 'asked' });
    await ann.send('/start call_12025550123');
    await ann.waitFor(/Call \+1 202-555-0123\?/);
    await ann.tap('📞 Call');
    await ann.waitFor(/do-not-call/i);
    expect(legRequests()).toEqual([]);
  }, 20000);

  it.each([
    ['a parameter that is not a call link', '/start hello', /does not hold a number/],
    ['digits that make no number', '/start call_123', /too short/i],
    ['an emergency number', '/start call_911', /./],
    ['a premium number', '/start call_19005550123', /premium/i],
    ['a parameter longer than Telegram allows', `/start call_${'1'.repeat(70)}`, /does not hold a number/],
  ])('given %s, then Ann is told, and nothing is dialed', async (_what, text, answer) => {
    await ann.send(text);
    const reply = await ann.waitFor(/./);
    expect(reply.text).toMatch(answer);
    expect(reply.buttons).toEqual([]);
    expect(legRequests()).toEqual([]);
  }, 20000);

  it('given a user without access, when they open a link, then they get /start\'s access request, not a call', async () => {
    const stranger = h.user(3001, 'Sam', 'sam');
    await stranger.send('/start call_12025550123');
    const reply = await stranger.waitFor(/./);
    expect(reply.text).not.toMatch(/Call \+1/);
    expect(reply.text).toContain('3001');
  }, 20000);

  it('given a super admin, when they add, list and revoke a key, then the token is shown once and never listed, and an agent may not use /apikeys', async () => {
    const admin = h.user(ADMIN_ID, 'Admin', 'admin');
    await admin.send('/apikeys add hubspot calls:place calls:read 120');
    const made = await admin.waitFor(/Key hubspot made/);
    const token = /(cb\.hubspot\.[A-Za-z0-9_-]{43})/.exec(made.text)?.[1];
    expect(token).toBeDefined();
    expect(await h.apiKeys!.authenticate(token)).toMatchObject({ name: 'hubspot', ratePerMin: 120 });
    let before = admin.messages().length;
    await admin.send('/apikeys');
    const list = await admin.waitForNew(before);
    expect(list.text).toMatch(/🔑 hubspot · calls:place, calls:read · 120\/min/);
    expect(list.text).not.toContain(token!);
    before = admin.messages().length;
    await admin.send('/apikeys add bad calls:everything');
    expect((await admin.waitForNew(before)).text).toBe(INTEGRATION_TEXT.keyRefused.unknown_scope);
    await admin.send('/apikeys revoke hubspot');
    await admin.waitFor(/Key hubspot revoked/);
    expect(await h.apiKeys!.authenticate(token)).toBeUndefined();
    expect((await h.stores.audit.latest(5)).map((e) => e.action)).toEqual(expect.arrayContaining(['api_key_created', 'api_key_revoked']));

    await ann.send('/apikeys');
    expect((await ann.waitFor(/./)).text).not.toMatch(/API keys|Key /);
  }, 20000);
});
