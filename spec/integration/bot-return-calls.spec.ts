import { ADMIN_ID, BotHarness, type TestUser } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';
import { CAUSE } from '../support/ari-simulator/causes';

const POOL_NUMBER = '+15551234567';
const CUSTOMER = '+12025550123';

/**
 * Return calls as the agent sees them in Telegram, through the local Bot API server, the real
 * adapter and the ARI simulator, whose inbound channel has the app arguments and Caller ID the
 * bundled dialplan gives one (asterisk/extensions.conf).
 */
describe('bot: return calls', () => {
  let h: BotHarness;
  let ann: TestUser;
  let annId: number;

  async function startWith(annPhone: string, env: Record<string, string> = {}) {
    h = await BotHarness.start({ sim: { ringMs: 300 }, env });
    await h.verifiedCallerIds([POOL_NUMBER]);
    await h.stores.agents.authorize({ telegramId: '2001', phone: annPhone, callerId: POOL_NUMBER, by: String(ADMIN_ID), displayName: 'Ann' });
    await h.stores.agents.setRoute('2001', 'M');
    annId = (await h.stores.agents.byTelegramId('2001'))!.id;
    ann = h.user(2001, 'Ann', 'ann');
    // Ann called the customer from the pool number two hours ago, and wrote down what they wanted.
    const at = new Date(Date.now() - 2 * 3600_000);
    await h.stores.calls.recordCallRequest({
      id: '11111111-1111-4111-8111-111111111111', agentId: annId, targetInput: CUSTOMER, target: CUSTOMER, callerId: POOL_NUMBER, route: 'M',
      stage: 'ended', outcome: 'completed', requestedAt: at, endedAt: at, disposition: 'callback', note: 'wants a quote',
    });
  }

  afterEach(() => h.stop());

  /** The customer's INVITE to the pool number, as Asterisk hands it to the app: a ringing channel in Stasis with `inbound,<number>`. */
  async function customerCalls(): Promise<void> {
    h.sim.callIn({ channelId: 'in-1', endpoint: 'PJSIP/trunk-main', app: 'callbot', calledNumber: POOL_NUMBER.slice(1), callerNumber: CUSTOMER });
  }

  it('given Ann called the customer, when they call back, then her status message says so with her outcome and note, goes live with Hang up and Transfer, and her Hang up ends it', async () => {
    await startWith('+15551230001');
    await customerCalls();
    const status = await ann.waitFor(/🟢 Connected/, 10000);
    expect(status.text).toMatch(/^📲 Return call from \+1 202-555-0123 — you called them 2 h ago\nLast outcome: callback\nNote: wants a quote\n/);
    expect(status.buttons.map((b) => b.text)).toEqual(expect.arrayContaining(['⏹ Hang up', '↪️ Transfer']));
    await ann.tap('⏹ Hang up');
    const ended = await ann.waitFor(/Call ended/, 10000);
    expect(ended.messageId).toBe(status.messageId);
    await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, { what: 'no channel or bridge left' });
    await h.engine.settled();
    const [row] = await h.stores.calls.recentRequestsOfAgent(annId, 1);
    expect(row).toMatchObject({ direction: 'inbound', stage: 'ended', outcome: 'completed', statusMessageId: status.messageId });
  });

  it('given the call is connected, when the customer hangs up, then the call ends completed and the engine holds nothing', async () => {
    await startWith('+15551230001');
    await customerCalls();
    await ann.waitFor(/🟢 Connected/, 10000);
    h.sim.farEndHangup('in-1');
    await ann.waitFor(/Call ended/, 10000);
    await waitFor(() => h.engine.callsInFlight() === 0, { what: 'the engine holds no call' });
    await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, { what: 'no channel or bridge left' });
  });

  it('given Ann\'s phone is busy and nobody else is free, then the customer hears the message, and Ann gets a missed-call message with 📞 Call back', async () => {
    await startWith('+15551230486');
    await customerCalls();
    const missed = await ann.waitFor(/Missed return call/, 15000);
    expect(missed.text).toBe('📵 Missed return call from +1 202-555-0123 to +1 555-123-4567: nobody answered. You called them 2 h ago.');
    expect(missed.buttons.map((b) => b.text)).toEqual(['📞 Call back']);
    const play = h.sim.requests().find((r) => r.method === 'POST' && r.path === '/ari/channels/in-1/play');
    expect(play).toBeDefined();
    await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, { what: 'no channel or bridge left' });
  });

  it('given nobody took the customer\'s return call, then Ann also has a callback task for them, already reminded by the missed-call message', async () => {
    await startWith('+15551230486');
    await customerCalls();
    await ann.waitFor(/Missed return call/, 15000);
    const [inbound] = await h.stores.calls.recentRequestsOfAgent(annId, 1);
    await waitFor(async () => (await h.stores.callbacks.open(annId)).length === 1, { what: 'Ann\'s callback task' });
    const [task] = await h.stores.callbacks.open(annId);
    expect(task).toMatchObject({ agentId: annId, number: CUSTOMER, route: 'M', callId: inbound!.id, state: 'reminded' });
    await ann.send('/callbacks');
    expect((await ann.waitFor(/Pending callbacks/, 8000)).text).toMatch(/202-555-0123/);
  });

  it('given a missed return call left Ann a callback task, when she taps 📞 Call back on the missed-call message, then a call to the customer goes out and the task is done', async () => {
    await startWith('+15551230486');
    await customerCalls();
    await ann.waitFor(/Missed return call/, 15000);
    await waitFor(async () => (await h.stores.callbacks.open(annId)).length === 1, { what: 'Ann\'s callback task' });
    const [task] = await h.stores.callbacks.open(annId);
    await waitFor(() => h.sim.channels().length === 0, { what: 'the return call gone from Asterisk' });
    await ann.tap('📞 Call back');
    await waitFor(async () => (await h.stores.callbacks.byId(task!.id))?.state === 'done', { what: 'the callback task done', timeoutMs: 10000 });
    const [placed] = await h.stores.calls.recentRequestsOfAgent(annId, 1);
    expect(placed).toMatchObject({ direction: 'outbound', target: CUSTOMER });
    expect(await h.stores.callbacks.open(annId)).toEqual([]);
  });

  it('given Ann has a callback to make to the customer, when the customer calls back and Ann answers, then her callback is done and nothing reminds her of it', async () => {
    await startWith('+15551230001');
    const task = await h.stores.callbacks.add({
      callId: '11111111-1111-4111-8111-111111111111', agentId: annId, number: CUSTOMER, route: 'M', dueAt: new Date(Date.now() + 3600_000), createdAt: new Date(),
    });
    await customerCalls();
    await ann.waitFor(/🟢 Connected/, 10000);
    await waitFor(async () => (await h.stores.callbacks.byId(task.id))?.state === 'done', { what: 'Ann\'s callback done' });
    expect(await h.stores.callbacks.open(annId)).toEqual([]);
  });

  it('given RETURN_CALL_ANNOUNCE=digits, when Ann answers, then her phone is read the customer\'s number before the customer is answered, and then they are connected', async () => {
    await startWith('+15551230001', { RETURN_CALL_ANNOUNCE: 'digits' });
    await customerCalls();
    await ann.waitFor(/🟢 Connected/, 10000);
    const requests = h.sim.requests();
    const announced = requests.findIndex((r) => r.method === 'POST' && /^\/ari\/channels\/[^/]+-agent\/play$/.test(r.path) && r.query['media'] === 'digits:12025550123');
    const answered = requests.findIndex((r) => r.method === 'POST' && r.path === '/ari/channels/in-1/answer');
    expect(announced).toBeGreaterThanOrEqual(0);
    expect(answered).toBeGreaterThan(announced);
    await ann.tap('⏹ Hang up');
    await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, { what: 'no channel or bridge left' });
  });

  describe('a restart before anyone took the return call (its resumed call goes on: spec/integration/call-engine-restart.spec.ts)', () => {
    /** Ann's phone rings without answer while the customer waits; her status message is recorded; then the app restarts. */
    async function restartedWhileAnnRings(): Promise<{ statusId: number; callId: string }> {
      await startWith('+15551230480');
      await customerCalls();
      const ringing = await ann.waitFor(/^📲 Return call from/, 10000);
      const [inbound] = await h.stores.calls.recentRequestsOfAgent(annId, 1);
      await waitFor(async () => (await h.stores.calls.byId(inbound!.id))?.statusMessageId === ringing.messageId, { what: 'the status message recorded' });
      await h.engine.writesSettled();
      h = await h.restarted();
      ann = h.user(2001, 'Ann', 'ann');
      return { statusId: ringing.messageId, callId: inbound!.id };
    }

    it('given Ann\'s phone still rang, when the app restarts, then the return call goes on ringing her, and her status message is followed again under who called back', async () => {
      const { statusId, callId } = await restartedWhileAnnRings();
      await waitFor(() => h.engine.callState(callId)?.stage === 'agent_ringing', { what: 'the return call resumed' });
      const status = await waitFor(() => ann.messages().find((m) => m.messageId === statusId), { what: 'the status message' });
      expect(status.text).toMatch(/^📲 Return call from \+1 202-555-0123 — you called them 2 h ago\nLast outcome: callback\nNote: wants a quote\n/);
      expect(status.text).not.toMatch(/Interrupted/);
      await h.engine.writesSettled();
      expect(await h.stores.calls.byId(callId)).toMatchObject({ stage: 'agent_ringing', direction: 'inbound' });
      expect(h.sim.channels().map((c) => c.id).sort()).toEqual([`${callId}-agent`, 'in-1']);
    });

    it('given Ann\'s phone still rang and nobody else is on the route, when the app restarts and she does not answer, then Ann gets the missed-call message with 📞 Call back and a callback task, as when nobody answers', async () => {
      const { callId } = await restartedWhileAnnRings();
      await waitFor(() => h.engine.callState(callId) !== undefined, { what: 'the return call resumed' });
      h.sim.farEndHangup(`${callId}-agent`, CAUSE.NO_ANSWER);
      const missed = await ann.waitFor(/Missed return call/, 10000);
      expect(missed.text).toBe('📵 Missed return call from +1 202-555-0123 to +1 555-123-4567: nobody answered. You called them 2 h ago.');
      expect(missed.buttons.map((b) => b.text)).toEqual(['📞 Call back']);
      await waitFor(async () => (await h.stores.callbacks.open(annId)).length === 1, { what: 'Ann\'s callback task' });
      const [task] = await h.stores.callbacks.open(annId);
      expect(task).toMatchObject({ agentId: annId, number: CUSTOMER, route: 'M', callId, state: 'reminded' });
      await waitFor(() => h.sim.channels().length === 0, { what: 'the return call gone from Asterisk' });
      await ann.tap('📞 Call back');
      await waitFor(async () => (await h.stores.callbacks.byId(task!.id))?.state === 'done', { what: 'the callback task done', timeoutMs: 10000 });
    });
  });
});
