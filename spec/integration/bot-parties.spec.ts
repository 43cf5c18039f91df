import type { CallLeg } from '../../entities';
import { PARTY } from '../../telegram/texts';
import { ADMIN_ID, BotHarness, type TestUser, UNPACED_OUTBOX } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';

/**
 * Transfer, consultation and conference from Telegram on the real product: the bot, the engine's
 * party desk (wired as app/main.ts wires it), the real ARI adapter and the ARI simulator.
 */
describe('bot: calls of more than two parties on the engine and the ARI simulator', () => {
  let h: BotHarness;
  let ann: TestUser;
  let bob: TestUser;
  let annId: number;
  let bobId: number;
  const answers: Array<{ text?: string }> = [];
  const CUSTOMER = '+12025550123';
  const NEW_PARTY = '+12025550199';

  beforeEach(async () => {
    answers.length = 0;
    h = await BotHarness.start({ statusEditIntervalMs: 100, outboxLimits: UNPACED_OUTBOX });
    ({ ann, bob, annId, bobId } = await h.annAndBob(answers));
  });

  afterEach(async () => {
    try {
      // Whatever a spec left: nothing in Asterisk, no row still live.
      await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, { what: 'no channel or bridge left in the simulator' });
      await h.engine.settled();
      const live = (await h.stores.calls.recentRequestsOfAgent(annId, 10)).filter((c) => c.endedAt === null);
      expect(live).toEqual([]);
    } finally {
      await h.stop();
    }
  });

  /** Every channel the simulator was asked to make or dial (originate, create). */
  const channelRequests = () => h.sim.requests().filter((r) => r.method === 'POST' && (r.path === '/ari/channels' || r.path === '/ari/channels/create'));
  const channelIdOf = (leg: string) => `${callId}-${leg}`;
  const inSim = (id: string) => h.sim.channels().some((c) => c.id === id && c.state === 'Up');
  const members = (bridgeId: string) => h.sim.bridges().find((b) => b.id === bridgeId)?.channels.slice().sort() ?? [];
  let callId: string;

  /** Ann's call, connected, its status message showing ↪️ Transfer and ➕ Add. */
  async function connectedCall(): Promise<void> {
    await ann.send(`/call ${CUSTOMER}`);
    await ann.waitFor(/^🟢 Connected/, 15000);
    await waitFor(() => ann.messages().find((m) => m.buttons.some((b) => b.text === PARTY.transferButton)), { what: 'the Transfer button' });
    callId = h.engine.liveCalls()[0]!.context.callId;
  }

  /** Waits until the user's message with this id reads as `pattern` with these buttons; the error shows its edits. */
  async function messageReads(user: TestUser, messageId: number, pattern: RegExp, buttons?: string[]) {
    const ok = (m: { text: string; buttons: { text: string }[] }) => pattern.test(m.text) && (buttons === undefined || m.buttons.map((b) => b.text).join() === buttons.join());
    try {
      return await waitFor(() => user.messages().find((m) => m.messageId === messageId && ok(m)), { what: `message ${messageId} to ${user.id} reading ${pattern}` });
    } catch (err) {
      const m = user.messages().find((x) => x.messageId === messageId);
      throw new Error(`${(err as Error).message}; it reads ${JSON.stringify(m?.history)} with buttons ${JSON.stringify(m?.buttons.map((b) => b.text))}`, { cause: err });
    }
  }

  async function legRows(): Promise<CallLeg[]> {
    await h.engine.settled();
    return (await h.stores.legs.legsOf([callId])).get(callId) ?? [];
  }

  /** The call's steps in the audit log, oldest first: action and details. */
  async function steps(): Promise<string[]> {
    await h.engine.settled();
    return (await h.stores.audit.latest(100)).filter((e) => e.subject === callId).reverse().map((e) => `${e.action} ${e.details}`);
  }

  /** The customer hangs up and every leg goes: the call is over in Asterisk and in the engine. */
  async function customerHangsUp(): Promise<void> {
    h.sim.farEndHangup(channelIdOf('target'));
    await waitFor(() => h.sim.channels().length === 0 && h.engine.liveCalls().length === 0, { what: 'every leg hung up, the call over' });
  }

  /** The call's leg rows once every leg's end is written: the writes follow the status message and the hang-ups, they do not precede them. */
  const endedLegRows = () => waitFor(async () => {
    const legs = await legRows();
    return legs.every((l) => l.endedAt !== null) ? legs : undefined;
  }, { what: 'every leg\'s end written' });

  /** Ann's first status message (the one the call's row names). */
  /** Ann's status message: the one that read "Connected" at some edit (how many edits came before depends on the pacing). */
  const annStatus = () => ann.messages().find((m) => [...m.history, m.text].some((text) => /^🟢 Connected/.test(text)))!;
  const bridged = (...legs: string[]) => members(`${callId}-bridge`).join() === legs.map(channelIdOf).sort().join();

  it('given a connected call, when the agent transfers it cold to a typed number that answers, then the agent leaves, the customer and the number talk, the status ends "transferred to" it and stops, and the record says who talked to whom', async () => {
    await connectedCall();
    const status = await ann.waitFor(/^🟢 Connected/);
    const before = await h.typeNumber(ann, PARTY.coldButton, '(202) 555-0199');
    await ann.waitFor(/Transferring the customer to \+1 202-555-0199/, 8000, before);
    await waitFor(() => !inSim(channelIdOf('agent')) && inSim(channelIdOf('p3')) && bridged('target', 'p3'), { what: 'customer and new party bridged, the agent gone' });
    await messageReads(ann, status.messageId, /Transferred to \+1 202-555-0199$/, []);

    // The agent's /hangup no longer reaches the call they passed on.
    const beforeHangup = ann.messages().length;
    await ann.send('/hangup');
    await ann.waitFor(/no live call|no call/i, 8000, beforeHangup);
    expect(bridged('target', 'p3')).toBe(true);

    await customerHangsUp();
    const rows = await endedLegRows();
    expect(rows.map((r) => ({ leg: r.legId, role: r.role, number: r.number, agentId: r.agentId, answered: r.answeredAt !== null, ended: r.endedAt !== null }))).toEqual([
      { leg: 'agent', role: 'agent', number: null, agentId: annId, answered: true, ended: true },
      { leg: 'target', role: 'customer', number: CUSTOMER, agentId: null, answered: true, ended: true },
      { leg: 'p3', role: 'conferenced', number: NEW_PARTY, agentId: null, answered: true, ended: true },
    ]);
    expect(await steps()).toEqual([
      expect.stringMatching(/^call_transfer_started /),
      expect.stringMatching(/^call_transfer_completed /),
    ]);
    // The message stopped: the call's end is not told in it.
    expect(ann.messages().find((m) => m.messageId === status.messageId)!.text).toMatch(/Transferred to \+1 202-555-0199$/);
  }, 40000);

  it('given the agent transferred the call cold to a typed number and left it, when they /call again, then the new call is placed while the transferred one goes on', async () => {
    await connectedCall();
    const status = annStatus();
    await h.typeNumber(ann, PARTY.coldButton, '(202) 555-0199');
    await waitFor(() => !inSim(channelIdOf('agent')) && bridged('target', 'p3'), { what: 'customer and new party bridged, the agent gone' });
    await messageReads(ann, status.messageId, /Transferred to \+1 202-555-0199$/, []);
    await h.engine.settled();

    const before = ann.messages().length;
    await ann.send('/call +12025550177');
    await ann.waitFor(/^🟢 Connected/, 15000, before);
    expect(h.engine.liveCalls()).toHaveLength(2);
    expect(bridged('target', 'p3')).toBe(true);

    await ann.send('/hangup');
    await waitFor(() => h.engine.liveCalls().length === 1 && h.engine.liveCalls()[0]!.context.callId === callId, { what: 'the new call ended, the transferred one going on' });
    await customerHangsUp();
  }, 40000);

  it('given a connected call, when the agent transfers it cold to another agent, then the new agent\'s chat follows the call with its buttons and can hang up, and the first agent\'s message ends "transferred to" them', async () => {
    await connectedCall();
    const status = annStatus();
    const before = await h.transferToAgent(ann, PARTY.coldButton, 'Bob');
    await ann.waitFor(/Transferring the customer to Bob/, 8000, before);
    await waitFor(() => !inSim(channelIdOf('agent')) && bridged('target', 'p3'), { what: 'customer and Bob bridged' });
    await messageReads(ann, status.messageId, /↪️ Transferred to Bob$/, []);
    const bobStatus = await bob.waitFor(/^🟢 Connected/, 8000);
    await messageReads(bob, bobStatus.messageId, /• Ann: left[\s\S]*• You: on the line/, ['⏹ Hang up', PARTY.transferButton, PARTY.addButton]);

    // The first agent may call again; the new one is on a call.
    const beforeBob = bob.messages().length;
    await bob.send('/call +12025550177');
    await bob.waitForNew(beforeBob);
    expect(bob.messages().slice(beforeBob).map((m) => m.text).join()).not.toMatch(/Calling your phone/);

    await bob.tap('⏹ Hang up');
    await messageReads(bob, bobStatus.messageId, /^📴 Call ended/);
    await waitFor(() => h.sim.channels().length === 0, { what: 'every leg hung up' });
    expect(ann.messages().find((m) => m.messageId === status.messageId)!.text).toMatch(/Transferred to Bob$/);
    const rows = await endedLegRows();
    expect(rows.map((r) => [r.legId, r.role, r.agentId, r.answeredAt !== null, r.endedAt !== null])).toEqual([
      ['agent', 'agent', annId, true, true], ['target', 'customer', null, true, true], ['p3', 'agent', bobId, true, true],
    ]);
  }, 40000);

  it('given a call transferred to another agent, when that agent transfers it on to a typed number, then their message ends "transferred to" the number and the customer talks with it', async () => {
    await connectedCall();
    const status = annStatus();
    await h.transferToAgent(ann, PARTY.coldButton, 'Bob');
    const bobStatus = await bob.waitFor(/^🟢 Connected/, 8000);
    await messageReads(bob, bobStatus.messageId, /• You: on the line/, ['⏹ Hang up', PARTY.transferButton, PARTY.addButton]);

    const beforeBob = await h.typeNumber(bob, PARTY.coldButton, NEW_PARTY);
    await bob.waitFor(/Transferring the customer to \+1 202-555-0199/, 8000, beforeBob);
    await waitFor(() => bridged('target', 'p4'), { what: 'the customer with the number, both agents gone' });
    await messageReads(bob, bobStatus.messageId, /↪️ Transferred to \+1 202-555-0199$/, []);
    expect(ann.messages().find((m) => m.messageId === status.messageId)!.text).toMatch(/↪️ Transferred to Bob$/);
    await customerHangsUp();
    expect((await legRows()).map((r) => [r.legId, r.endedAt !== null])).toEqual([['agent', true], ['target', true], ['p3', true], ['p4', true]]);
  }, 40000);

  it('given a consultation with another agent, when the agent taps Complete, then the customer is off hold with them and their chat follows the call', async () => {
    await connectedCall();
    const status = annStatus();
    const before = await h.transferToAgent(ann, PARTY.warmButton, 'Bob');
    await ann.waitFor(/Calling Bob; the customer is on hold/, 8000, before);
    await messageReads(ann, status.messageId, /Customer \+1 202-555-0123: on hold[\s\S]*• Bob \(consulted\): on the line/, ['⏹ Hang up', PARTY.completeButton, PARTY.backButton, PARTY.conferenceButton]);
    expect(members(`${callId}-consult`)).toEqual([channelIdOf('agent'), channelIdOf('p3')].sort());
    expect(bob.messages()).toEqual([]);

    await ann.tap(PARTY.completeButton);
    await waitFor(() => !inSim(channelIdOf('agent')) && bridged('target', 'p3') && !h.sim.bridges().some((b) => b.id === `${callId}-consult`), { what: 'customer and Bob bridged' });
    await messageReads(ann, status.messageId, /↪️ Transferred to Bob$/, []);
    const bobStatus = await bob.waitFor(/^🟢 Connected/, 8000);
    // The call is Bob's now: his /hangup ends it.
    await bob.send('/hangup');
    await messageReads(bob, bobStatus.messageId, /^📴 Call ended/);
    await waitFor(() => h.sim.channels().length === 0, { what: 'every leg hung up' });
    // Who handed the call to whom is in the audit log (the steps of one transition are written in any order).
    expect((await steps()).sort()).toEqual([
      expect.stringMatching(/^call_consult_ended /), expect.stringMatching(/^call_owner_changed /),
      expect.stringMatching(/^call_transfer_completed leg=p3 party=Bob /), expect.stringMatching(/^call_transfer_started /),
    ]);
  }, 40000);

  it('given a consultation with a typed number, when the agent taps Back, then the number is hung up and the agent is with the customer again', async () => {
    await connectedCall();
    const status = annStatus();
    const before = await h.typeNumber(ann, PARTY.warmButton, NEW_PARTY);
    await ann.waitFor(/Calling \+1 202-555-0199; the customer is on hold/, 8000, before);
    await messageReads(ann, status.messageId, /\(consulted\): on the line/, ['⏹ Hang up', PARTY.completeButton, PARTY.backButton, PARTY.conferenceButton]);
    await ann.tap(PARTY.backButton);
    await waitFor(() => !h.sim.channels().some((c) => c.id === channelIdOf('p3')) && bridged('agent', 'target'), { what: 'agent and customer together again' });
    await messageReads(ann, status.messageId, /^🟢 Connected/, ['⏹ Hang up', PARTY.transferButton, PARTY.addButton]);
    await ann.send('/hangup');
    await messageReads(ann, status.messageId, /^📴 Call ended/);
  }, 40000);

  it('given a consultation, when the agent taps Conference and then the added party hangs up, then all three talked and the call goes on between agent and customer', async () => {
    await connectedCall();
    const status = annStatus();
    const before = await h.typeNumber(ann, PARTY.warmButton, NEW_PARTY);
    await ann.waitFor(/the customer is on hold/, 8000, before);
    await messageReads(ann, status.messageId, /\(consulted\): on the line/, ['⏹ Hang up', PARTY.completeButton, PARTY.backButton, PARTY.conferenceButton]);
    await ann.tap(PARTY.conferenceButton);
    await waitFor(() => bridged('agent', 'target', 'p3'), { what: 'all three in the call\'s bridge' });
    await messageReads(ann, status.messageId, /• \+1 202-555-0199: on the line/, ['⏹ Hang up', PARTY.transferButton, PARTY.addButton]);
    h.sim.farEndHangup(channelIdOf('p3'));
    await waitFor(() => bridged('agent', 'target'), { what: 'agent and customer go on' });
    await messageReads(ann, status.messageId, /• \+1 202-555-0199: left/, ['⏹ Hang up', PARTY.transferButton, PARTY.addButton]);
    expect(h.engine.liveCalls()).toHaveLength(1);
    await customerHangsUp();
    await messageReads(ann, status.messageId, /^📴 Call ended/);
  }, 40000);

  it('given a consultation, when the consulted party hangs up, then the agent is back with the customer', async () => {
    await connectedCall();
    const status = annStatus();
    const before = await h.typeNumber(ann, PARTY.warmButton, NEW_PARTY);
    await ann.waitFor(/the customer is on hold/, 8000, before);
    await messageReads(ann, status.messageId, /\(consulted\): on the line/);
    h.sim.farEndHangup(channelIdOf('p3'));
    await waitFor(() => bridged('agent', 'target') && !h.sim.bridges().some((b) => b.id === `${callId}-consult`), { what: 'agent back with the customer' });
    await messageReads(ann, status.messageId, /^🟢 Connected/, ['⏹ Hang up', PARTY.transferButton, PARTY.addButton]);
    await customerHangsUp();
    await messageReads(ann, status.messageId, /^📴 Call ended/);
  }, 40000);

  it('given a third party added, when the customer hangs up, then the call ends, every leg is hung up and the final status is shown once', async () => {
    await connectedCall();
    const status = annStatus();
    const before = await h.typeNumber(ann, undefined, NEW_PARTY, 'add');
    await ann.waitFor(/Calling \+1 202-555-0199 into the call/, 8000, before);
    await waitFor(() => bridged('agent', 'target', 'p3'), { what: 'all three in the call\'s bridge' });
    await messageReads(ann, status.messageId, /• \+1 202-555-0199: on the line/);
    await customerHangsUp();
    const final = await messageReads(ann, status.messageId, /^📴 Call ended/, ['🔁 Call again', 'Interested', 'Call back', 'Not interested', 'Wrong number', 'Voicemail', 'Asked not to be called']);
    expect(final.history.filter((t) => /Call ended/.test(t))).toHaveLength(1);
    expect(ann.messages().filter((m) => /Call ended/.test(m.history.join()))).toHaveLength(1);
    expect((await legRows()).every((r) => r.endedAt !== null)).toBe(true);
  }, 40000);

  it.each([
    ['on the do-not-call list', NEW_PARTY, /do-not-call/i],
    ['an emergency number', '911', /emergency/i],
  ])('given a typed number %s, when the agent transfers to it, then the refusal is said in words and nothing is dialed', async (_what, number, refusal) => {
    if (number === NEW_PARTY) {
      const admin = h.user(ADMIN_ID, 'Admin', 'admin');
      await admin.send(`/dnc add ${NEW_PARTY}`);
      await admin.waitFor(/is on the do-not-call list now/);
    }
    await connectedCall();
    const dialed = channelRequests().length;
    const before = await h.typeNumber(ann, PARTY.coldButton, number);
    await ann.waitFor(refusal, 8000, before);
    expect(channelRequests()).toHaveLength(dialed);
    expect(h.sim.channels().map((c) => c.id).sort()).toEqual([channelIdOf('agent'), channelIdOf('target')].sort());
    await ann.send('/hangup');
    await ann.waitFor(/^📴 Call ended/);
  }, 40000);

  it('given a consultation that ended, when its Complete button is tapped, then the tap is answered and nothing happens; and after the call ended too', async () => {
    await connectedCall();
    const status = annStatus();
    const before = await h.typeNumber(ann, PARTY.warmButton, NEW_PARTY);
    await ann.waitFor(/the customer is on hold/, 8000, before);
    const consulting = await messageReads(ann, status.messageId, /\(consulted\): on the line/, ['⏹ Hang up', PARTY.completeButton, PARTY.backButton, PARTY.conferenceButton]);
    const complete = consulting.buttons.find((b) => b.text === PARTY.completeButton)!.data;
    await ann.tap(PARTY.backButton);
    await messageReads(ann, status.messageId, /^🟢 Connected/, ['⏹ Hang up', PARTY.transferButton, PARTY.addButton]);
    const answered = answers.length;
    await ann.tapData(complete, status.messageId);
    await waitFor(() => answers.length > answered, { what: 'the stale tap answered' });
    expect(answers.at(-1)).toEqual({ text: PARTY.refusalOf('not_now') });
    expect(bridged('agent', 'target')).toBe(true);

    await ann.send('/hangup');
    await messageReads(ann, status.messageId, /^📴 Call ended/);
    const answeredAfter = answers.length;
    await ann.tapData(complete, status.messageId);
    await waitFor(() => answers.length > answeredAfter, { what: 'the tap after the end answered' });
    expect(answers.at(-1)).toEqual({ text: PARTY.refusalOf('no_such_call') });
  }, 40000);
});
