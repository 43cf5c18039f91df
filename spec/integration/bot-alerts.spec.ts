import { ALERT, T } from '../../telegram/texts';
import { ADMIN_ID, BotHarness, type TestUser, UNPACED_OUTBOX } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';

/** Every alert off but the one a spec turns on, at a threshold a spec reaches in a few calls. */
const ALERTS_OFF = { ALERT_RATE_CALLS: 'off', ALERT_SHORT_CALLS_IN_A_ROW: 'off', ALERT_REFUSALS: 'off' } as const;
const BUSY = '+12025550486';
const ANSWERS = '+12025550123';

/** Abuse alerts to super admins and the Suspend button, through the local Bot API server and the ARI simulator. */
describe('bot: abuse alerts', () => {
  let h: BotHarness;
  let agent: TestUser;
  let admin: TestUser;

  async function startWith(env: Record<string, string>) {
    h = await BotHarness.start({ env: { ...ALERTS_OFF, ...env }, outboxLimits: UNPACED_OUTBOX });
    await h.stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', by: String(ADMIN_ID), displayName: 'Ann', username: 'ann' });
    await h.stores.agents.setRoute('2001', 'M');
    agent = h.user(2001, 'Ann', 'ann');
    admin = h.user(ADMIN_ID, 'Ada', 'ada');
  }

  afterEach(() => h.stop());

  const alerts = () => admin.messages().filter((m) => m.text.startsWith('🚨 Abuse alert'));
  const legRequests = () => h.sim.requests().filter((r) => r.method === 'POST' && r.path.startsWith('/ari/channels') && !r.path.includes('/play'));

  /** Sends a command as the agent and waits for the reply or status it gets. */
  async function agentSends(text: string, reply: RegExp): Promise<void> {
    const before = agent.messages().length;
    await agent.send(text);
    await agent.waitFor(reply, 8000, before);
  }

  const busyCall = () => agentSends(`/call ${BUSY}`, /❌ Busy/);

  it.each<{ kind: string; env: Record<string, string>; calls: number; number: string; reply: RegExp; measure: string }>([
    { kind: 'call rate', env: { ALERT_RATE_CALLS: '2' }, calls: 3, number: BUSY, reply: /❌ Busy/,
      measure: '3 calls placed in the last 10 min (the alert is for more than 2).' },
    { kind: 'short or failed calls', env: { ALERT_SHORT_CALLS_IN_A_ROW: '2' }, calls: 2, number: BUSY, reply: /❌ Busy/,
      measure: '2 calls in a row ended with less than 10 s of talk, or unanswered (the alert is for 2).' },
    { kind: 'refused calls', env: { ALERT_REFUSALS: '2', CALLING_HOURS: 'closed' }, calls: 2, number: ANSWERS, reply: /no calls are allowed/,
      measure: '2 calls refused by the do-not-call list or the calling hours in the last 1 h (the alert is for 2).' },
  ])('given an agent reaching the $kind threshold, then every super admin gets one alert naming the agent, with the Suspend button', async ({ kind, env, calls, number, reply, measure }) => {
    await startWith({ ...env, SUPER_ADMIN_IDS: `${ADMIN_ID},1001` });
    for (let i = 0; i < calls - 1; i += 1) await agentSends(`/call ${number}`, reply);
    expect(alerts()).toEqual([]);

    await agentSends(`/call ${number}`, reply);

    const alert = await admin.waitFor(/^🚨 Abuse alert/);
    expect(alert.text.split('\n').slice(0, 3)).toEqual([`🚨 Abuse alert: ${kind}`, 'Agent: Ann (@ann, id 2001)', measure]);
    expect(alert.buttons.map((b) => b.text)).toEqual([ALERT.suspendButton]);
    expect(alert.buttons[0]!.data).toMatch(/^sa:[0-9a-f]{16}$/);
    const copy = await h.user(1001, 'Eve').waitFor(/^🚨 Abuse alert/);
    expect(copy.text).toBe(alert.text);
    expect(alerts()).toHaveLength(1);
  });

  it('given a storm of repeats, then it stays one message, edited with the count; Suspend ends the live call, refuses the next /call, is audited, and /authorize restores the agent', async () => {
    await startWith({ ALERT_RATE_CALLS: '2' });
    for (let i = 0; i < 3; i += 1) await busyCall();
    await admin.waitFor(/^🚨 Abuse alert: call rate/);
    await busyCall();
    await waitFor(() => alerts()[0]?.text.includes('4 calls placed'), { timeoutMs: 8000, what: 'the alert edited with the fourth call' });
    expect(alerts()[0]!.text).toMatch(/Fired 2 times since \d\d:\d\d UTC, last at \d\d:\d\d UTC\./);

    // A call the agent is on when the admin acts.
    await agentSends(`/call ${ANSWERS}`, /🟢 Connected/);
    await waitFor(() => alerts()[0]?.text.includes('5 calls placed'), { timeoutMs: 8000, what: 'the alert edited with the fifth call' });
    expect(alerts()).toHaveLength(1);
    const status = agent.last()!;

    await admin.tap(ALERT.suspendButton);

    await admin.waitFor(/^⛔ Agent 2001 is suspended\. Their live call was ended\. \/authorize 2001 <phone> restores them\.$/);
    await agent.waitFor(/suspended after an abuse alert/);
    await waitFor(() => h.engine.liveCalls().length === 0 && h.sim.channels().length === 0, { what: 'the live call ended' });
    await waitFor(() => /^📴 Call ended/.test(agent.messages().find((m) => m.messageId === status.messageId)?.text ?? ''), { what: 'the status shows the end' });
    await waitFor(() => alerts()[0]?.text.includes(`⛔ Suspended by ${ADMIN_ID}`) && alerts()[0]?.buttons.length === 0, { timeoutMs: 8000, what: 'the alert shows the suspension, without its button' });
    expect((await h.stores.audit.latest(1))[0]).toMatchObject({
      actor: String(ADMIN_ID), action: 'suspend', subject: '2001', details: expect.stringMatching(/^alert call_rate \(count=5\), ended live call [0-9a-f-]{36}$/),
    });
    const beforeAgents = admin.messages().length;
    await admin.send('/agents');
    expect((await admin.waitForNew(beforeAgents)).text).toContain('Ann (@ann, id 2001) · suspended');

    const dialed = legRequests().length;
    await agentSends(`/call ${ANSWERS}`, /^⛔ Your access to this bot is suspended/);
    await agentSends('/start', /^⛔ Your access to this bot is suspended/);
    expect(legRequests()).toHaveLength(dialed);

    const beforeAuthorize = admin.messages().length;
    await admin.send('/authorize 2001 +12025550101');
    expect((await admin.waitForNew(beforeAuthorize)).text).toMatch(/^✅ Agent 2001 is authorized/);
    await agent.waitFor(/You are now authorized/);
    // Restored, the agent starts afresh: one more call is no alert.
    await busyCall();
    expect(alerts()).toHaveLength(1);
    expect((await h.stores.agents.byTelegramId('2001'))?.status).toBe('active');
  }, 60000);

  it('given an agent tapping "Yes, Switch Route" fifteen times as the admin taps Suspend, then the agent stays suspended and their /call dials nothing', async () => {
    await startWith({ ALERT_RATE_CALLS: '2' });
    for (let i = 0; i < 3; i += 1) await busyCall();
    const alert = await admin.waitFor(/^🚨 Abuse alert: call rate/);
    const dialed = legRequests().length;

    const taps = Array.from({ length: 15 }, (_, i) => () => agent.tapData(i % 2 ? 'ry:M' : 'ry:D'));
    taps.splice(1, 0, () => admin.tapData(alert.buttons[0]!.data, alert.messageId));
    await Promise.all(taps.map((tap) => tap()));
    await admin.waitFor(/^⛔ Agent 2001 is suspended\./);

    // Handled after every tap (the chat's order): what the agent can do now, the taps done.
    await agentSends(`/call ${ANSWERS}`, /^⛔ Your access to this bot is suspended/);
    expect((await h.stores.agents.byTelegramId('2001'))?.status).toBe('suspended');
    expect(legRequests()).toHaveLength(dialed);
  }, 60000);

  it('given the Suspend button, then a tap by anyone but a super admin, forged data and a second tap are refused', async () => {
    await startWith({ ALERT_RATE_CALLS: '1' });
    await h.stores.agents.authorize({ telegramId: '2002', phone: '+15551230002', by: String(ADMIN_ID) });
    const other = h.user(2002, 'Bob');
    const answered = jest.spyOn(h.out, 'answer');
    await busyCall();
    await busyCall();
    const data = (await admin.waitFor(/^🚨 Abuse alert/)).buttons[0]!.data;
    const answerTo = (n: number) => waitFor(() => answered.mock.calls[n], { what: `callback answer ${n + 1}` });

    await other.tapData(data);
    expect((await answerTo(0)).slice(1)).toEqual([T.notAllowed, true]);
    await agent.tapData(data);
    expect((await answerTo(1)).slice(1)).toEqual([T.notAllowed, true]);
    await h.user(6666, 'Mallory').tapData(data);
    expect((await answerTo(2)).slice(1)).toEqual([T.notAllowed, true]);
    await admin.tapData('sa:0123456789abcdef');
    expect((await answerTo(3)).slice(1)).toEqual([ALERT.staleAlert, true]);
    expect((await h.stores.agents.byTelegramId('2001'))?.status).toBe('active');
    expect((await h.stores.audit.latest(20)).filter((e) => e.action === 'suspend')).toEqual([]);

    await admin.tapData(data);
    await admin.waitFor(/^⛔ Agent 2001 is suspended\./);
    await admin.tapData(data);
    expect((await answerTo(5)).slice(1)).toEqual([ALERT.staleAlert, true]);
    expect((await h.stores.audit.latest(20)).filter((e) => e.action === 'suspend')).toHaveLength(1);
  });
});
