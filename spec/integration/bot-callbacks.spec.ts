import { ADMIN_ID, BotHarness, type TestUser, UNPACED_OUTBOX } from '../support/bot-harness';
import { ManualClock } from '../support/manual-clock';
import { waitFor } from '../support/wait-for';

const MINUTE = 60_000;
/**
 * Wednesday 2026-03-04 10:00 in New York (15:00 UTC, before US daylight saving): a time before the
 * real clock, since the engine refuses a request its now says is older than 10 s.
 */
const T0 = Date.UTC(2026, 2, 4, 15, 0);
const CUSTOMER = '+12125550123';
const SHOWN = '+1 212-555-0123';

/**
 * Scheduled callbacks through the local Bot API server and the ARI simulator, with the rules' and
 * the callbacks' clock moved by hand: calling hours 08:00-21:00 in the customer's time zone.
 */
describe('bot: scheduled callbacks', () => {
  let h: BotHarness;
  let clock: ManualClock;
  let ann: TestUser;
  let admin: TestUser;

  beforeEach(async () => {
    callbackId = undefined;
    clock = new ManualClock();
    clock.skip(T0);
    h = await BotHarness.start({ clock, env: { CALLING_HOURS: '08:00-21:00' }, outboxLimits: UNPACED_OUTBOX });
    await h.verifiedCallerIds(['+15551234567']);
    await h.stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: '+15551234567', by: String(ADMIN_ID), displayName: 'Ann' });
    await h.stores.agents.setRoute('2001', 'M');
    ann = h.user(2001, 'Ann', 'ann');
    admin = h.user(ADMIN_ID, 'Boss', 'boss');
    // The customer answers and hangs up shortly after.
    h.sim.setFarEnd((endpoint) => (endpoint.includes(CUSTOMER) ? { kind: 'answer', hangupAfterMs: 300 } : undefined));
  });

  afterEach(() => h.stop());

  /** Ann calls the customer; the call ends; `Call back` (the disposition keyboard's) offers the picks under its final status. */
  async function callEndedAndOffered(): Promise<{ callId: string; statusMessageId: number }> {
    await ann.send(`/call ${CUSTOMER}`);
    const status = await ann.waitFor(/Call ended/, 15000);
    await h.engine.settled();
    const annRow = await h.stores.agents.byTelegramId('2001');
    const callId = (await h.stores.calls.recentRequestsOfAgent(annRow!.id, 1))[0]!.id;
    await h.callBot.callbackOffer.offer({ chatId: '2001', agentTelegramId: '2001', callId, statusMessageId: status.messageId });
    await ann.waitFor(/When should \+1 212-555-0123 be called back/);
    return { callId, statusMessageId: status.messageId };
  }

  /** Moves the clock once the reminders have read the table, and lets them read it at the new time. */
  async function advance(ms: number): Promise<void> {
    await h.callBot.callbackReminders.settled();
    await clock.advance(ms);
    await h.callBot.callbackReminders.settled();
  }

  let callbackId: number | undefined;
  /** The one callback of the spec (read once, while it is still pending). */
  async function onlyCallbackId(): Promise<number> {
    callbackId ??= (await h.stores.callbacks.open())[0]?.id;
    if (callbackId === undefined) throw new Error('no callback was scheduled');
    return callbackId;
  }

  const reminders = (user: TestUser) => user.messages().filter((m) => m.history[0]!.startsWith('⏰ Time to call back'));
  const customerInvites = () => h.sim.invites().filter((i) => i.endpoint.includes(CUSTOMER));

  it('given a call that ended, when Call back is chosen, then the quick picks reply to its status message in the customer\'s time zone', async () => {
    const { statusMessageId } = await callEndedAndOffered();
    const offer = await ann.waitFor(/When should/);
    expect(offer.text).toBe(`📅 When should ${SHOWN} be called back? Times are the customer's: America/New_York, where it is Wednesday 10:00 now.`);
    expect(offer.buttons.map((b) => b.text)).toEqual(['⏱ In 1 h', '🌅 Tomorrow 09:00', '⌨️ Type a time']);
    // The local server keeps the request's fields as sent: objects may arrive as JSON text.
    const raw = (h.server.storage.botMessages as unknown as Array<{ messageId: number; message: { reply_parameters?: string | { message_id: number } } }>)
      .find((m) => m.messageId === offer.messageId)?.message.reply_parameters;
    expect((typeof raw === 'string' ? JSON.parse(raw) as { message_id: number } : raw)?.message_id).toBe(statusMessageId);
  }, 30000);

  it('given in 1 h picked, when the clock reaches that time, then Ann is reminded then, once, and 📞 Call places the call through /call\'s path', async () => {
    await callEndedAndOffered();
    await ann.tap('⏱ In 1 h');
    await ann.waitFor(/Callback to \+1 212-555-0123 scheduled for Wednesday 2026-03-04 11:00 America\/New_York \(the customer's time\)/);
    await onlyCallbackId();
    await advance(59 * MINUTE);
    expect(reminders(ann)).toEqual([]);
    await advance(MINUTE);
    const reminder = await ann.waitFor(/Time to call back/);
    expect(reminder.text).toBe(`⏰ Time to call back ${SHOWN} (due Wednesday 2026-03-04 11:00 America/New_York, the customer's time).`);
    expect(reminder.buttons.map((b) => b.text)).toEqual(['📞 Call', '❌ Cancel']);
    await advance(10 * MINUTE);
    expect(reminders(ann)).toHaveLength(1);

    const invitesBefore = customerInvites().length;
    const before = ann.messages().length;
    await ann.tap('📞 Call');
    // The status message of the new call (its stages may be merged into one edit).
    await ann.waitFor(/To: \+1 212-555-0123 \[M\]/, 8000, before);
    await waitFor(() => customerInvites().length > invitesBefore, { what: 'the customer dialed again' });
    const done = await waitFor(async () => {
      const row = await h.stores.callbacks.byId(await onlyCallbackId());
      return row?.state === 'done' ? row : undefined;
    }, { what: 'the callback done' });
    expect(done).toMatchObject({ number: CUSTOMER, closedAt: new Date(T0 + 70 * MINUTE) });
  }, 30000);

  it('given a callback due, when the number was put on the do-not-call list meanwhile, then 📞 Call is refused at that moment and nothing is dialed', async () => {
    await callEndedAndOffered();
    await ann.tap('⏱ In 1 h');
    await ann.waitFor(/scheduled for/);
    const id = await onlyCallbackId();
    await admin.send(`/dnc add ${CUSTOMER}`);
    await admin.waitFor(/is on the do-not-call list now/);
    await advance(60 * MINUTE);
    await ann.waitFor(/Time to call back/);
    const invitesBefore = customerInvites().length;
    const before = ann.messages().length;
    await ann.tap('📞 Call');
    expect((await ann.waitForNew(before)).text).toMatch(/^⛔ This number is on the do-not-call list/);
    await h.engine.settled();
    expect(customerInvites()).toHaveLength(invitesBefore);
    expect(await h.stores.callbacks.byId(id)).toMatchObject({ state: 'reminded' });
  }, 30000);

  it('given ⌨️ Type a time, when 3 am or a past time is typed, then each is refused with why and nothing is written; tomorrow 09:30 is then scheduled', async () => {
    await callEndedAndOffered();
    await ann.tap('⌨️ Type a time');
    await ann.waitFor(/Send the time of the callback in the customer's time zone \(America\/New_York\)/);
    let before = ann.messages().length;
    await ann.send('tomorrow 03:00');
    expect((await ann.waitForNew(before)).text).toBe(
      '⛔ Thursday 2026-03-05 03:00 America/New_York is outside the calling hours for the customer (calls are allowed 08:00–21:00 there).'
      + ' No callback was scheduled. Pick a time inside them.\nSend another time, or tap ❌ Cancel.',
    );
    before = ann.messages().length;
    await ann.send('09:00');
    expect((await ann.waitForNew(before)).text).toMatch(/^❌ Wednesday 2026-03-04 09:00 America\/New_York has already passed for the customer\. No callback was scheduled/);
    before = ann.messages().length;
    await ann.send('half past nine');
    expect((await ann.waitForNew(before)).text).toMatch(/^❌ That is not a time I can read\. Send one e\.g\. 14:30, tomorrow 10:00 or 2026-12-07 09:30 \(the customer's time, America\/New_York\)/);
    expect(await h.stores.callbacks.open()).toEqual([]);
    await ann.send('tomorrow 09:30');
    await ann.waitFor(/Callback to \+1 212-555-0123 scheduled for Thursday 2026-03-05 09:30 America\/New_York/);
    expect(await h.stores.callbacks.open()).toEqual([expect.objectContaining({ number: CUSTOMER, dueAt: new Date(Date.UTC(2026, 2, 5, 14, 30)), state: 'pending' })]);
  }, 30000);

  it('given tomorrow morning picked late in the evening, then it is 09:00 in New York, not 09:00 UTC', async () => {
    await callEndedAndOffered();
    await advance(10 * 60 * MINUTE); // 20:00 in New York
    await ann.tap('🌅 Tomorrow 09:00');
    await ann.waitFor(/scheduled for Thursday 2026-03-05 09:00 America\/New_York/);
    expect((await h.stores.callbacks.open())[0]?.dueAt).toEqual(new Date(Date.UTC(2026, 2, 5, 14, 0)));
  }, 30000);

  it('given a pending callback, when the bot restarts on the same database, then the new one reminds it once at its time', async () => {
    await callEndedAndOffered();
    await ann.tap('⏱ In 1 h');
    await ann.waitFor(/scheduled for/);
    h = await h.restarted();
    await advance(60 * MINUTE);
    await ann.waitFor(/Time to call back/);
    h = await h.restarted();
    await advance(30 * MINUTE);
    expect(reminders(ann)).toHaveLength(1);
  }, 30000);

  it('given a reminded callback nobody called back, when CALLBACK_MISSED_AFTER_MIN passes, then every admin is told once and /callbacks marks it missed for them', async () => {
    await callEndedAndOffered();
    await ann.tap('⏱ In 1 h');
    await ann.waitFor(/scheduled for/);
    await advance(60 * MINUTE);
    await ann.waitFor(/Time to call back/);
    await advance(29 * MINUTE);
    const missed = () => admin.messages().filter((m) => m.text.startsWith('⚠️ Missed callback'));
    expect(missed()).toEqual([]);
    await advance(MINUTE);
    await admin.waitFor(/Missed callback/);
    expect(missed()[0]!.text).toBe(
      `⚠️ Missed callback: Ann (id 2001) was reminded to call ${SHOWN} back at Wednesday 2026-03-04 11:00 America/New_York (the customer's time) and has not called back 30 min later.`,
    );
    await advance(60 * MINUTE);
    expect(missed()).toHaveLength(1);

    const before = admin.messages().length;
    await admin.send('/callbacks');
    expect((await admin.waitForNew(before)).text).toBe(
      `📅 Pending callbacks (1), in the customers' time:\n1. Wednesday 2026-03-04 11:00 America/New_York · ${SHOWN} [M] · Ann (id 2001) · ⚠️ missed`,
    );
  }, 30000);

  it('given a pending callback, when Ann cancels it from /callbacks, then it is gone and never reminded', async () => {
    await callEndedAndOffered();
    await ann.tap('⏱ In 1 h');
    await ann.waitFor(/scheduled for/);
    let before = ann.messages().length;
    await ann.send('/callbacks');
    const list = await ann.waitForNew(before);
    expect(list.text).toBe(`📅 Pending callbacks (1), in the customers' time:\n1. Wednesday 2026-03-04 11:00 America/New_York · ${SHOWN} [M]`);
    before = ann.messages().length;
    await ann.tap('❌ Cancel 1');
    expect((await ann.waitForNew(before)).text).toBe(`❌ The callback to ${SHOWN} at Wednesday 2026-03-04 11:00 America/New_York is cancelled.`);
    await advance(2 * 60 * MINUTE);
    expect(reminders(ann)).toEqual([]);
    before = ann.messages().length;
    await ann.send('/callbacks');
    expect((await ann.waitForNew(before)).text).toBe('You have no pending callbacks.');
  }, 30000);

  it('given another agent, when they tap Ann\'s reminder data, then they are refused and nothing is dialed', async () => {
    await callEndedAndOffered();
    await ann.tap('⏱ In 1 h');
    await ann.waitFor(/scheduled for/);
    const id = await onlyCallbackId();
    await h.stores.agents.authorize({ telegramId: '2002', phone: '+15551230002', callerId: '+15551234567', by: String(ADMIN_ID), displayName: 'Bob' });
    await h.stores.agents.setRoute('2002', 'M');
    const answers: Array<string | undefined> = [];
    const answer = h.out.answer.bind(h.out);
    h.out.answer = (...args: Parameters<typeof h.out.answer>) => { answers.push(args[1]); return answer(...args); };
    const bob = h.user(2002, 'Bob', 'bob');
    const invitesBefore = h.sim.invites().length;
    await bob.tapData(`bc:${id}`);
    await bob.tapData(`bx:${id}`);
    await waitFor(() => answers.length >= 2, { what: 'both taps answered' });
    expect(answers).toEqual(['This callback is not yours.', 'This callback is not yours.']);
    await h.engine.settled();
    expect(h.sim.invites()).toHaveLength(invitesBefore);
    expect(await h.stores.callbacks.byId(id)).toMatchObject({ state: 'pending' });
  }, 30000);
});
