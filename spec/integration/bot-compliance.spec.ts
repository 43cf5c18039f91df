import { localTime } from '../../rules/calling-window';
import { ADMIN_ID, BotHarness } from '../support/bot-harness';

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
});
