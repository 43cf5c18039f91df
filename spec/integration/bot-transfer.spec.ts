import { merge, Subject } from 'rxjs';
import type { ConsultEnd, PartyTarget, PartyView, TransferMode } from '../../call/call-types';
import type { CallUpdate } from '../../call/call-update';
import type { CallDesk } from '../../engine/call-desk';
import type { CallParties, PartyAnswer, PartyRefusal, PartyRequester, TransferCandidate } from '../../engine/call-parties';
import type { RuleRefusal } from '../../compliance/rules/call-rule';
import { callRefusalText, PARTY, T } from '../../telegram/texts';
import { BotHarness, type TestUser, UNPACED_OUTBOX } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';

/** What the bot asked of the call's parties, and what the spec has it answer (a stand-in until the engine's own is wired). */
class FakeParties implements CallParties {
  readonly asked: Array<{ op: string; callId: string; by: PartyRequester; to?: PartyTarget; mode?: TransferMode; how?: ConsultEnd }> = [];
  candidates: TransferCandidate[] = [];
  next: PartyAnswer = { ok: true, legId: 'p3', label: 'Bob' };
  nextFinish: { ok: true } | { ok: false; refusal: PartyRefusal } = { ok: true };

  async transfer(callId: string, by: PartyRequester, to: PartyTarget, mode: TransferMode): Promise<PartyAnswer> {
    this.asked.push({ op: 'transfer', callId, by, to, mode });
    return this.next;
  }

  async addParty(callId: string, by: PartyRequester, to: PartyTarget): Promise<PartyAnswer> {
    this.asked.push({ op: 'add', callId, by, to });
    return this.next;
  }

  async finishConsult(callId: string, by: PartyRequester, how: ConsultEnd): Promise<{ ok: true } | { ok: false; refusal: PartyRefusal }> {
    this.asked.push({ op: 'finish', callId, by, how });
    return this.nextFinish;
  }

  async transferCandidates(callId: string, by: PartyRequester): Promise<TransferCandidate[]> {
    this.asked.push({ op: 'candidates', callId, by });
    return this.candidates;
  }
}

/**
 * Transfer and conference from a call's status message: a real call on the simulator, the bot's
 * requests to a stand-in CallParties, and the parties' updates added to the call's stream as the
 * core will send them.
 */
describe('bot: transfer and conference from the status message', () => {
  let h: BotHarness;
  let ann: TestUser;
  let bob: TestUser;
  let annId: number;
  let bobId: number;
  let parties: FakeParties;
  /** Updates the spec adds to each call's stream. */
  let extra: Subject<CallUpdate>;
  let latest: CallUpdate | undefined;
  const answers: Array<{ text?: string }> = [];

  const withExtraUpdates = (desk: CallDesk): CallDesk => ({
    ...desk,
    get updates() { return desk.updates; },
    get refusals() { return desk.refusals; },
    placeCall: async (request) => {
      const result = await desk.placeCall(request);
      if (!result.ok) return result;
      result.updates.subscribe((u) => { latest = u; });
      return { ...result, updates: merge(result.updates, extra) };
    },
  });

  beforeEach(async () => {
    parties = new FakeParties();
    extra = new Subject<CallUpdate>();
    latest = undefined;
    answers.length = 0;
    h = await BotHarness.start({ parties, wrapDesk: withExtraUpdates, statusEditIntervalMs: 100, outboxLimits: UNPACED_OUTBOX });
    ({ ann, bob, annId, bobId } = await h.annAndBob(answers));
    parties.candidates = [{ agentId: bobId, label: 'Bob' }];
  });

  afterEach(() => h.stop());

  /** Ann's call, connected, its status message showing the party buttons. */
  async function connectedCall(): Promise<{ callId: string }> {
    await ann.send('/call +12025550123');
    await ann.waitFor(/^🟢 Connected/, 15000);
    await waitFor(() => ann.messages().find((m) => m.buttons.some((b) => b.text === PARTY.transferButton)), { what: 'the Transfer button' });
    return { callId: latest!.context.callId };
  }

  /** A state of the call as the core will report it: the newest real update with these parties. */
  function report(parties: PartyView[], extraFields: Partial<CallUpdate> = {}): void {
    extra.next({ ...latest!, stage: 'connected', at: Date.now(), parties, ...extraFields });
  }

  const annLeg = (): PartyView => ({ legId: 'agent', role: 'agent', label: 'Ann', agentId: annId, status: 'up' });
  const customer = (status: PartyView['status'] = 'up'): PartyView => ({ legId: 'target', role: 'customer', label: '+12025550123', status });

  it('given a connected call, when the agent taps Transfer, Cold and an agent, then the engine is asked for a cold transfer to that agent and the agent is told', async () => {
    const { callId } = await connectedCall();
    const before = await h.transferToAgent(ann, PARTY.coldButton, 'Bob');
    await ann.waitFor(/Transferring the customer to Bob/, 8000, before);
    expect(parties.asked.filter((a) => a.op === 'transfer')).toEqual([
      { op: 'transfer', callId, by: { agentId: annId, isAdmin: false, telegramId: '2001' }, to: { kind: 'agent', agentId: bobId }, mode: 'cold' },
    ]);
  }, 30000);

  it('given a warm transfer to a typed number the rules refuse, then the refusal of /call is the answer; a command cancels the waiting number', async () => {
    await connectedCall();
    const rule: RuleRefusal = { rule: 'do_not_call', since: new Date('2026-01-02T03:04:05Z') };
    parties.next = { ok: false, refusal: 'rule', rule };
    const before = await h.typeNumber(ann, PARTY.warmButton, '(202) 555-0199');
    await waitFor(() => parties.asked.some((a) => a.op === 'transfer'), { what: 'the transfer request' });
    expect(parties.asked.find((a) => a.op === 'transfer')).toMatchObject({ to: { kind: 'number', number: '(202) 555-0199' }, mode: 'warm' });
    await ann.waitFor(new RegExp(escape(callRefusalText('rule', undefined, rule))), 8000, before);

    // Asked again, then a command: the text after it is no number.
    await ann.tap(PARTY.typeNumberButton);
    await waitFor(() => ann.messages().filter((m) => /Send the number/.test(m.text)).length === 2, { what: 'the second prompt' });
    await ann.send('/settings');
    await ann.waitFor(/⚙️ Settings/, 8000, before);
    const beforeText = ann.messages().length;
    await ann.send('+12025550198');
    expect((await ann.waitForNew(beforeText)).text).toBe(T.notText);
    expect(parties.asked.filter((a) => a.op === 'transfer')).toHaveLength(1);
  }, 30000);

  it('given an agent who is busy, when they are picked for Add, then the tap is answered with why and nothing is said in the chat', async () => {
    const { callId } = await connectedCall();
    parties.next = { ok: false, refusal: 'agent_busy' };
    const before = ann.messages().length;
    await ann.tap(PARTY.addButton);
    await ann.waitFor(/Who should join the call\?/, 8000, before);
    await ann.tap('Bob');
    await waitFor(() => answers.some((a) => a.text === PARTY.refusalOf('agent_busy')), { what: 'the busy answer' });
    expect(parties.asked.find((a) => a.op === 'add')).toMatchObject({ callId, to: { kind: 'agent', agentId: bobId } });
  }, 30000);

  it('given a refusal too long for an alert, when an agent is picked, then the tap is answered and the refusal is said in the chat', async () => {
    await connectedCall();
    const zones = ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'America/Anchorage', 'Pacific/Honolulu'];
    const rule: RuleRefusal = { rule: 'calling_hours', zones, localTimes: ['22:15', '21:15', '20:15', '19:15', '18:15', '16:15'], weekday: 'Sunday', hours: '09:00-21:00', opensInMinutes: 645 };
    parties.next = { ok: false, refusal: 'rule', rule };
    const text = callRefusalText('rule', undefined, rule);
    expect(text.length).toBeGreaterThan(200);
    const before = ann.messages().length;
    await ann.tap(PARTY.addButton);
    await ann.waitFor(/Who should join/, 8000, before);
    await ann.tap('Bob');
    await ann.waitFor(new RegExp(`^${escape(text)}$`), 8000, before);
    expect(answers.at(-1)).toEqual({});
  }, 30000);

  it('given the typed number is cancelled, then nothing is asked and the next text is no number', async () => {
    await connectedCall();
    const before = ann.messages().length;
    await ann.tap(PARTY.addButton);
    await ann.waitFor(/Who should join/, 8000, before);
    await ann.tap(PARTY.typeNumberButton);
    await ann.waitFor(/Send the number to add to the call/, 8000, before);
    await ann.tap(PARTY.cancelButton);
    await ann.waitFor(new RegExp(escape(PARTY.inputCancelled)), 8000, before);
    const after = ann.messages().length;
    await ann.send('+12025550198');
    expect((await ann.waitForNew(after)).text).toBe(T.notText);
    expect(parties.asked.filter((a) => a.op === 'add')).toEqual([]);
  }, 30000);

  it('given a consultation, then the status shows who is on hold and who is consulted, and Complete asks the engine to complete it', async () => {
    const { callId } = await connectedCall();
    report([annLeg(), customer('held'), { legId: 'p3', role: 'consulted', label: 'Bob', agentId: bobId, status: 'up' }]);
    const status = await ann.waitFor(/Customer \+1 202-555-0123: on hold/, 8000);
    expect(status.text).toContain('• Bob (consulted): on the line');
    await waitFor(() => ann.messages().find((m) => m.buttons.some((b) => b.text === PARTY.completeButton)), { what: 'the Complete button' });
    await ann.tap(PARTY.completeButton);
    await waitFor(() => parties.asked.some((a) => a.op === 'finish'), { what: 'the finish request' });
    expect(parties.asked.find((a) => a.op === 'finish')).toEqual({ op: 'finish', callId, by: { agentId: annId, isAdmin: false, telegramId: '2001' }, how: 'complete' });
  }, 30000);

  it('given the call is handed to another agent, then the first message ends with "transferred to" them, theirs follows the call with its buttons, and the first agent\'s old buttons are refused', async () => {
    const { callId } = await connectedCall();
    const annStatus = ann.messages().find((m) => /Connected/.test(m.text))!;
    report([{ ...annLeg(), status: 'ended' }, customer(), { legId: 'p3', role: 'agent', label: 'Bob', agentId: bobId, status: 'up' }], { ownerAgentId: bobId });
    await waitFor(() => ann.messages().find((m) => m.messageId === annStatus.messageId && /↪️ Transferred to Bob$/.test(m.text) && m.buttons.length === 0), { what: "Ann's message handed off" });
    const bobStatus = await bob.waitFor(/^🟢 Connected/, 8000);
    await waitFor(() => bob.messages().find((m) => m.buttons.some((b) => b.text === PARTY.addButton)), { what: "Bob's buttons" });
    expect(bobStatus.text).toContain('• You: on the line');

    // Ann's old Transfer button (its data, as a client that kept it would send it) is not hers any more.
    await ann.tapData(`tr:${callId}`, annStatus.messageId);
    await waitFor(() => answers.some((a) => a.text === PARTY.refusalOf('not_owner')), { what: 'the not-owner answer' });

    // Bob asks: the request names him.
    await bob.tap(PARTY.addButton);
    await bob.waitFor(/Who should join/, 8000);
    expect(parties.asked.filter((a) => a.op === 'candidates').at(-1)).toEqual({ op: 'candidates', callId, by: { agentId: bobId, isAdmin: false, telegramId: '2002' } });
  }, 30000);

  it('given the call has ended, when its Transfer button is tapped, then the tap is answered that the call has ended', async () => {
    const { callId } = await connectedCall();
    await ann.send('/hangup');
    await ann.waitFor(/Call ended/, 15000);
    await ann.tapData(`tr:${callId}`);
    await waitFor(() => answers.some((a) => a.text === PARTY.refusalOf('no_such_call')), { what: 'the ended answer' });
    expect(parties.asked).toEqual([]);
  }, 30000);
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
