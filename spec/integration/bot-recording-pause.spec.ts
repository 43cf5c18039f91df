import { RECORDING } from '../../telegram/texts';
import { BotHarness, type TestUser } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';

/**
 * A recorded call from Telegram on the real product: the bot, the engine with a route recorded
 * (an injected RecordingPolicies, as app/main.ts takes one), the real ARI adapter and the ARI simulator.
 */
describe('bot: a recorded call\'s status message and its pause button', () => {
  let h: BotHarness;
  let ann: TestUser;
  let bob: TestUser;
  const answers: Array<{ text?: string }> = [];
  const CUSTOMER = '+12025550123';

  beforeEach(async () => {
    answers.length = 0;
    h = await BotHarness.start({ statusEditIntervalMs: 100, engineRecording: { recordingPolicies: { policyFor: async () => 'on' } } });
    ({ ann, bob } = await h.annAndBob(answers));
  });

  afterEach(() => h.stop());

  const recordRequests = () => h.sim.requests().filter((r) => /\/record$|\/recordings\/live\//.test(r.path)).map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, '<call>')}`);

  it('given a recorded call, when its agent taps ⏸ then ▶️, then Asterisk pauses and resumes it, the status says so each time, and each tap is audited', async () => {
    await ann.send(`/call ${CUSTOMER}`);
    await ann.waitFor(/^🟢 Connected[\s\S]*⏺ Recording$/, 15000);
    const callId = h.engine.liveCalls()[0]!.context.callId;
    await waitFor(() => ann.messages().find((m) => m.buttons.some((b) => b.text === RECORDING.pauseButton)), { what: 'the pause button' });

    await ann.tap(RECORDING.pauseButton);
    await ann.waitFor(/⏸ Recording paused$/, 8000);
    await waitFor(() => ann.messages().find((m) => m.buttons.some((b) => b.text === RECORDING.resumeButton)), { what: 'the resume button' });
    await ann.tap(RECORDING.resumeButton);
    await ann.waitFor(/^🟢 Connected[\s\S]*⏺ Recording$/, 8000);

    expect(recordRequests()).toEqual([
      'POST /ari/bridges/<call>-bridge/record', 'POST /ari/recordings/live/<call>-rec/pause', 'DELETE /ari/recordings/live/<call>-rec/pause',
    ]);
    const audit = await h.stores.audit.latest(5);
    expect(audit.filter((a) => a.action.startsWith('recording_')).map((a) => [a.action, a.actor, a.subject])).toEqual([
      ['recording_resumed', '2001', callId], ['recording_paused', '2001', callId],
    ]);

    await ann.tap('⏹ Hang up');
    await ann.waitFor(/Call ended/, 8000);
    await waitFor(() => recordRequests().includes('POST /ari/recordings/live/<call>-rec/stop'), { what: 'the recording stopped' });
    // Stored in Asterisk for the media pipeline to fetch, through the same port.
    expect((await h.ari.fetchStoredRecording(`${callId}-rec`)).subarray(0, 4).toString('latin1')).toBe('RIFF');
  });

  it('given another user taps the pause button of Ann\'s call, then it is refused and nothing is paused', async () => {
    await ann.send(`/call ${CUSTOMER}`);
    await ann.waitFor(/⏺ Recording$/, 15000);
    const message = await waitFor(() => ann.messages().find((m) => m.buttons.some((b) => b.text === RECORDING.pauseButton)), { what: 'the pause button' });
    const data = message.buttons.find((b) => b.text === RECORDING.pauseButton)!.data;
    await bob.tapData(data, message.messageId);
    await waitFor(() => answers.some((a) => a.text === RECORDING.notOwner), { what: 'the refusal' });
    expect(recordRequests().filter((r) => r.includes('pause'))).toEqual([]);
    await ann.tap('⏹ Hang up');
    await ann.waitFor(/Call ended/, 8000);
  });
});
