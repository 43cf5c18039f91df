import fs from 'node:fs';

import type { CallState } from '../../call/call-machine';
import type { CallPartiesDesk } from '../../engine/call-parties-desk';
import type { PartyRequester } from '../../engine/call-parties';
import { waitFor } from '../support/wait-for';
import { ADMIN_ID, E2eBot } from './support/e2e-bot';
import { AsteriskLab } from './support/lab';
import { partyDeskOf, requesterOf } from './support/party-desk';
import { ms, report, table } from './support/report';
import { ANN, PHONE, PlacedCall, TARGET, answeredWith, callerIdOf, received } from './support/scenario';
import { type SipMessage, dialog, invitesIn } from './support/sip-trace';

/**
 * Transfer, consultation and conference on a real Asterisk: a call placed from Telegram through
 * the real bot, then driven through the engine's party desk (engine/call-parties-desk.ts, wired as
 * app/main.ts wires it). For each scenario: each number got one INVITE, each of those dialogs ended
 * with a BYE, the call_legs rows say who was on the call, and Asterisk holds no channel and no
 * bridge afterwards.
 */

/** Numbers of the parties brought in (spec/e2e/sipp/provider-uas.xml picks the far end by the last four digits). */
const PARTY = {
  /** Rings 300 ms, answers, waits for BYE. */
  answers: '+12025550124',
  /** Rings 300 ms, answers, sends BYE 2 s after the ACK. */
  hangsUpAfter2s: '+12025550777',
} as const;

/** A second agent on the same route, whose phone answers and hangs up 2 s later. */
const BOB = { telegramId: '2003', name: 'Bob', phone: PHONE.hangsUpAfter2s } as const;

describe('e2e: calls of more than two parties through a real Asterisk', () => {
  let lab: AsteriskLab;
  let bot: E2eBot;
  let desk: CallPartiesDesk<CallState>;
  let ann: PartyRequester;
  const timings: string[][] = [];
  const timing = (scenario: string, what: string, valueMs: number) => timings.push([scenario, what, ms(valueMs)]);

  beforeAll(async () => {
    lab = await AsteriskLab.start('parties');
    bot = await E2eBot.start(lab, 'parties');
    desk = partyDeskOf(bot);
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

  /** Ann's call to the customer, connected; its id. */
  async function connectedCall(phone: string = PHONE.answers, customer: string = TARGET.answers): Promise<{ call: PlacedCall; callId: string }> {
    logFrom = fs.statSync(bot.logFile).size;
    const call = await PlacedCall.place(bot, lab, ANN, phone, customer);
    await call.status(/🟢 Connected/, 15000);
    ann = await requesterOf(bot, ANN.telegramId);
    const callId = bot.engine.liveCallOfAgent(ann.agentId!)?.context.callId;
    if (callId === undefined) throw new Error('the connected call is not live in the engine');
    return { call, callId };
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

  it('cold transfer to a number: the customer hears ringback, the number answers, the agent leaves; the call ends when the number hangs up', async () => {
    const { call, callId } = await connectedCall();
    const askedAt = Date.now();
    expect(await desk.transfer(callId, ann, { kind: 'number', number: PARTY.hangsUpAfter2s }, 'cold')).toMatchObject({ ok: true, legId: 'p3' });
    await legUp(callId, 'p3');
    await callEnded(callId);

    const invites = await expectOneInviteAndOneByeEach(call, [PHONE.answers, TARGET.answers, PARTY.hangsUpAfter2s]);
    const p3Invite = invites.get(PARTY.hangsUpAfter2s)!;
    expect(callerIdOf(p3Invite).from).toBe(ANN.callerId);
    const p3Ok = call.inDialog(p3Invite, answeredWith(200))!;
    const agentBye = call.inDialog(invites.get(PHONE.answers)!, received('BYE'))!;
    expect(agentBye.at).toBeGreaterThanOrEqual(p3Ok.at);
    // The number hung up (its BYE), then Asterisk hung up the customer.
    expect(call.inDialog(p3Invite, (m) => m.dir === 'out' && m.method === 'BYE')).toBeDefined();
    await call.waitInDialog(invites.get(TARGET.answers)!, 'a BYE to the customer', received('BYE'));
    timing('cold transfer to a number', 'asked -> p3 INVITE', p3Invite.at - askedAt);
    timing('cold transfer to a number', 'p3 200 OK -> agent BYE', agentBye.at - p3Ok.at);

    expect(await legRows(callId)).toEqual([
      { legId: 'agent', role: 'agent', agentId: ann.agentId, number: null, answered: true },
      { legId: 'target', role: 'customer', agentId: null, number: null, answered: true },
      { legId: 'p3', role: 'conferenced', agentId: null, number: PARTY.hangsUpAfter2s, answered: true },
    ]);
    expect(await call.endedRow()).toMatchObject({ outcome: 'completed' });
    await lab.expectNothingLeft();
    expectNoWarning();
  });

  it('cold transfer to another agent: their phone rings, they answer and own the call; the call ends when they hang up', async () => {
    await bot.stores.agents.authorize({ telegramId: BOB.telegramId, phone: BOB.phone, callerId: ANN.callerId, by: String(ADMIN_ID), displayName: BOB.name });
    await bot.stores.agents.setRoute(BOB.telegramId, ANN.route);
    const bob = await requesterOf(bot, BOB.telegramId);
    const { call, callId } = await connectedCall();
    expect(await desk.transferCandidates(callId, ann)).toEqual([{ agentId: bob.agentId, label: BOB.name }]);
    expect(await desk.transfer(callId, ann, { kind: 'agent', agentId: bob.agentId! }, 'cold')).toMatchObject({ ok: true, legId: 'p3', label: BOB.name });
    await legUp(callId, 'p3');
    await waitFor(() => bot.engine.callState(callId)?.owner.agentId === bob.agentId, { timeoutMs: 3000, what: 'Bob owning the call' });
    await callEnded(callId);

    const invites = await expectOneInviteAndOneByeEach(call, [PHONE.answers, TARGET.answers, BOB.phone]);
    expect(callerIdOf(invites.get(BOB.phone)!).from).toBe(ANN.callerId);
    const bobOk = call.inDialog(invites.get(BOB.phone)!, answeredWith(200))!;
    const annBye = call.inDialog(invites.get(PHONE.answers)!, received('BYE'))!;
    timing('cold transfer to an agent', 'Bob 200 OK -> Ann BYE', annBye.at - bobOk.at);

    expect(await legRows(callId)).toEqual([
      { legId: 'agent', role: 'agent', agentId: ann.agentId, number: null, answered: true },
      { legId: 'target', role: 'customer', agentId: null, number: null, answered: true },
      { legId: 'p3', role: 'agent', agentId: bob.agentId, number: null, answered: true },
    ]);
    await lab.expectNothingLeft();
    expectNoWarning();
    await bot.stores.agents.revoke(BOB.telegramId);
  });

  it('warm transfer: consult a number while the customer is on hold, then complete; the agent leaves and the customer talks with the number until it hangs up', async () => {
    const { call, callId } = await connectedCall();
    expect(await desk.transfer(callId, ann, { kind: 'number', number: PARTY.hangsUpAfter2s }, 'warm')).toMatchObject({ ok: true, legId: 'p3' });
    await legUp(callId, 'p3');
    // The consultation: the agent with p3 in the consult bridge, the customer alone (with music) in the main one.
    const bridges = await lab.bridges();
    expect(bridges.find((b) => b.id === `${callId}-consult`)?.channels.sort()).toEqual([`${callId}-agent`, `${callId}-p3`]);
    expect(bridges.find((b) => b.id === `${callId}-bridge`)?.channels).toEqual([`${callId}-target`]);
    const completedAt = Date.now();
    expect(await desk.finishConsult(callId, ann, 'complete')).toEqual({ ok: true });
    await waitFor(async () => (await lab.bridges()).find((b) => b.id === `${callId}-bridge`)?.channels.length === 2 || bot.engine.callState(callId) === undefined,
      { timeoutMs: 3000, everyMs: 50, what: 'customer and p3 together in the main bridge' });
    await callEnded(callId);

    const invites = await expectOneInviteAndOneByeEach(call, [PHONE.answers, TARGET.answers, PARTY.hangsUpAfter2s]);
    const annBye = call.inDialog(invites.get(PHONE.answers)!, received('BYE'))!;
    timing('consult then complete', 'complete asked -> agent BYE', annBye.at - completedAt);
    expect(await legRows(callId)).toEqual([
      { legId: 'agent', role: 'agent', agentId: ann.agentId, number: null, answered: true },
      { legId: 'target', role: 'customer', agentId: null, number: null, answered: true },
      { legId: 'p3', role: 'consulted', agentId: null, number: PARTY.hangsUpAfter2s, answered: true },
    ]);
    await lab.expectNothingLeft();
    expectNoWarning();
  });

  it('consult then back: the consulted number is hung up and the agent is back with the customer; the agent hangs up from Telegram', async () => {
    const { call, callId } = await connectedCall();
    expect(await desk.transfer(callId, ann, { kind: 'number', number: PARTY.answers }, 'warm')).toMatchObject({ ok: true, legId: 'p3' });
    await legUp(callId, 'p3');
    const backAt = Date.now();
    expect(await desk.finishConsult(callId, ann, 'back')).toEqual({ ok: true });
    await waitFor(async () => {
      const bridges = await lab.bridges();
      return bridges.length === 1 && bridges[0]!.id === `${callId}-bridge` && bridges[0]!.channels.length === 2;
    }, { timeoutMs: 3000, everyMs: 50, what: 'agent and customer back together, the consult bridge gone' });
    const p3Bye = await call.waitInDialog(onlyInviteFor(call, PARTY.answers), 'a BYE to the consulted number', received('BYE'));
    timing('consult then back', 'back asked -> consulted BYE', p3Bye.at - backAt);
    expect(legStatus(callId, 'agent')).toBe('up');
    expect(legStatus(callId, 'target')).toBe('up');

    await call.user.tap('⏹ Hang up');
    await callEnded(callId);
    await expectOneInviteAndOneByeEach(call, [PHONE.answers, TARGET.answers, PARTY.answers]);
    expect(await legRows(callId)).toEqual([
      { legId: 'agent', role: 'agent', agentId: ann.agentId, number: null, answered: true },
      { legId: 'target', role: 'customer', agentId: null, number: null, answered: true },
      { legId: 'p3', role: 'consulted', agentId: null, number: PARTY.answers, answered: true },
    ]);
    await lab.expectNothingLeft();
    expectNoWarning();
  });

  it('conference of three, then the third leaves (its BYE): agent and customer go on until the agent hangs up from Telegram', async () => {
    const { call, callId } = await connectedCall();
    expect(await desk.addParty(callId, ann, { kind: 'number', number: PARTY.hangsUpAfter2s })).toMatchObject({ ok: true, legId: 'p3' });
    await legUp(callId, 'p3');
    expect((await lab.bridges()).find((b) => b.id === `${callId}-bridge`)?.channels).toHaveLength(3);
    await waitFor(() => legStatus(callId, 'p3') === 'ended', { timeoutMs: 5000, what: 'the third party gone (its BYE)' });
    expect(bot.engine.callState(callId)?.stage).toBe('connected');
    expect((await lab.bridges()).find((b) => b.id === `${callId}-bridge`)?.channels).toHaveLength(2);

    await call.user.tap('⏹ Hang up');
    await callEnded(callId);
    await expectOneInviteAndOneByeEach(call, [PHONE.answers, TARGET.answers, PARTY.hangsUpAfter2s]);
    expect(await legRows(callId)).toEqual([
      { legId: 'agent', role: 'agent', agentId: ann.agentId, number: null, answered: true },
      { legId: 'target', role: 'customer', agentId: null, number: null, answered: true },
      { legId: 'p3', role: 'conferenced', agentId: null, number: PARTY.hangsUpAfter2s, answered: true },
    ]);
    await lab.expectNothingLeft();
    expectNoWarning();
  });
});
