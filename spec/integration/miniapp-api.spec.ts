import { ADMIN_ID, BotHarness, type TestUser } from '../support/bot-harness';
import { MiniAppService } from '../support/miniapp-service';
import { waitFor } from '../support/wait-for';

/** The Mini App's HTTP side on the ARI simulator: sign-in by initData, and calls placed through the same desk as /call. */
describe('miniapp: API', () => {
  let h: BotHarness;
  let app: MiniAppService;
  let ann: TestUser;
  const annUser = { id: 2001, first_name: 'Ann' };

  beforeEach(async () => {
    h = await BotHarness.start();
    await h.verifiedCallerIds(['+15551234567']);
    await h.stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: '+15551234567', by: String(ADMIN_ID), displayName: 'Ann' });
    await h.stores.agents.setRoute('2001', 'M');
    ann = h.user(2001, 'Ann', 'ann');
    app = await MiniAppService.start(h);
  });

  afterEach(async () => {
    await app.stop();
    await h.stop();
  });

  async function post(path: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${app.url}/app/api/${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() as Record<string, unknown> };
  }

  async function get(path: string, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${app.url}/app/api/${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, body: await response.json() as Record<string, unknown> };
  }

  async function signIn(user: { id: number; first_name: string }): Promise<string> {
    const answer = await post('session', { initData: app.initDataFor(user) });
    expect(answer.status).toBe(200);
    return answer.body.token as string;
  }

  it('given initData signed with the bot\'s token, when an agent signs in, then they get a session with their role, route and caller ID', async () => {
    const answer = await post('session', { initData: app.initDataFor(annUser) });
    expect(answer).toMatchObject({ status: 200, body: { me: { telegramId: '2001', name: 'Ann', role: 'agent', watches: false, agent: { route: 'M', callerId: '+15551234567' } }, region: 'US' } });
  });

  it.each([
    ['signed with another bot\'s token', { token: '42:another-bot' }, 'bad_hash'],
    ['older than MINIAPP_INITDATA_MAX_AGE_S', { ageS: 3601 }, 'stale'],
  ])('given initData %s, when signing in, then 401 with the reason', async (_what, opts, reason) => {
    const answer = await post('session', { initData: app.initDataFor(annUser, opts) });
    expect(answer).toMatchObject({ status: 401, body: { error: 'initdata_refused', reason } });
  });

  it('given a Telegram user the bot does not know, when signing in with a valid initData, then 403: not allowed', async () => {
    const answer = await post('session', { initData: app.initDataFor({ id: 4242, first_name: 'Eve' }) });
    expect(answer).toMatchObject({ status: 403, body: { error: 'not_allowed', reason: 'unknown' } });
  });

  it('given no session or a forged token, when the API is called, then 401 and nothing is dialed', async () => {
    expect((await post('calls', { number: '+12025550123' })).status).toBe(401);
    expect((await post('calls', { number: '+12025550123' }, '2001.99999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(401);
    expect(h.sim.invites()).toEqual([]);
  });

  it('given an agent signed in, when they are revoked, then their next request is refused with 403', async () => {
    const token = await signIn(annUser);
    await h.stores.agents.revoke('2001');
    expect(await post('calls', { number: '+12025550123' }, token)).toMatchObject({ status: 403, body: { reason: 'revoked' } });
  });

  it('given an agent, when they place a call from the app, then it goes out as /call\'s do, the chat shows its status, and Hang up ends it', async () => {
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 50 } : undefined));
    const token = await signIn(annUser);
    const placed = await post('calls', { number: '(202) 555-0123' }, token);
    expect(placed.status).toBe(200);
    const callId = placed.body.callId as string;
    await ann.waitFor(/Connected/, 10000);
    expect((await get('calls/live', token)).body).toMatchObject({ call: { callId, stage: 'connected', customer: '+1 202-555-0123', route: 'M', callerId: '+15551234567' } });
    expect(await post(`calls/${callId}/hangup`, {}, token)).toMatchObject({ status: 200 });
    await ann.waitFor(/Call ended/, 10000);
    await h.engine.settled();
    const recent = await get('recent', token);
    expect(recent.body.calls).toEqual([expect.objectContaining({ callId, number: '+12025550123', route: 'M' })]);
    expect(h.sim.invites().map((i) => i.endpoint)).toEqual(['PJSIP/+15551230001@trunk-main', 'PJSIP/+12025550123@trunk-main']);
  });

  it('given a connected call, when its agent transfers it to a free colleague from the app, then the party desk dials the colleague', async () => {
    await h.stores.agents.authorize({ telegramId: '2002', phone: '+15551230002', callerId: null, by: String(ADMIN_ID), displayName: 'Bob' });
    await h.stores.agents.setRoute('2002', 'M');
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 50 } : undefined));
    const token = await signIn(annUser);
    const callId = (await post('calls', { number: '+12025550123' }, token)).body.callId as string;
    await ann.waitFor(/Connected/, 10000);
    const candidates = await get(`calls/${callId}/transfer-candidates`, token);
    const bob = await h.stores.agents.byTelegramId('2002');
    expect(candidates.body).toEqual({ agents: [{ agentId: bob!.id, label: expect.stringContaining('Bob') }] });
    expect(await post(`calls/${callId}/transfer`, { mode: 'cold', agentId: bob!.id }, token)).toMatchObject({ status: 200, body: { ok: true } });
    await waitFor(() => h.sim.invites().some((i) => i.endpoint === 'PJSIP/+15551230002@trunk-main'), { what: 'the colleague\'s phone dialed' });
  });

  it('given an agent with no call, when the page opens its event stream, then the stream answers at once, not with its first event or keepalive', async () => {
    const token = await signIn(annUser);
    // The keepalive comes after 15 s: a head held back until then fails this bound.
    const response = await fetch(`${app.url}/app/api/events?token=${encodeURIComponent(token)}`, { signal: AbortSignal.timeout(5000) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    await response.body?.cancel();
  });

  it('given an admin who is also an active agent, when they sign in, then they get both the dialer and the wallboard', async () => {
    await h.stores.agents.authorize({ telegramId: String(ADMIN_ID), phone: '+15551230009', callerId: null, by: String(ADMIN_ID), displayName: 'Ada' });
    const answer = await post('session', { initData: app.initDataFor({ id: ADMIN_ID, first_name: 'Ada' }) });
    expect(answer).toMatchObject({ status: 200, body: { me: { role: 'admin', watches: true, agent: { phone: '+15551230009' } } } });
  });

  it('given a number the policy refuses, when placed from the app, then 422 with the same words as /call, and nothing is dialed', async () => {
    const token = await signIn(annUser);
    const answer = await post('calls', { number: '12' }, token);
    expect(answer).toMatchObject({ status: 422, body: { error: 'call_refused', refusal: 'invalid_number', message: expect.stringMatching(/^❌/) } });
    expect(h.sim.invites()).toEqual([]);
  });

  it('given no session and a malformed body, when placing a call, then 401 before the body is read', async () => {
    const response = await fetch(`${app.url}/app/api/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"number":' });
    expect(response.status).toBe(401);
  });

  it('given a malformed body, when placing a call, then 400 and nothing is dialed', async () => {
    const token = await signIn(annUser);
    const response = await fetch(`${app.url}/app/api/calls`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"number":' });
    expect(response.status).toBe(400);
    expect(h.sim.invites()).toEqual([]);
  });

  it('given an agent and an admin, when each asks for the wallboard, then the agent is refused and the admin sees agents by state and today\'s figures', async () => {
    const agentToken = await signIn(annUser);
    const adminToken = await signIn({ id: ADMIN_ID, first_name: 'Admin' });
    expect((await get('wallboard', agentToken)).status).toBe(403);
    const board = await get('wallboard', adminToken);
    expect(board).toMatchObject({ status: 200, body: { liveCalls: [], agents: [{ name: 'Ann', state: 'idle' }], today: { calls: 0, answerRatePct: 0 }, actions: [] } });
  });

  it('given the supervisors\' capability, when a supervisor signs in, then they watch the wallboard with its actions, and an action goes to the capability', async () => {
    await app.stop();
    const acted: unknown[] = [];
    app = await MiniAppService.start(h, {
      supervisors: {
        isSupervisor: async (telegramId) => telegramId === '3001',
        actions: ['listen', 'whisper', 'barge'],
        act: async (callId, action, by) => { acted.push({ callId, action, by }); return { ok: true }; },
      },
    });
    const signedIn = await post('session', { initData: app.initDataFor({ id: 3001, first_name: 'Sue' }) });
    expect(signedIn).toMatchObject({ status: 200, body: { me: { role: 'supervisor', watches: true } } });
    const token = signedIn.body.token as string;
    expect((await get('wallboard', token)).body).toMatchObject({ actions: ['listen', 'whisper', 'barge'] });
    expect(await post('calls/some-call/supervise', { action: 'whisper' }, token)).toMatchObject({ status: 200 });
    expect(acted).toEqual([{ callId: 'some-call', action: 'whisper', by: { telegramId: '3001', isAdmin: false } }]);
    expect((await post('calls', { number: '+12025550123' }, token)).status).toBe(403);
  });
});
