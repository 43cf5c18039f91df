import { waitFor } from '../support/wait-for';
import { E2eBot } from './support/e2e-bot';
import { AsteriskLab } from './support/lab';
import {
  ANN, DEV, PHONE, PlacedCall, TARGET, answeredWith, callerIdOf, received, sent,
} from './support/scenario';
import { ms, report, table } from './support/report';
import { invitesIn } from './support/sip-trace';
import { TcpProxy } from './support/tcp-proxy';

/**
 * Calls placed from Telegram (local Bot API server) through the real bot, engine and ARI adapter
 * adapter, a real Asterisk 18.9+ and sipp providers, all on loopback. Ring timeouts are 3 s.
 * After every scenario Asterisk must hold no channel and no bridge, and the Call row must have
 * ended with the right outcome.
 */
describe('e2e: calls through a real Asterisk', () => {
  let lab: AsteriskLab;
  /** Timings read from the providers' message traces (one clock: sipp's), printed at the end. */
  const timings: string[][] = [];
  const timing = (scenario: string, what: string, valueMs: number) => timings.push([scenario, what, ms(valueMs)]);

  beforeAll(async () => {
    lab = await AsteriskLab.start('calls');
  });

  afterAll(async () => {
    await lab?.stop();
    if (timings.length) report('call-timings', ['SIP timings seen by the providers in the call scenarios', '', table(['scenario', 'from -> to', 'time'], timings)]);
  });

  /** The app instance of the describe block that is running (one at a time: they share the ARI app name). */
  let current: E2eBot | undefined;

  /** Whatever a failed scenario left (a live call, channels, a bridge) is ended before the next one. */
  afterEach(async () => {
    if (current) {
      for (const call of current.engine.liveCalls()) current.engine.cancelCall(call.context.callId, 'system');
      await current.engine.settled();
    }
    await lab.clearLeftovers();
  });

  /** Asterisk is clean after the scenario: no channel, no bridge. */
  async function expectCleanAsterisk(): Promise<void> {
    await lab.expectNothingLeft();
  }

  describe('through the bot', () => {
    let bot: E2eBot;

    beforeAll(async () => {
      current = bot = await E2eBot.start(lab, 'calls');
    });

    afterAll(async () => {
      current = undefined;
      await bot?.stop();
    });

    it('happy call on Main: both INVITEs reach the Main provider with the agent\'s caller ID; the agent hangs up after talking', async () => {
      const call = await PlacedCall.place(bot, lab, ANN, PHONE.hangsUpAfter2s, TARGET.answers);
      const status = await call.status(/Call ended/, 15000);
      expect(status.history.some((t) => /^🟢 Connected/.test(t))).toBe(true);
      expect(status.text).toMatch(/^📴 Call ended — 0:0[12] — you hung up/);

      const agentInvite = call.inviteFor(PHONE.hangsUpAfter2s)!;
      const targetInvite = call.inviteFor(TARGET.answers)!;
      expect(agentInvite).toBeDefined();
      expect(targetInvite).toBeDefined();
      expect(callerIdOf(agentInvite)).toEqual({ from: ANN.callerId, pai: ANN.callerId });
      expect(callerIdOf(targetInvite)).toEqual({ from: ANN.callerId, pai: ANN.callerId });
      const agentOk = call.inDialog(agentInvite, answeredWith(200))!;
      expect(targetInvite.at).toBeGreaterThan(agentOk.at);
      timing('happy call on Main', 'agent 200 OK -> target INVITE', targetInvite.at - agentOk.at);
      expect(invitesIn(call.sip('dev'))).toEqual([]);
      // The agent's phone hung up; the app hung up the customer.
      expect(call.inDialog(agentInvite, sent('BYE'))).toBeDefined();
      await call.waitInDialog(targetInvite, 'a BYE from Asterisk', received('BYE'));

      expect(await call.endedRow()).toMatchObject({
        outcome: 'completed', endedBy: 'agent', route: 'M', callerId: ANN.callerId, statusMessageId: status.messageId,
      });
      await expectCleanAsterisk();
    });

    it('happy call on Development: both INVITEs reach the Development provider, none the Main one', async () => {
      const call = await PlacedCall.place(bot, lab, DEV, PHONE.hangsUpAfter2s, TARGET.answers);
      const status = await call.status(/Call ended/, 15000);
      expect(status.history.some((t) => /^🟢 Connected/.test(t))).toBe(true);
      expect(status.text).toContain('[D]');

      const agentInvite = call.inviteFor(PHONE.hangsUpAfter2s, 'dev')!;
      const targetInvite = call.inviteFor(TARGET.answers, 'dev')!;
      expect(agentInvite).toBeDefined();
      expect(targetInvite).toBeDefined();
      expect(callerIdOf(agentInvite)).toEqual({ from: DEV.callerId, pai: DEV.callerId });
      expect(callerIdOf(targetInvite)).toEqual({ from: DEV.callerId, pai: DEV.callerId });
      expect(invitesIn(call.sip('main'))).toEqual([]);
      timing('happy call on Development', 'agent 200 OK -> target INVITE', targetInvite.at - call.inDialog(agentInvite, answeredWith(200), 'dev')!.at);
      await call.waitInDialog(targetInvite, 'a BYE from Asterisk', received('BYE'));

      expect(await call.endedRow()).toMatchObject({ outcome: 'completed', endedBy: 'agent', route: 'D', callerId: DEV.callerId });
      await expectCleanAsterisk();
    });

    it('agent busy: the status says so and the customer is never dialed', async () => {
      const call = await PlacedCall.place(bot, lab, ANN, PHONE.busy, TARGET.answers);
      await call.status(/❌ Your phone was busy/);
      expect(call.inDialog(call.inviteFor(PHONE.busy)!, answeredWith(486))).toBeDefined();
      expect(call.inviteFor(TARGET.answers)).toBeUndefined();
      expect(await call.endedRow()).toMatchObject({ outcome: 'agent_busy', endedBy: 'agent' });
      await expectCleanAsterisk();
    });

    it('agent no answer: Asterisk cancels the agent leg at the 3 s ring timeout; the customer is never dialed', async () => {
      const call = await PlacedCall.place(bot, lab, ANN, PHONE.ringsForever, TARGET.answers);
      await call.status(/❌ You did not answer your phone/, 12000);
      const invite = call.inviteFor(PHONE.ringsForever)!;
      const cancel = call.inDialog(invite, received('CANCEL'))!;
      expect(cancel).toBeDefined();
      expect(cancel.at - invite.at).toBeGreaterThan(2500);
      expect(cancel.at - invite.at).toBeLessThan(4500);
      timing('agent no answer', 'agent INVITE -> CANCEL (ring timeout 3 s)', cancel.at - invite.at);
      expect(call.inviteFor(TARGET.answers)).toBeUndefined();
      expect(await call.endedRow()).toMatchObject({ outcome: 'agent_no_answer' });
      await expectCleanAsterisk();
    });

    it('target busy: the status says Busy and the agent leg is hung up', async () => {
      const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.busy);
      await call.status(/❌ Busy/);
      const targetInvite = call.inviteFor(TARGET.busy)!;
      expect(call.inDialog(targetInvite, answeredWith(486))).toBeDefined();
      await call.waitInDialog(call.inviteFor(PHONE.answers)!, 'a BYE to the agent', received('BYE'));
      expect(await call.endedRow()).toMatchObject({ outcome: 'target_busy', endedBy: 'target', hangupCause: 17 });
      await expectCleanAsterisk();
    });

    it('target not found: the status says Invalid number and the agent leg is hung up', async () => {
      const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.notFound);
      await call.status(/⚠️ Invalid number/);
      expect(call.inDialog(call.inviteFor(TARGET.notFound)!, answeredWith(404))).toBeDefined();
      await call.waitInDialog(call.inviteFor(PHONE.answers)!, 'a BYE to the agent', received('BYE'));
      expect(await call.endedRow()).toMatchObject({ outcome: 'target_invalid_number', endedBy: 'target', hangupCause: 1 });
      await expectCleanAsterisk();
    });

    it('target no answer: the customer leg is cancelled at the 3 s ring timeout and the agent leg hung up', async () => {
      const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.ringsForever);
      await call.status(/❌ No answer/, 12000);
      const targetInvite = call.inviteFor(TARGET.ringsForever)!;
      const cancel = call.inDialog(targetInvite, received('CANCEL'))!;
      expect(cancel).toBeDefined();
      expect(cancel.at - targetInvite.at).toBeGreaterThan(2500);
      expect(cancel.at - targetInvite.at).toBeLessThan(4500);
      timing('target no answer', 'target INVITE -> CANCEL (ring timeout 3 s)', cancel.at - targetInvite.at);
      await call.waitInDialog(call.inviteFor(PHONE.answers)!, 'a BYE to the agent', received('BYE'));
      expect(await call.endedRow()).toMatchObject({ outcome: 'target_no_answer' });
      await expectCleanAsterisk();
    });

    it('agent hangs up while the customer rings: the customer leg is cancelled at once (CANCEL within 1 s of the agent\'s BYE)', async () => {
      const call = await PlacedCall.place(bot, lab, ANN, PHONE.hangsUpAfter2s, TARGET.ringsForever);
      await call.status(/You hung up before they answered/, 10000);
      const agentBye = call.inDialog(call.inviteFor(PHONE.hangsUpAfter2s)!, sent('BYE'))!;
      expect(agentBye).toBeDefined();
      const targetInvite = call.inviteFor(TARGET.ringsForever)!;
      const cancel = await call.waitInDialog(targetInvite, 'a CANCEL to the customer', received('CANCEL'), 2000);
      const delayMs = cancel.at - agentBye.at;
      timing('agent hangs up while the customer rings', 'agent BYE -> target CANCEL', delayMs);
      expect(delayMs).toBeGreaterThanOrEqual(0);
      expect(delayMs).toBeLessThan(1000);
      expect(await call.endedRow()).toMatchObject({ outcome: 'agent_hung_up', endedBy: 'agent' });
      await expectCleanAsterisk();
    });

    it('target hangs up: the agent leg is hung up at once and the status says they hung up', async () => {
      const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.hangsUpAfter2s);
      const status = await call.status(/Call ended/, 10000);
      expect(status.text).toMatch(/^📴 Call ended — 0:0[12] — they hung up/);
      const targetBye = call.inDialog(call.inviteFor(TARGET.hangsUpAfter2s)!, sent('BYE'))!;
      const agentBye = await call.waitInDialog(call.inviteFor(PHONE.answers)!, 'a BYE to the agent', received('BYE'));
      expect(agentBye.at - targetBye.at).toBeLessThan(1000);
      timing('target hangs up', 'target BYE -> agent BYE', agentBye.at - targetBye.at);
      expect(await call.endedRow()).toMatchObject({ outcome: 'completed', endedBy: 'target' });
      await expectCleanAsterisk();
    });

    it('hang-up button mid-call: both legs get a BYE and the bridge is destroyed', async () => {
      const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.answers);
      await call.status(/🟢 Connected/);
      expect((await lab.bridges())).toHaveLength(1);
      const tappedAt = Date.now();
      await call.user.tap('⏹ Hang up');
      const status = await call.status(/Call ended/);
      expect(status.text).toMatch(/you hung up|hung up from Telegram/);
      const agentBye = await call.waitInDialog(call.inviteFor(PHONE.answers)!, 'a BYE to the agent', received('BYE'));
      const targetBye = await call.waitInDialog(call.inviteFor(TARGET.answers)!, 'a BYE to the customer', received('BYE'));
      timing('hang-up button', 'tap -> last BYE (through the Bot API server)', Math.max(agentBye.at, targetBye.at) - tappedAt);
      expect(await call.endedRow()).toMatchObject({ outcome: 'completed' });
      await expectCleanAsterisk();
    });
  });

  describe('with answer confirmation (AGENT_CONFIRM_DIGIT=1)', () => {
    let bot: E2eBot;

    beforeAll(async () => {
      current = bot = await E2eBot.start(lab, 'confirm', { env: { AGENT_CONFIRM_DIGIT: '1', AGENT_CONFIRM_TIMEOUT_S: '2' } });
    });

    afterAll(async () => {
      current = undefined;
      await bot?.stop();
    });

    it('the agent presses 1 (RFC 2833 from the phone): only then is the customer dialed, and the call connects', async () => {
      const call = await PlacedCall.place(bot, lab, ANN, PHONE.pressesOne, TARGET.answers);
      const connected = await call.status(/🟢 Connected/);
      expect(connected.history.some((t) => /press 1 to confirm/.test(t))).toBe(true);
      const agentOk = call.inDialog(call.inviteFor(PHONE.pressesOne)!, answeredWith(200))!;
      const targetInvite = call.inviteFor(TARGET.answers)!;
      // The phone sends the digit 500 ms after its answer is acknowledged.
      expect(targetInvite.at - agentOk.at).toBeGreaterThan(450);
      timing('answer confirmation', 'agent 200 OK -> target INVITE (digit sent at +500 ms)', targetInvite.at - agentOk.at);
      await call.user.tap('⏹ Hang up');
      await call.status(/Call ended/);
      expect(await call.endedRow()).toMatchObject({ outcome: 'completed' });
      await expectCleanAsterisk();
    });

    it('the agent answers but never presses 1: the call ends as not confirmed and the customer is never dialed', async () => {
      const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.answers);
      await call.status(/⚠️ Not confirmed/, 10000);
      expect(call.inviteFor(TARGET.answers)).toBeUndefined();
      await call.waitInDialog(call.inviteFor(PHONE.answers)!, 'a BYE to the agent', received('BYE'));
      expect(await call.endedRow()).toMatchObject({ outcome: 'agent_not_confirmed' });
      await expectCleanAsterisk();
    });
  });

  describe('when the ARI WebSocket drops mid-call', () => {
    let bot: E2eBot;
    let proxy: TcpProxy;

    beforeAll(async () => {
      proxy = await TcpProxy.start('127.0.0.1', lab.httpPort);
      current = bot = await E2eBot.start(lab, 'ws-drop', { ariUrl: proxy.url });
    });

    afterAll(async () => {
      current = undefined;
      try {
        await bot?.stop();
      } finally {
        await proxy?.stop();
      }
    });

    it('the adapter reconnects, notices the customer hung up while it was cut off, and ends and cleans up the call', async () => {
      const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.hangsUpAfter2s);
      await waitFor(() => bot.engine.liveCalls()[0]?.stage === 'connected', { timeoutMs: 10000, what: 'the call to connect' });
      // Mid-call, not mid-request: both legs in the bridge (on 18.9 each addChannel takes ~200 ms
      // without RTP) and the ringback stopped. A drop that cuts a REST request in flight fails the
      // call instead (see the report), which is another scenario.
      await waitFor(async () => (await lab.bridges())[0]?.channels.length === 2, { timeoutMs: 3000, what: 'both legs in the bridge' });
      await new Promise((r) => setTimeout(r, 300));
      const socketsBefore = proxy.webSocketsOpened;
      // Cut every ARI connection (RST, no close frame) and refuse new ones for 3 s.
      const droppedAt = Date.now();
      expect(proxy.dropAll(3000)).toBeGreaterThan(0);
      await waitFor(() => !bot.engine.isTelephonyOnline(), { timeoutMs: 2000, what: 'the adapter to notice the drop' });

      // The customer hangs up (2 s after answering) while the app hears nothing: Asterisk keeps the agent up.
      const targetInvite = call.inviteFor(TARGET.hangsUpAfter2s)!;
      await call.waitInDialog(targetInvite, 'the customer\'s BYE', sent('BYE'), 4000);
      const agentChannel = `${bot.engine.liveCalls()[0]!.context.callId}-agent`;
      expect((await lab.channels()).map((c) => c.id)).toContain(agentChannel);
      expect(bot.engine.liveCalls()).toHaveLength(1);

      await waitFor(() => bot.engine.isTelephonyOnline(), { timeoutMs: 10000, what: 'the adapter to reconnect' });
      timing('ARI WebSocket dropped', 'drop -> app back online (3 s refused)', Date.now() - droppedAt);
      expect(proxy.webSocketsOpened).toBeGreaterThan(socketsBefore);
      const status = await call.status(/Call ended/, 10000);
      expect(status.text).toMatch(/they hung up/);
      const agentBye = await call.waitInDialog(call.inviteFor(PHONE.answers)!, 'a BYE to the agent', received('BYE'));
      const targetBye = call.inDialog(targetInvite, sent('BYE'))!;
      timing('ARI WebSocket dropped', 'target BYE (unheard) -> agent BYE', agentBye.at - targetBye.at);
      expect(await call.endedRow()).toMatchObject({ outcome: 'completed', endedBy: 'target' });
      await expectCleanAsterisk();
    });
  });

  describe('calls coming in', () => {
    it('an INVITE from an unlisted loopback address (127.0.0.9), even claiming to be trunk-main, is refused with 401 and creates no channel', async () => {
      const { code, trace, stdout } = await lab.uac('stranger', '127.0.0.9', 5070, TARGET.answers);
      const answers = trace.since(0).filter((m) => m.dir === 'in' && m.status !== undefined && m.status >= 200).map((m) => m.status);
      expect({ code, answers, stdout: code === 0 ? '' : stdout }).toEqual({ code: 0, answers: [401], stdout: '' });
      expect(await lab.channels()).toEqual([]);
      await expectCleanAsterisk();
    });

    it('an INVITE from the Main provider\'s own address is identified as trunk-main and, the number dialled being outside the caller-ID pool, refused (403)', async () => {
      const { code, trace, stdout } = await lab.uac('provider-inbound', '127.0.0.2', 5070, TARGET.answers);
      const answers = trace.since(0).filter((m) => m.dir === 'in' && m.status !== undefined && m.status >= 200).map((m) => m.status);
      expect({ code, answers, stdout: code === 0 ? '' : stdout }).toEqual({ code: 0, answers: [403], stdout: '' });
      await expectCleanAsterisk();
    });
  });
});
