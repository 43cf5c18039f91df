import { ALERT, T } from '../../telegram/texts';
import { localTime } from '../../compliance/rules/calling-window';
import { ADMIN_ID, BotHarness, type TestUser } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';

/** Calling hours that are closed now in New York, with an hour's margin either side, whatever the real time. */
function hoursClosedNowInNewYork(): string {
  const { minutes } = localTime(Date.now(), 'America/New_York');
  return minutes < 12 * 60 ? '13:00-24:00' : '01:00-11:00';
}

/** The compliance rules as an agent meets them: through the local Bot API server and the ARI simulator. */
describe('bot: compliance rules', () => {
  let h: BotHarness;

  afterEach(() => h.stop());

  it('given a customer whose local time is outside the calling hours, then /call replies why and when calling opens, and nothing is dialed', async () => {
    const hours = hoursClosedNowInNewYork();
    h = await BotHarness.start({ env: { CALLING_HOURS: hours } });
    await h.verifiedCallerIds(['+15551234567']);
    await h.stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: '+15551234567', by: String(ADMIN_ID), displayName: 'Ann' });
    await h.stores.agents.setRoute('2001', 'M');
    const agent = h.user(2001, 'Ann', 'ann');

    await agent.send('/call (202) 555-0123');

    const window = hours.replace('-', '–');
    const reply = new RegExp(`^⛔ It is \\d\\d:\\d\\d for this number \\(America/New_York\\); calls are allowed ${window}, opening in \\d+ (h|min)( \\d+ min)?\\.$`);
    await agent.waitFor(reply);
    expect(h.sim.invites()).toEqual([]);
    expect((await h.stores.audit.latest(1))[0]?.details).toMatch(/^rule: calling_hours \(zones=America\/New_York /);
  });

  describe('a request waiting for its route\'s set-up slot is judged again when its turn comes', () => {
    const ANN_PHONE = '+15551230001';
    const CUSTOMER = '+12025550123';
    let ann: TestUser;
    let admin: TestUser;

    /** Main sets up one call every 10 s: Bob's call takes the slot, and Ann's request waits for the next. */
    async function annWaitingForHerSlot(env: Record<string, string> = {}, before?: () => Promise<void>): Promise<void> {
      h = await BotHarness.start({ env: { ROUTE_MAIN_CALLS_PER_S: '0.1', ROUTE_RATE_MAX_WAIT_S: '30', ...env } });
      await h.verifiedCallerIds(['+15551234567']);
      for (const [id, phone, name] of [['2001', ANN_PHONE, 'Ann'], ['2002', '+15551230002', 'Bob']] as const) {
        await h.stores.agents.authorize({ telegramId: id, phone, callerId: '+15551234567', by: String(ADMIN_ID), displayName: name, username: name.toLowerCase() });
        await h.stores.agents.setRoute(id, 'M');
      }
      ann = h.user(2001, 'Ann', 'ann');
      admin = h.user(ADMIN_ID, 'Ada', 'ada');
      await before?.();
      await h.user(2002, 'Bob', 'bob').send('/call +12025550486');
      await waitFor(() => h.sim.invites().length > 0, { what: 'Bob\'s call dialed' });
      const seen = ann.messages().length;
      await ann.send(`/call ${CUSTOMER}`);
      await ann.waitFor(/^⏳ Waiting for a free slot on the Main route/, 8000, seen);
    }

    /** Ann's request as its Call row keeps it, once it is refused. */
    const annRefusal = () => waitFor(async () => {
      const agent = await h.stores.agents.byTelegramId('2001');
      const [row] = await h.stores.calls.recentRequestsOfAgent(agent!.id, 1);
      return row?.outcome === 'refused' && row.target === CUSTOMER ? row : undefined;
    }, { timeoutMs: 5000, what: 'Ann\'s request refused before its slot (10 s)' });

    const dialedForAnn = () => h.sim.invites().filter((i) => i.endpoint.includes(ANN_PHONE) || i.endpoint.includes(CUSTOMER));

    it('given the admin revokes the agent and puts the number on the do-not-call list meanwhile, then the request ends at once, nothing is dialed, and the agent is told why once', async () => {
      await annWaitingForHerSlot();

      await admin.send('/revoke 2001');
      await admin.send(`/dnc add ${CUSTOMER}`);

      expect(await annRefusal()).toMatchObject({ detail: 'stopped (revoked)' });
      await ann.waitFor(new RegExp(`^${T.youAreRevoked}$`));
      expect(dialedForAnn()).toEqual([]);
      expect(ann.messages().map((m) => m.text)).toEqual([expect.stringMatching(/^⏳ Waiting for a free slot/), T.youAreRevoked]);
    }, 20000);

    it('given a super admin taps Suspend on the agent\'s abuse alert meanwhile, then the request ends at once, nothing is dialed, and the agent is told why once', async () => {
      const alerts = { ALERT_RATE_CALLS: 'off', ALERT_SHORT_CALLS_IN_A_ROW: 'off', ALERT_REFUSALS: '1' };
      await annWaitingForHerSlot(alerts, async () => {
        // One do-not-call refusal is enough for an alert here.
        await h.stores.dnc.add('+12025550199', { kind: 'admin', addedBy: String(ADMIN_ID) });
        await ann.send('/call +12025550199');
        await admin.waitFor(/^🚨 Abuse alert: refused calls/);
      });

      await admin.tap(ALERT.suspendButton);

      expect(await annRefusal()).toMatchObject({ detail: 'stopped (suspended)' });
      await ann.waitFor(new RegExp(`^${T.youAreSuspended}$`));
      expect(dialedForAnn()).toEqual([]);
      expect(ann.messages().slice(1).map((m) => m.text)).toEqual([expect.stringMatching(/^⏳ Waiting for a free slot/), T.youAreSuspended]);
    }, 20000);
  });
});
