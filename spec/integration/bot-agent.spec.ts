import { T } from '../../telegram/texts';
import { ADMIN_ID, BotHarness, type TestUser } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';

/** The agent's and the admin's experience, through the local Bot API server and the ARI simulator. */
describe('bot: access, routes and settings', () => {
  let h: BotHarness;
  let admin: TestUser;

  beforeEach(async () => {
    h = await BotHarness.start();
    await h.verifiedCallerIds(['+15551234567']);
    admin = h.user(ADMIN_ID, 'Ada', 'ada_admin');
  });

  afterEach(() => h.stop());

  async function agentWithRoute(id: number, route: 'M' | 'D' | null): Promise<TestUser> {
    await h.stores.agents.authorize({ telegramId: String(id), phone: '+15551230001', callerId: '+15551234567', by: String(ADMIN_ID), displayName: 'Ann' });
    if (route) await h.stores.agents.setRoute(String(id), route);
    return h.user(id, 'Ann', 'ann');
  }

  it('given a Bot API server without setMyCommands, when commands are registered, then start-up goes on and the bot answers', async () => {
    await expect(h.callBot.registerCommands()).resolves.toBeUndefined();
    await admin.send('/help');
    await admin.waitFor(/Admin commands/);
  });

  it('given an unknown user, when they /start, then they are told their Telegram user id; when the admin approves with the buttons and replies with a phone, then they become an agent', async () => {
    const newcomer = h.user(3001, 'Nina', 'nina');
    await newcomer.send('/start');
    const requested = await newcomer.waitFor(/access request went to the admins/);
    expect(requested.text).toContain('Your Telegram user id is 3001');
    const request = await admin.waitFor(/Access request/);
    expect(request.text).toContain('Name: Nina');
    expect(request.text).toContain('@nina');
    expect(request.text).toContain('User id: 3001');
    expect(request.buttons.map((b) => b.text)).toEqual(['✅ Approve', '❌ Deny']);

    await newcomer.send('/start');
    const pending = await waitFor(() => newcomer.messages().find((m) => /still pending/.test(m.text)));
    expect(pending.text).toContain('Your Telegram user id is 3001');

    await admin.tap('✅ Approve');
    const ask = await admin.waitFor(/Reply to this message with the phone number for Nina \(id 3001\)/);
    await admin.replyTo(ask, '+1 (202) 555-0199');
    await admin.waitFor(/Agent 3001 is authorized. Phone \+12025550199/);
    await newcomer.waitFor(/You are now authorized/);
    expect(await h.stores.agents.activeAgentByTelegramId('3001')).toMatchObject({ phone: '+12025550199', route: null, authorizedBy: String(ADMIN_ID) });
    expect((await h.stores.audit.latest(5)).map((e) => e.action)).toContain('authorize');

    await newcomer.send('/start');
    await newcomer.waitFor(/Hi Nina!/);
  });

  it('given an access request, when the admin denies it, then the user has no access', async () => {
    const newcomer = h.user(3002, 'Ned');
    await newcomer.send('/start');
    await admin.waitFor(/User id: 3002/);
    await admin.tap('❌ Deny');
    await newcomer.waitFor(/denied/);
    await newcomer.send('/start');
    const refused = await newcomer.waitFor(/You have no access to this bot/);
    expect(refused.text).toContain('Your Telegram user id is 3002');
  });

  describe('a reply to an old phone prompt', () => {
    async function promptFor(id: number): Promise<{ newcomer: TestUser; ask: Awaited<ReturnType<TestUser['waitFor']>> }> {
      const newcomer = h.user(id, 'Nina', 'nina');
      await newcomer.send('/start');
      await admin.waitFor(new RegExp(`User id: ${id}`));
      await admin.tap('✅ Approve');
      return { newcomer, ask: await admin.waitFor(new RegExp(`phone number for Nina \\(id ${id}\\)`)) };
    }

    async function adminSends(text: string, reply: RegExp, send = () => admin.send(text)): Promise<void> {
      const before = admin.messages().length;
      await send();
      await admin.waitFor(reply, 8000, before);
    }

    async function authorizeThen(newcomer: TestUser, stop: () => Promise<void>): Promise<void> {
      await adminSends('/authorize 3101 +12025550198', /Agent 3101 is authorized/);
      await newcomer.waitFor(/You are now authorized/);
      await stop();
    }

    it.each([
      ['denied', 'revoked', async (newcomer: TestUser) => {
        await adminSends('❌ Deny', /Access request of 3101 denied/, () => admin.tap('❌ Deny'));
        await newcomer.waitFor(/request was denied/);
      }],
      ['revoked after approval', 'revoked', (newcomer: TestUser) => authorizeThen(newcomer, async () => {
        await adminSends('/revoke 3101', /Agent 3101 is revoked/);
        await newcomer.waitFor(/has been revoked/);
      })],
      ['suspended after approval', 'suspended', (newcomer: TestUser) => authorizeThen(newcomer, async () => {
        await h.stores.agents.suspend('3101');
      })],
    ] as const)('given the request %s, when the admin replies with a phone, then nobody is authorized and the admin is told why', async (what, status, change) => {
      const { newcomer, ask } = await promptFor(3101);
      await change(newcomer);
      const heard = newcomer.messages().length;

      await adminSends('reply', /^⚠️ Nobody was authorized/, () => admin.replyTo(ask, '+1 (202) 555-0199'));
      expect(await h.out.outbox.drained(8000)).toBe(true);

      expect(admin.last()?.text).toBe(T.approvalNotPending('3101', status));
      expect(await h.stores.agents.byTelegramId('3101')).toMatchObject({ status, phone: what === 'denied' ? null : '+12025550198' });
      expect(await h.stores.agents.activeAgentByTelegramId('3101')).toBeNull();
      expect(newcomer.messages()).toHaveLength(heard);
      expect((await h.stores.audit.latest(10)).filter((e) => e.action === 'authorize' && e.details.includes('+12025550199'))).toEqual([]);
    });

    it('given the request approved by that reply already, when the admin replies again, then nothing changes', async () => {
      const { ask } = await promptFor(3102);
      await adminSends('reply', /Agent 3102 is authorized\. Phone \+12025550199/, () => admin.replyTo(ask, '+1 (202) 555-0199'));
      await adminSends('reply', /^⚠️ Nobody was authorized/, () => admin.replyTo(ask, '+1 (202) 555-0100'));
      expect(await h.stores.agents.byTelegramId('3102')).toMatchObject({ status: 'active', phone: '+12025550199' });
    });
  });

  describe('route switches racing a revocation', () => {
    const legRequests = () => h.sim.requests().filter((r) => r.method === 'POST' && r.path.startsWith('/ari/channels'));

    it('given an agent tapping "Yes, Switch Route" fifteen times as the admin sends /revoke, round after round, then the agent stays revoked and their /call dials nothing', async () => {
      const agent = await agentWithRoute(2010, 'M');
      for (let round = 0; round < 3; round++) {
        if (round > 0) await h.stores.agents.authorize({ telegramId: '2010', phone: '+15551230001', by: String(ADMIN_ID) });
        const adminBefore = admin.messages().length;
        const taps = Array.from({ length: 15 }, (_, i) => () => agent.tapData(i % 2 ? 'ry:M' : 'ry:D'));
        taps.splice(round * 5, 0, () => admin.send('/revoke 2010'));
        await Promise.all(taps.map((tap) => tap()));
        await admin.waitFor(/^🚫 Agent 2010 is revoked\.$/, 8000, adminBefore);

        // Handled after every tap (the chat's order): what the agent can do now, the taps done.
        const agentBefore = agent.messages().length;
        await agent.send('/call +12025550123');
        await agent.waitFor(/^You have no access to this bot/, 20_000, agentBefore);
        expect({ round, status: (await h.stores.agents.byTelegramId('2010'))?.status }).toEqual({ round, status: 'revoked' });
        expect(legRequests()).toEqual([]);
      }
    }, 90_000);
  });

  it('given an agent, when they select a route through the menu and confirm, then it is saved and shown with the caller ID', async () => {
    const agent = await agentWithRoute(2001, null);
    await agent.send('/settings');
    const settings = await agent.waitFor(/Settings/);
    expect(settings.text).toContain('Caller ID: +15551234567 [–]');
    await agent.tap('Select Route 🌐');
    const choice = await agent.waitFor(/Select the route/);
    expect(choice.buttons.map((b) => b.text)).toEqual(['[Main Route] 🌍', '[Development Route] 🛠️']);
    await agent.tap('[Development Route] 🛠️');
    const confirm = await agent.waitFor(/Are you sure/);
    expect(confirm.text).toBe('Are you sure you want to switch to the Development route?\nAll outbound calls will now go through this route.');
    expect(confirm.buttons.map((b) => b.text)).toEqual(['✅ Yes, Switch Route', '❌ Cancel']);
    await agent.tap('✅ Yes, Switch Route');
    await agent.waitFor(/^✅ Your route has been successfully changed to \[Development\]!$/);
    expect((await h.stores.agents.byTelegramId('2001'))?.route).toBe('D');
    const before = agent.messages().length;
    await agent.send('/settings');
    expect((await agent.waitForNew(before)).text).toContain('Caller ID: +15551234567 [D]');
  });

  it('given the confirmation, when the agent cancels, then the route is unchanged and they are told so', async () => {
    const agent = await agentWithRoute(2002, 'M');
    await agent.send('/route');
    await agent.waitFor(/Your route: \[Main\] \[M\]/);
    await agent.tap('[Development Route] 🛠️');
    await agent.waitFor(/Are you sure/);
    await agent.tap('❌ Cancel');
    await agent.waitFor(/Route unchanged: still \[Main\]/);
    expect((await h.stores.agents.byTelegramId('2002'))?.route).toBe('M');
  });

  it.each([['/route D', 'D', 'Development'], ['/route m', 'M', 'Main']] as const)(
    'given %s, then the route switches directly and persists', async (command, route, name) => {
      const agent = await agentWithRoute(2003, null);
      await agent.send(command);
      await agent.waitFor(new RegExp(`changed to \\[${name}\\]`));
      expect((await h.stores.agents.byTelegramId('2003'))?.route).toBe(route);
    },
  );

  it('given a bad /route argument, then the agent gets the usage', async () => {
    const agent = await agentWithRoute(2004, 'M');
    await agent.send('/route X');
    await agent.waitFor(/Usage: \/route M \(Main\) or \/route D/);
  });

  it('given the admin, when they set an agent\'s phone and caller ID, then bad input gets usage or a reason and good input is stored', async () => {
    await agentWithRoute(2006, 'D');
    await h.verifiedCallerIds(['+12025550112'], ['D']);
    for (const [command, reply] of [
      ['/setphone 2006', /Usage: \/setphone/],
      ['/setphone abc +12025550111', /user id must be a number/],
      ['/setphone 2006 911', /Phone: Emergency and service numbers/],
      ['/setphone 4242 +12025550111', /No agent with user id 4242/],
      ['/setcallerid 2006 +1 876 555 0123', /Usage: \/setcallerid/],
      ['/setcallerid 2006 +18765550123', /Caller ID: Calls to JM are not allowed/],
    ] as const) {
      const before = admin.messages().length;
      await admin.send(command);
      await admin.waitFor(reply, 8000, before);
    }
    await admin.send('/setphone 2006 +12025550111');
    await admin.waitFor(/Phone of 2006 is now \+12025550111/);
    await admin.send('/setcallerid 2006 (202) 555-0112');
    await admin.waitFor(/Usage: \/setcallerid/, 8000, admin.messages().length - 1);
    await admin.send('/setcallerid 2006 202-555-0112');
    await admin.waitFor(/2006: Caller ID: \+12025550112 \[D\]/);
    expect(await h.stores.agents.byTelegramId('2006')).toMatchObject({ phone: '+12025550111', callerId: '+12025550112' });
    expect((await h.stores.audit.latest(2)).map((e) => e.action)).toEqual(['set_caller_id', 'set_phone']);
  });

  it('given no route, when the agent calls, then they choose a route first and one tap places the call', async () => {
    const agent = await agentWithRoute(2005, null);
    await agent.send('/call 202-555-0123');
    const prompt = await agent.waitFor(/Choose a route first/);
    expect(prompt.buttons.map((b) => b.text)).toEqual(['[Main Route] 🌍', '[Development Route] 🛠️']);
    expect(h.sim.requests().filter((r) => r.method === 'POST' && r.path.startsWith('/ari/channels'))).toEqual([]);
    await agent.tap('[Main Route] 🌍');
    await agent.waitFor(/changed to \[Main\]/);
    // The status message shows the call's newest state when it goes out (three messages within a
    // second wait for the chat's budget, and the simulated call moves on meanwhile).
    const status = await agent.waitFor(/To: \+1 202-555-0123 \[M\]/);
    expect(status.history[0]).toMatch(/^(📞 Calling your phone \+1 555-123-0001|📞 Your phone|✅ You answered|🔔 Ringing|🟢 Connected)/);
    expect(h.sim.requests().some((r) => r.method === 'POST' && r.path === '/ari/channels' && /-agent$/.test(String(r.query.channelId)))).toBe(true);
  });
});
