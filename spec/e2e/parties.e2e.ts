import fs from 'node:fs';

import { PARTY } from '../../telegram/texts';
import { waitFor } from '../support/wait-for';
import { ADMIN_ID, type BotMessage, E2eBot, type E2eUser } from './support/e2e-bot';
import { AsteriskLab } from './support/lab';
import { ms, report, table } from './support/report';
import { ANN, PHONE, PlacedCall, TARGET, answeredWith, callerIdOf, received } from './support/scenario';
import { type SipMessage, dialog, invitesIn } from './support/sip-trace';

/**
 * Transfer, consultation and conference on a real Asterisk, from Telegram as an agent does it: a
 * call placed through the real bot, then driven by the buttons under its status message
 * (↪️ Transfer, Cold or Warm, an agent or 🔢 Type a number; ✅ Complete, ↩️ Back; ➕ Add). For each
 * scenario: each number got one INVITE, each of those dialogs ended with a BYE, the call_legs rows
 * say who was on the call, the status messages read as the agents see them, and Asterisk holds no
 * channel and no bridge afterwards.
 */

/** Numbers of the parties brought in (spec/e2e/sipp/provider-uas.xml picks the far end by the last four digits). */
const PARTY_NUMBER = {
  /** Rings 300 ms, answers, waits for BYE. */
  answers: '+12025550124',
  /** Rings 300 ms, answers, sends BYE 2 s after the ACK. */
  hangsUpAfter2s: '+12025550777',
  /**
   * Rings 300 ms, answers, sends BYE 12 s after the ACK: a consultation lasting until the agent taps
   * ✅ Complete. The bot paces each chat's messages as Telegram asks (about one a second once a burst
   * of three is spent), so after the menu's replies the status message shows a new party a second or
   * two after it answered: later than a number that hangs up after 2 s.
   */
  hangsUpAfter12s: '+12025550712',
} as const;

/** The numbers as the status messages show them. */
const SHOWN = { answers: '\\+1 202-555-0124', hangsUpAfter2s: '\\+1 202-555-0777', hangsUpAfter12s: '\\+1 202-555-0712' } as const;

/** A second agent on the same route, whose phone answers and hangs up 2 s later. */
const BOB = { telegramId: '2003', name: 'Bob', phone: PHONE.hangsUpAfter2s } as const;

/** The buttons under a connected call's status message. */
const CONNECTED_BUTTONS = ['⏹ Hang up', PARTY.transferButton, PARTY.addButton];
const CONSULTING_BUTTONS = ['⏹ Hang up', PARTY.completeButton, PARTY.backButton, PARTY.conferenceButton];

describe('e2e: calls of more than two parties through a real Asterisk, from Telegram', () => {
  let lab: AsteriskLab;
  let bot: E2eBot;
  let annId: number;
  const timings: string[][] = [];
  const timing = (scenario: string, what: string, valueMs: number) => timings.push([scenario, what, ms(valueMs)]);

  beforeAll(async () => {
    lab = await AsteriskLab.start('parties');
    bot = await E2eBot.start(lab, 'parties');
  });

  afterAll(async () => {
    await bot?.stop();
    await lab?.stop();
    if (timings.length) report('party-timings', ['SIP timings seen by the provider in the multi-party scenarios', '', table(['scenario', 'from -> to', 'time'], timings)]);
  });

  /** Whatever a failed scenario left (a live call, channels, bridges) is ended before the next one. */
  afterEach(async () => {
    for (const call of bot.engine.liveCalls()) bot.engine.cancelCall(call.context.callId, 'system');
    await bot.engine.settled();
    await lab.clearLeftovers();
  });

  /** Where the app's log stood when the scenario began. */
  let logFrom = 0;

  /** The app logged no warning and no error during the scenario (a failed ARI request would be one). */
  function expectNoWarning(): void {
    const logged = fs.readFileSync(bot.logFile, 'utf8').slice(logFrom);
    expect(logged.split('\n').filter((l) => /\b(WARN|ERROR)\b/.test(l))).toEqual([]);
  }

  /** Waits until the user's message with this id reads as `pattern` with these buttons; the error shows its edits. */
  async function messageReads(user: E2eUser, messageId: number, pattern: RegExp, buttons?: string[], timeoutMs = 8000): Promise<BotMessage> {
    const ok = (m: BotMessage) => pattern.test(m.text) && (buttons === undefined || m.buttons.map((b) => b.text).join() === buttons.join());
    try {
      return await waitFor(() => user.messages().find((m) => m.messageId === messageId && ok(m)), { timeoutMs, what: `message ${messageId} to ${user.id} reading ${pattern}` });
    } catch (err) {
      const m = user.messages().find((x) => x.messageId === messageId);
      throw new Error(`${(err as Error).message}; it reads ${JSON.stringify(m?.history)} with buttons ${JSON.stringify(m?.buttons.map((b) => b.text))}`, { cause: err });
    }
  }

  /** Ann's call to the customer, connected, its status message offering ↪️ Transfer and ➕ Add. */
  async function connectedCall(phone: string = PHONE.answers, customer: string = TARGET.answers): Promise<{ call: PlacedCall; callId: string; status: BotMessage }> {
    logFrom = fs.statSync(bot.logFile).size;
    const call = await PlacedCall.place(bot, lab, ANN, phone, customer);
    const connected = await call.status(/🟢 Connected/, 15000);
    const status = await messageReads(call.user, connected.messageId, /🟢 Connected/, CONNECTED_BUTTONS);
    annId = (await bot.stores.agents.byTelegramId(ANN.telegramId))!.id;
    const callId = bot.engine.liveCallOfAgent(annId)?.context.callId;
    if (callId === undefined) throw new Error('the connected call is not live in the engine');
    return { call, callId, status };
  }

  /** The agent's taps from the status message to the prompt for a number. */
  async function toNumberPrompt(user: E2eUser, how: 'cold' | 'warm' | 'add'): Promise<void> {
    const before = user.messages().length;
    if (how === 'add') {
      await user.tap(PARTY.addButton);
    } else {
      await user.tap(PARTY.transferButton);
      await user.waitFor(/Cold: the customer goes/, 8000, before);
      await user.tap(how === 'cold' ? PARTY.coldButton : PARTY.warmButton);
    }
    await user.waitFor(/to whom\?|Who should join/, 8000, before);
    await user.tap(PARTY.typeNumberButton);
    await user.waitFor(/Send the number to/, 8000, before);
  }

  /** The agent types the number; the bot's answer says the party is being called. Returns when the number was sent. */
  async function sendNumber(user: E2eUser, number: string, answer: RegExp): Promise<number> {
    const before = user.messages().length;
    const sentAt = Date.now();
    await user.send(number);
    await user.waitFor(answer, 8000, before);
    return sentAt;
  }

  const legStatus = (callId: string, legId: string) => bot.engine.callState(callId)?.legs.find((l) => l.id === legId)?.status;

  async function legUp(callId: string, legId: string): Promise<void> {
    await waitFor(() => legStatus(callId, legId) === 'up', { timeoutMs: 8000, what: `leg ${legId} up` });
  }

  async function callEnded(callId: string): Promise<void> {
    await waitFor(() => bot.engine.callState(callId) === undefined || bot.engine.callState(callId)?.stage === 'ended', { timeoutMs: 10000, what: 'the call ended' });
  }

  /** The one INVITE the provider got for a number since the call was placed. */
  function onlyInviteFor(call: PlacedCall, number: string): SipMessage {
    const invites = invitesIn(call.sip()).filter((m) => m.requestUser === number);
    expect({ number, invites: invites.length }).toEqual({ number, invites: 1 });
    return invites[0]!;
  }

  /** Each number was dialed once, and each of those dialogs ended with a BYE (from Asterisk or from the far end). */
  async function expectOneInviteAndOneByeEach(call: PlacedCall, numbers: string[]): Promise<Map<string, SipMessage>> {
    const invites = new Map<string, SipMessage>();
    for (const number of numbers) {
      const invite = onlyInviteFor(call, number);
      invites.set(number, invite);
      await waitFor(() => dialog(call.sip(), invite.callId).some((m) => m.method === 'BYE'), { timeoutMs: 5000, what: `a BYE in the dialog of ${number}` });
    }
    return invites;
  }

  /** The call's rows in call_legs, once every leg has ended: who was on the call, whether they answered. */
  async function legRows(callId: string): Promise<Array<{ legId: string; role: string | null; agentId: number | null; number: string | null; answered: boolean }>> {
    const rows = await waitFor(async () => {
      const legs = (await bot.stores.legs.legsOf([callId])).get(callId) ?? [];
      return legs.length > 0 && legs.every((l) => l.endedAt !== null) ? legs : undefined;
    }, { timeoutMs: 5000, what: 'every leg of the call recorded as ended' });
    return rows.map((l) => ({ legId: l.legId, role: l.role, agentId: l.agentId, number: l.role === 'customer' ? null : l.number, answered: l.answeredAt !== null }));
  }

  it('cold transfer to a typed number: the customer hears ringback, the number answers, the agent leaves and their status ends "Transferred to" it; the call ends when the number hangs up', async () => {
    const { call, callId, status } = await connectedCall();
    await toNumberPrompt(call.user, 'cold');
    const askedAt = await sendNumber(call.user, PARTY_NUMBER.hangsUpAfter2s, new RegExp(`Transferring the customer to ${SHOWN.hangsUpAfter2s}`));
    await legUp(callId, 'p3');
    await messageReads(call.user, status.messageId, new RegExp(`↪️ Transferred to ${SHOWN.hangsUpAfter2s}$`), []);
    await callEnded(callId);

    const invites = await expectOneInviteAndOneByeEach(call, [PHONE.answers, TARGET.answers, PARTY_NUMBER.hangsUpAfter2s]);
    const p3Invite = invites.get(PARTY_NUMBER.hangsUpAfter2s)!;
    expect(callerIdOf(p3Invite).from).toBe(ANN.callerId);
    const p3Ok = call.inDialog(p3Invite, answeredWith(200))!;
    const agentBye = call.inDialog(invites.get(PHONE.answers)!, received('BYE'))!;
    expect(agentBye.at).toBeGreaterThanOrEqual(p3Ok.at);
    // The number hung up (its BYE), then Asterisk hung up the customer.
    expect(call.inDialog(p3Invite, (m) => m.dir === 'out' && m.method === 'BYE')).toBeDefined();
    await call.waitInDialog(invites.get(TARGET.answers)!, 'a BYE to the customer', received('BYE'));
    timing('cold transfer to a number', 'number sent -> p3 INVITE', p3Invite.at - askedAt);
    timing('cold transfer to a number', 'p3 200 OK -> agent BYE', agentBye.at - p3Ok.at);

    expect(await legRows(callId)).toEqual([
      { legId: 'agent', role: 'agent', agentId: annId, number: null, answered: true },
      { legId: 'target', role: 'customer', agentId: null, number: null, answered: true },
      { legId: 'p3', role: 'conferenced', agentId: null, number: PARTY_NUMBER.hangsUpAfter2s, answered: true },
    ]);
    expect(await call.endedRow()).toMatchObject({ outcome: 'completed' });
    // The agent's message stopped at the hand-over: the call's end is not told in it.
    expect(call.user.messages().find((m) => m.messageId === status.messageId)!.text).toMatch(new RegExp(`Transferred to ${SHOWN.hangsUpAfter2s}$`));
    await lab.expectNothingLeft();
    expectNoWarning();
  });

  it('cold transfer to another agent picked from the list: their phone rings, they answer, own the call and get its status message; the call ends when they hang up', async () => {
    await bot.stores.agents.authorize({ telegramId: BOB.telegramId, phone: BOB.phone, callerId: ANN.callerId, by: String(ADMIN_ID), displayName: BOB.name });
    await bot.stores.agents.setRoute(BOB.telegramId, ANN.route);
    const bobId = (await bot.stores.agents.byTelegramId(BOB.telegramId))!.id;
    const bob = bot.user(Number(BOB.telegramId), BOB.name);
    const { call, callId, status } = await connectedCall();
    const before = call.user.messages().length;
    await call.user.tap(PARTY.transferButton);
    await call.user.waitFor(/Cold: the customer goes/, 8000, before);
    await call.user.tap(PARTY.coldButton);
    const choice = await call.user.waitFor(/Cold transfer to whom\?/, 8000, before);
    expect(choice.buttons.map((b) => b.text)).toEqual([BOB.name, PARTY.typeNumberButton]);
    const askedAt = Date.now();
    await call.user.tap(BOB.name);
    await call.user.waitFor(/Transferring the customer to Bob/, 8000, before);
    await legUp(callId, 'p3');
    await waitFor(() => bot.engine.callState(callId)?.owner.agentId === bobId, { timeoutMs: 3000, what: 'Bob owning the call' });
    await messageReads(call.user, status.messageId, /↪️ Transferred to Bob$/, []);
    // Bob's chat follows the call from the hand-over: a status message of his own with its buttons (for
    // the 2 s his phone stays on), which the call's end edits.
    const bobStatus = await waitFor(() => bob.messages().find((m) => /^🟢 Connected[\s\S]*• You: on the line/.test(m.text) && m.buttons.map((b) => b.text).join() === CONNECTED_BUTTONS.join()),
      { timeoutMs: 8000, what: 'Bob\'s status message with its buttons' });
    await callEnded(callId);
    await messageReads(bob, bobStatus.messageId, /^📴 Call ended/);

    const invites = await expectOneInviteAndOneByeEach(call, [PHONE.answers, TARGET.answers, BOB.phone]);
    const bobInvite = invites.get(BOB.phone)!;
    expect(callerIdOf(bobInvite).from).toBe(ANN.callerId);
    const bobOk = call.inDialog(bobInvite, answeredWith(200))!;
    const annBye = call.inDialog(invites.get(PHONE.answers)!, received('BYE'))!;
    timing('cold transfer to an agent', 'Bob tapped -> Bob INVITE', bobInvite.at - askedAt);
    timing('cold transfer to an agent', 'Bob 200 OK -> Ann BYE', annBye.at - bobOk.at);

    expect(await legRows(callId)).toEqual([
      { legId: 'agent', role: 'agent', agentId: annId, number: null, answered: true },
      { legId: 'target', role: 'customer', agentId: null, number: null, answered: true },
      { legId: 'p3', role: 'agent', agentId: bobId, number: null, answered: true },
    ]);
    expect(call.user.messages().find((m) => m.messageId === status.messageId)!.text).toMatch(/Transferred to Bob$/);
    await lab.expectNothingLeft();
    expectNoWarning();
    await bot.stores.agents.revoke(BOB.telegramId);
  });

  it('warm transfer: consult a typed number while the customer is on hold, then ✅ Complete; the agent leaves and the customer talks with the number until it hangs up', async () => {
    const { call, callId, status } = await connectedCall();
    await toNumberPrompt(call.user, 'warm');
    await sendNumber(call.user, PARTY_NUMBER.hangsUpAfter12s, new RegExp(`Calling ${SHOWN.hangsUpAfter12s}; the customer is on hold`));
    await legUp(callId, 'p3');
    // The consultation: the agent with p3 in the consult bridge, the customer alone (with music) in the main one.
    const bridges = await lab.bridges();
    expect(bridges.find((b) => b.id === `${callId}-consult`)?.channels.sort()).toEqual([`${callId}-agent`, `${callId}-p3`]);
    expect(bridges.find((b) => b.id === `${callId}-bridge`)?.channels).toEqual([`${callId}-target`]);
    await messageReads(call.user, status.messageId, /: on hold[\s\S]*\(consulted\): on the line/, CONSULTING_BUTTONS);
    const completedAt = Date.now();
    await call.user.tap(PARTY.completeButton);
    await waitFor(async () => (await lab.bridges()).find((b) => b.id === `${callId}-bridge`)?.channels.length === 2 || bot.engine.callState(callId) === undefined,
      { timeoutMs: 3000, everyMs: 50, what: 'customer and p3 together in the main bridge' });
    await messageReads(call.user, status.messageId, new RegExp(`↪️ Transferred to ${SHOWN.hangsUpAfter12s}$`), []);
    await waitFor(() => bot.engine.callState(callId) === undefined || bot.engine.callState(callId)?.stage === 'ended', { timeoutMs: 15000, what: 'the call ended by the number\'s BYE' });

    const invites = await expectOneInviteAndOneByeEach(call, [PHONE.answers, TARGET.answers, PARTY_NUMBER.hangsUpAfter12s]);
    const annBye = call.inDialog(invites.get(PHONE.answers)!, received('BYE'))!;
    timing('consult then complete', 'Complete tapped -> agent BYE', annBye.at - completedAt);
    expect(await legRows(callId)).toEqual([
      { legId: 'agent', role: 'agent', agentId: annId, number: null, answered: true },
      { legId: 'target', role: 'customer', agentId: null, number: null, answered: true },
      // Completed, the consulted number is the customer's party on the call (call/parties.ts).
      { legId: 'p3', role: 'conferenced', agentId: null, number: PARTY_NUMBER.hangsUpAfter12s, answered: true },
    ]);
    await lab.expectNothingLeft();
    expectNoWarning();
  });

  it('consult then ↩️ Back: the consulted number is hung up and the agent is back with the customer; the agent hangs up from Telegram', async () => {
    const { call, callId, status } = await connectedCall();
    await toNumberPrompt(call.user, 'warm');
    await sendNumber(call.user, PARTY_NUMBER.answers, new RegExp(`Calling ${SHOWN.answers}; the customer is on hold`));
    await legUp(callId, 'p3');
    await messageReads(call.user, status.messageId, /\(consulted\): on the line/, CONSULTING_BUTTONS);
    const backAt = Date.now();
    await call.user.tap(PARTY.backButton);
    await waitFor(async () => {
      const bridges = await lab.bridges();
      return bridges.length === 1 && bridges[0]!.id === `${callId}-bridge` && bridges[0]!.channels.length === 2;
    }, { timeoutMs: 3000, everyMs: 50, what: 'agent and customer back together, the consult bridge gone' });
    const p3Bye = await call.waitInDialog(onlyInviteFor(call, PARTY_NUMBER.answers), 'a BYE to the consulted number', received('BYE'));
    timing('consult then back', 'Back tapped -> consulted BYE', p3Bye.at - backAt);
    expect(legStatus(callId, 'agent')).toBe('up');
    expect(legStatus(callId, 'target')).toBe('up');
    await messageReads(call.user, status.messageId, /^🟢 Connected/, CONNECTED_BUTTONS);

    await call.user.tap('⏹ Hang up');
    await callEnded(callId);
    await messageReads(call.user, status.messageId, /^📴 Call ended/);
    await expectOneInviteAndOneByeEach(call, [PHONE.answers, TARGET.answers, PARTY_NUMBER.answers]);
    expect(await legRows(callId)).toEqual([
      { legId: 'agent', role: 'agent', agentId: annId, number: null, answered: true },
      { legId: 'target', role: 'customer', agentId: null, number: null, answered: true },
      { legId: 'p3', role: 'consulted', agentId: null, number: PARTY_NUMBER.answers, answered: true },
    ]);
    await lab.expectNothingLeft();
    expectNoWarning();
  });

  it('conference of three by ➕ Add, then the third leaves (its BYE): agent and customer go on until the agent hangs up from Telegram', async () => {
    const { call, callId, status } = await connectedCall();
    await toNumberPrompt(call.user, 'add');
    await sendNumber(call.user, PARTY_NUMBER.hangsUpAfter2s, new RegExp(`Calling ${SHOWN.hangsUpAfter2s} into the call`));
    await legUp(callId, 'p3');
    expect((await lab.bridges()).find((b) => b.id === `${callId}-bridge`)?.channels).toHaveLength(3);
    await waitFor(() => legStatus(callId, 'p3') === 'ended', { timeoutMs: 5000, what: 'the third party gone (its BYE)' });
    expect(bot.engine.callState(callId)?.stage).toBe('connected');
    expect((await lab.bridges()).find((b) => b.id === `${callId}-bridge`)?.channels).toHaveLength(2);
    // Whether the 2 s the third party was on got an edit of its own depends on the chat's pace; that it left does not.
    await messageReads(call.user, status.messageId, new RegExp(`• ${SHOWN.hangsUpAfter2s}: left`), CONNECTED_BUTTONS);

    await call.user.tap('⏹ Hang up');
    await callEnded(callId);
    await messageReads(call.user, status.messageId, /^📴 Call ended/);
    await expectOneInviteAndOneByeEach(call, [PHONE.answers, TARGET.answers, PARTY_NUMBER.hangsUpAfter2s]);
    expect(await legRows(callId)).toEqual([
      { legId: 'agent', role: 'agent', agentId: annId, number: null, answered: true },
      { legId: 'target', role: 'customer', agentId: null, number: null, answered: true },
      { legId: 'p3', role: 'conferenced', agentId: null, number: PARTY_NUMBER.hangsUpAfter2s, answered: true },
    ]);
    await lab.expectNothingLeft();
    expectNoWarning();
  });
});
