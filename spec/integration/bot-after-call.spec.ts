import type { CallbackOffer } from '../../after-call/after-call-types';
import { ADMIN_ID, BotHarness, type BotHarnessOptions, type BotMessage, type TestUser } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';

/**
 * After-call work through the local Bot API server, the real adapter and the ARI simulator: the
 * disposition keyboard under a call's final status, what its codes do, REQUIRE_DISPOSITION, and
 * notes as replies to the status message.
 */
describe('bot: after-call work', () => {
  let h: BotHarness;
  let ann: TestUser;
  let annId: number;

  const CODES = ['Interested', 'Call back', 'Not interested', 'Wrong number', 'Voicemail', 'Asked not to be called'];

  async function startWith(opts: BotHarnessOptions = {}): Promise<void> {
    h = await BotHarness.start(opts);
    await h.verifiedCallerIds(['+15551234567']);
    for (const [id, phone, name] of [['2001', '+15551230001', 'Ann'], ['2002', '+15551230002', 'Bob']] as const) {
      await h.stores.agents.authorize({ telegramId: id, phone, callerId: '+15551234567', by: String(ADMIN_ID), displayName: name });
      await h.stores.agents.setRoute(id, 'M');
    }
    ann = h.user(2001, 'Ann', 'ann');
    annId = (await h.stores.agents.byTelegramId('2001'))!.id;
  }

  afterEach(() => h.stop());

  /** Every tap's answer (the alert a user sees), in order. */
  function tapAnswers(): Array<string | undefined> {
    const answers: Array<string | undefined> = [];
    const answer = h.out.answer.bind(h.out);
    h.out.answer = async (id, text, alert) => {
      answers.push(text);
      return answer(id, text, alert);
    };
    return answers;
  }

  /** Ann calls the customer, who answers and hangs up: her status message once final, with its row written. */
  async function completedCall(): Promise<{ status: BotMessage; callId: string }> {
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 50, hangupAfterMs: 300 } : undefined));
    const before = ann.messages().length;
    await ann.send('/call +12025550123');
    const status = await ann.waitFor(/Call ended/, 15000, before);
    await h.engine.settled();
    const callId = status.buttons.find((b) => b.text === 'Interested')!.data.split(':')[2]!;
    return { status, callId };
  }

  const row = (callId: string) => h.stores.calls.byId(callId);
  const buttonsOf = (messageId: number) => ann.messages().find((m) => m.messageId === messageId)!.buttons.map((b) => b.text);
  const audit = async (action: string) => (await h.stores.audit.latest(50)).filter((e) => e.action === action).reverse().map((e) => ({ actor: e.actor, subject: e.subject, details: e.details }));
  const channelRequests = () => h.sim.requests().filter((r) => r.method === 'POST' && r.path.startsWith('/ari/channels')).length;

  /** The bot's next message to `user` after `send`. */
  async function reply(user: TestUser, send: () => Promise<void>): Promise<string> {
    const before = user.messages().length;
    await send();
    return (await user.waitForNew(before)).text;
  }

  it('given a completed call, when its agent chooses an outcome and then another, then the row keeps the last, the keyboard marks it, and each choice is audited', async () => {
    await startWith();
    const { status, callId } = await completedCall();
    expect(status.buttons.map((b) => b.text)).toEqual(['🔁 Call again', ...CODES]);
    expect(status.buttons.every((b) => Buffer.byteLength(b.data) <= 64)).toBe(true);

    await ann.tap('Interested');
    await waitFor(() => buttonsOf(status.messageId).includes('✅ Interested'), { what: 'the chosen outcome marked' });
    expect(await row(callId)).toMatchObject({ disposition: 'interested', dispositionAt: expect.any(Date) });

    await ann.tap('Voicemail');
    await waitFor(() => buttonsOf(status.messageId).includes('✅ Voicemail'), { what: 'the new choice marked' });
    expect(buttonsOf(status.messageId)).toEqual(['🔁 Call again', 'Interested', 'Call back', 'Not interested', 'Wrong number', '✅ Voicemail', 'Asked not to be called']);
    expect(await row(callId)).toMatchObject({ disposition: 'voicemail' });
    expect(await audit('call_disposition')).toEqual([
      { actor: '2001', subject: callId, details: 'interested' },
      { actor: '2001', subject: callId, details: 'voicemail (was interested)' },
    ]);
  }, 30000);

  it('given an unanswered call, then its final status offers every outcome but "Asked not to be called"', async () => {
    await startWith();
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'busy' } : undefined));
    await ann.send('/call +12025550123');
    const status = await ann.waitFor(/^❌ Busy/, 15000);
    expect(status.buttons.map((b) => b.text)).toEqual(['🔁 Call again', ...CODES.slice(0, 5)]);
  }, 30000);

  it.each([
    ['another agent taps Ann\'s button', 2002, 'That is not your call.'],
    ['the admin taps it', ADMIN_ID, 'That is not your call.'],
  ])('given %s, then the answer says so and nothing is written', async (_what, who, alert) => {
    await startWith();
    const answers = tapAnswers();
    const { status, callId } = await completedCall();
    const data = status.buttons.find((b) => b.text === 'Not interested')!.data;
    const user = h.user(who);
    const before = user.messages().length;
    await user.tapData(data);
    await waitFor(() => answers.length === 1, { what: 'the tap answered' });
    expect(answers).toEqual([alert]);
    expect(await row(callId)).toMatchObject({ disposition: null, dispositionAt: null });
    expect(await audit('call_disposition')).toEqual([]);
    expect(user.messages()).toHaveLength(before);
    expect(buttonsOf(status.messageId)).not.toContain('✅ Not interested');
  }, 30000);

  it('given forged or stale data (an unknown call, a code no longer configured), then the button is no longer valid and nothing is written', async () => {
    await startWith();
    const answers = tapAnswers();
    const { callId } = await completedCall();
    await ann.tapData('dp:interested:00000000-0000-4000-8000-000000000000');
    await ann.tapData(`dp:sale:${callId}`);
    await ann.tapData(`dp:interested:${callId}:extra`);
    await waitFor(() => answers.length === 3, { what: 'three taps answered' });
    expect(answers).toEqual(Array(3).fill('This button is no longer valid.'));
    expect(await row(callId)).toMatchObject({ disposition: null });
  }, 30000);

  it('given "Asked not to be called", then the number is listed as the do-not-call button lists it, audited once, and the next call to it is refused', async () => {
    await startWith();
    const { callId } = await completedCall();
    await ann.tap('Asked not to be called');
    await ann.waitFor(/^🚫 \+1 202-555-0123 asked not to be called: it is on the do-not-call list now\.$/);
    expect(await h.stores.dnc.lookup('+12025550123')).toMatchObject({ kind: 'agent', addedBy: '2001', reason: 'asked not to be called', callId });
    expect(await row(callId)).toMatchObject({ disposition: 'dnc' });
    expect(await audit('dnc_mark')).toEqual([{ actor: '2001', subject: '+12025550123', details: `call ${callId}: asked not to be called` }]);
    expect(await reply(ann, () => ann.send('/call +12025550123'))).toMatch(/^⛔ This number is on the do-not-call list/);
  }, 30000);

  it('given "Call back" and a callback offer, then the disposition is written and the offer is asked with the chat, the agent, the call and its status message', async () => {
    const offers: Array<Parameters<CallbackOffer['offer']>[0]> = [];
    let writtenFirst: string | null | undefined;
    await startWith({
      callbackOffer: {
        offer: async (request) => {
          writtenFirst = (await h.stores.calls.byId(request.callId))?.disposition;
          offers.push(request);
        },
      },
    });
    const { status, callId } = await completedCall();
    await ann.tap('Call back');
    await waitFor(() => offers.length === 1, { what: 'the callback offer' });
    expect(offers).toEqual([{ chatId: '2001', agentTelegramId: '2001', callId, statusMessageId: status.messageId }]);
    expect(writtenFirst).toBe('callback');
    await waitFor(() => buttonsOf(status.messageId).includes('✅ Call back'), { what: 'Call back marked' });
  }, 30000);

  it('given "Call back" with the bot\'s own scheduling, then the disposition is kept and the times to call back are offered under the status', async () => {
    await startWith();
    const { callId } = await completedCall();
    await ann.tap('Call back');
    await ann.waitFor(/^📅 When should \+1 202-555-0123 be called back\?/);
    expect(await row(callId)).toMatchObject({ disposition: 'callback' });
  }, 30000);

  it('given REQUIRE_DISPOSITION, when the agent calls again without an outcome, then the call is refused naming the last call, with its outcome buttons, and nothing is dialed; after choosing, it is placed', async () => {
    await startWith({ env: { REQUIRE_DISPOSITION: 'true' } });
    const { callId } = await completedCall();
    const requests = channelRequests();

    const before = ann.messages().length;
    await ann.send('/call +12025550199');
    const refused = await ann.waitForNew(before);
    const refusal = refused.text;
    expect(refusal).toMatch(/^⛔ Choose an outcome for your last call first: the call to \+1 •••-•••-0123 that ended \d\d:\d\d UTC — tap one of the buttons under its final status\. Nothing was dialed\.$/);
    expect(channelRequests()).toBe(requests);
    expect((await audit('call_refused')).at(-1)).toMatchObject({ actor: '2001', details: expect.stringMatching(new RegExp(`^rule: disposition_required \\(callId=${callId} target=\\+12025550123 endedAt=`)) });

    // The refusal carries the outcome buttons of the call that waits for one: chosen there, it is marked there.
    expect(refused.buttons.map((b) => b.text)).toEqual(CODES);
    await ann.tap('Not interested');
    await waitFor(async () => (await row(callId))?.disposition === 'not_interested', { what: 'the disposition written' });
    await waitFor(() => buttonsOf(refused.messageId).includes('✅ Not interested'), { what: 'the choice marked under the refusal' });
    expect(buttonsOf(refused.messageId)).not.toContain('🔁 Call again');
    const after = ann.messages().length;
    await ann.send('/call +12025550199');
    await ann.waitFor(/^📞 Calling your phone/, 8000, after);
    expect(channelRequests()).toBeGreaterThan(requests);
  }, 30000);

  it('given a reply to the final status, then it is kept as the call\'s note, audited by its length; a second reply replaces it, and /history shows both outcome and note', async () => {
    await startWith();
    const { status, callId } = await completedCall();
    await ann.tap('Interested');
    const first = 'Wants the annual plan; call after the 5th. Spoke to María 👩‍💼';
    expect(await reply(ann, () => ann.replyTo(status, first))).toBe('📝 Note saved with the call.');
    expect(await row(callId)).toMatchObject({ note: first });
    expect(await reply(ann, () => ann.replyTo(status, 'Monthly plan after all.'))).toBe('📝 Note replaced: the call keeps this one.');
    expect(await row(callId)).toMatchObject({ note: 'Monthly plan after all.' });
    expect((await audit('call_note')).map((e) => e.details)).toEqual([`${[...first].length} characters`, '23 characters, replacing the last note']);

    const history = await reply(ann, () => ann.send('/history'));
    expect(history).toMatch(/\+1 202-555-0123 \[M\] · Call ended · 0:0\d · 🏷 Interested · 📝 Monthly plan after all\.$/m);
  }, 30000);

  it('given a note of 10,000 characters of odd Unicode, then the answer names the limit and nothing is written', async () => {
    await startWith();
    const { status, callId } = await completedCall();
    const note = '\u202eзаметка 👨‍👩‍👧 \u0301'.repeat(500).slice(0, 10_000);
    expect([...note].length).toBeGreaterThan(2000);
    const answer = await reply(ann, () => ann.replyTo(status, note));
    expect(answer).toMatch(/^❌ That note is [\d,]+ characters long; a note can be at most 2,000\. Nothing was saved/);
    expect(await row(callId)).toMatchObject({ note: null });
    expect(await audit('call_note')).toEqual([]);
  }, 30000);

  it('given long text that is no reply, or a reply to a bot message that is no call\'s status, then the first is too long as any command and the second says where notes go', async () => {
    await startWith();
    expect(await reply(ann, () => ann.send('x'.repeat(10_000)))).toBe('That message is too long for me. Send /help to see the commands.');
    const before = ann.messages().length;
    await ann.send('/help');
    const help = await ann.waitForNew(before);
    expect(await reply(ann, () => ann.replyTo(help, 'a note'))).toBe(
      'A note is a reply to the final status message of one of your calls, and that message is not one. Nothing was saved.',
    );
    expect(await audit('call_note')).toEqual([]);
  }, 30000);

  it('given a reply to a live call\'s status, or one naming a message that is not Ann\'s call\'s status, then the answer says why and nothing is written', async () => {
    await startWith();
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 50 } : undefined));
    await ann.send('/call +12025550123');
    const live = await ann.waitFor(/^🟢 Connected/, 15000);
    await h.engine.settled();
    expect(await reply(ann, () => ann.replyTo(live, 'too early'))).toBe('That call has not ended yet: reply to its status once it has. Nothing was saved.');

    // Bob replies naming Ann's status message: in his chat it is no status of his.
    const bob = h.user(2002, 'Bob', 'bob');
    expect(await reply(bob, () => bob.replyTo(live, 'not mine'))).toBe(
      'A note is a reply to the final status message of one of your calls, and that message is not one. Nothing was saved.',
    );
    await ann.send('/hangup');
    await ann.waitFor(/Call ended/, 15000);
    await h.engine.settled();
    const call = (await h.stores.calls.recentCallsOfAgent(annId, 1))[0]!;
    expect(call.note).toBeNull();
    expect(await audit('call_note')).toEqual([]);
  }, 30000);
});
