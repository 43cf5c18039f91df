import { ADMIN_ID, BotHarness } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';

/** What /authorize says about the caller ID is what the agent's calls then really show. */
describe('bot: the caller ID an agent is authorized with', () => {
  let h: BotHarness | undefined;
  afterEach(async () => { await h?.stop(); h = undefined; });

  async function authorizeAndCall(env: Record<string, string>) {
    h = await BotHarness.start({ env });
    const admin = h.user(ADMIN_ID, 'Ada', 'ada_admin');
    await admin.send('/authorize 2101 +12025550111');
    const reply = await admin.waitFor(/Agent 2101 is authorized/);
    await h.stores.agents.setRoute('2101', 'M');
    const agent = h.user(2101, 'Ann', 'ann');
    await agent.send('/call +12025550123');
    await agent.waitFor(/Connected/, 15_000);
    await waitFor(() => h!.sim.invites().length === 2, { what: 'both INVITEs' });
    const before = admin.messages().length;
    await admin.send('/agents');
    const agents = await admin.waitForNew(before);
    return { reply: reply.text, agents: agents.text, from: h.sim.invites().map((i) => i.fromNumber) };
  }

  it('given no caller ID and no DEFAULT_CALLER_ID, then the admin is told calls go out without one, /agents says not set, and the INVITEs carry none', async () => {
    const seen = await authorizeAndCall({ DEFAULT_CALLER_ID: '' });
    expect(seen.reply).toBe('✅ Agent 2101 is authorized. Phone +12025550111, no caller ID: there is no default either, so their calls go out without one'
      + ' (the provider decides what is shown, or refuses them). Set one with /setcallerid 2101 <number>.');
    expect(seen.agents).toContain('Caller ID: not set [M]');
    expect(seen.from).toEqual(['', '']);
  }, 30_000);

  it('given no caller ID and a DEFAULT_CALLER_ID, then the admin is told the default number, and that is the number the INVITEs carry', async () => {
    const seen = await authorizeAndCall({ DEFAULT_CALLER_ID: '+15550001111' });
    expect(seen.reply).toBe('✅ Agent 2101 is authorized. Phone +12025550111, caller ID +15550001111 (the default).');
    expect(seen.agents).toContain('Caller ID: +15550001111 [M]');
    expect(seen.from).toEqual(['+15550001111', '+15550001111']);
  }, 30_000);
});
