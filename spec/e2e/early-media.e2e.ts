import { PARTY } from '../../telegram/texts';
import { waitFor } from '../support/wait-for';
import { E2eBot, type E2eUser } from './support/e2e-bot';
import { ChannelEar, toneAmplitude, wavSamples } from './support/channel-ear';
import { AsteriskLab, EARLY_MEDIA_HZ } from './support/lab';
import { ANN, PHONE, PlacedCall, TARGET } from './support/scenario';
import { report, table } from './support/report';

/** provider-uas.xml: …0183 sends 183 with SDP and streams a 1 kHz tone for 4 s before answering; …0184 the tone for 2 s, then 404. */
const EARLY = { thenAnswers: '+12025550183', thenNotFound: '+12025550184' } as const;
/** How much of what the agent is sent is recorded while the customer's side has not answered. */
const LISTEN_S = 1;

/**
 * Early media on a real Asterisk: the customer's channel waits in the call's bridge while it is
 * dialed, so the audio of a 183 with SDP reaches the agent through the bridge once callbot's
 * `tone:ring` stops; a number the agent consults or adds to a connected call waits in the bridge
 * the agent is in, and is heard the same way. What the agent's phone is sent is recorded by Asterisk (a snoop on the
 * agent's channel) and told apart by frequency: the provider's 1 kHz tone against tone:ring's
 * 440 + 480 Hz.
 */
describe('e2e: early media reaches the agent', () => {
  let lab: AsteriskLab;
  let bot: E2eBot;
  let ear: ChannelEar;
  const rows: string[][] = [];

  beforeAll(async () => {
    lab = await AsteriskLab.start('early-media');
    // The customer rings long enough to be listened to before the ring timeout ends the call.
    bot = await E2eBot.start(lab, 'early-media', { env: { TARGET_RING_TIMEOUT_S: '8' } });
    ear = await ChannelEar.open(lab);
  });

  afterEach(async () => {
    if (!bot) return;
    for (const call of bot.engine.liveCalls()) bot.engine.cancelCall(call.context.callId, 'system');
    await bot.engine.settled();
    await lab.clearLeftovers();
  });

  afterAll(async () => {
    ear?.close();
    await bot?.stop();
    await lab?.stop();
    if (rows.length) report('early-media', ['What the agent\'s channel was sent before the customer, or the number consulted or added, answered (Goertzel amplitude, 16-bit)', '', table(['scenario', `${EARLY_MEDIA_HZ} Hz`, '440 Hz', '480 Hz', 'stage once recorded'], rows)]);
  });

  /** The agent's taps from the connected call's status message to the prompt for a number, then the number. */
  async function callInParty(user: E2eUser, how: 'warm' | 'add', number: string): Promise<void> {
    const before = user.messages().length;
    if (how === 'add') {
      await user.tap(PARTY.addButton);
    } else {
      await user.tap(PARTY.transferButton);
      await user.waitFor(/Cold: the customer goes/, 8000, before);
      await user.tap(PARTY.warmButton);
    }
    await user.waitFor(/to whom\?|Who should join/, 8000, before);
    await user.tap(PARTY.typeNumberButton);
    await user.waitFor(/Send the number to/, 8000, before);
    await user.send(number);
    await user.waitFor(how === 'add' ? /into the call/ : /the customer is on hold/, 8000, before);
  }

  /** The party's leg (p3) of the live call, once it is `status` in the engine. */
  async function partyIs(status: 'ringing' | 'up'): Promise<void> {
    const { callId } = live();
    await waitFor(() => bot.engine.callState(callId)?.legs.find((l) => l.id === 'p3')?.status === status, { timeoutMs: 8000, what: `the party's leg ${status}` });
  }

  /** Taps the button once the status message shows it: its edits are paced as Telegram asks. */
  async function tapOnceShown(user: E2eUser, label: string): Promise<void> {
    await waitFor(() => user.messages().some((m) => m.buttons.some((b) => b.text === label)), { timeoutMs: 8000, what: `a ${label} button` });
    await user.tap(label);
  }

  const partyStatus = () => bot.engine.callState(live().callId)?.legs.find((l) => l.id === 'p3')?.status;

  /** The live call's id and its agent's channel. */
  function live(): { callId: string; agentChannel: string } {
    const [call] = bot.engine.liveCalls();
    if (!call) throw new Error('no live call');
    return { callId: call.context.callId, agentChannel: `${call.context.callId}-agent` };
  }

  /** Records what the agent is sent now; returns the amplitudes of the early media's tone and tone:ring's two. */
  async function agentHears(scenario: string): Promise<{ early: number; ring: number; stage: string | undefined }> {
    const { callId, agentChannel } = live();
    const wav = await ear.record(agentChannel, `${callId}-ear`, LISTEN_S);
    const stage = bot.engine.liveCalls().find((c) => c.context.callId === callId)?.stage;
    const samples = wavSamples(wav);
    const early = toneAmplitude(samples, EARLY_MEDIA_HZ);
    const ring = Math.max(toneAmplitude(samples, 440), toneAmplitude(samples, 480));
    rows.push([scenario, early.toFixed(0), toneAmplitude(samples, 440).toFixed(0), toneAmplitude(samples, 480).toFixed(0), stage ?? 'ended']);
    return { early, ring, stage };
  }

  it('given the customer\'s network answers the dial with 183 and audio, then the agent is sent that audio, not tone:ring, before the customer answers; then the call connects', async () => {
    const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, EARLY.thenAnswers);
    await call.status(/Ringing/, 10000);
    const heard = await agentHears('183 + 1 kHz, then answer');
    // Recorded before the answer (4 s after the 183): the customer's side was still ringing.
    expect(heard.stage).toBe('target_ringing');
    expect(heard.early).toBeGreaterThan(1000);
    expect(heard.ring).toBeLessThan(heard.early / 10);
    await call.status(/You hear the customer's network/, 1000);
    await call.status(/Connected/, 10000);
    bot.engine.cancelCall(live().callId, 'agent');
    await call.status(/Call ended/, 10000);
    await lab.expectNothingLeft();
  }, 40_000);

  it('given no early media (180 without SDP), then the agent is sent callbot\'s tone:ring while the customer\'s phone rings', async () => {
    const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.ringsForever);
    await call.status(/Ringing/, 10000);
    const heard = await agentHears('180, no early media');
    expect(heard.stage).toBe('target_ringing');
    expect(heard.ring).toBeGreaterThan(500);
    expect(heard.early).toBeLessThan(heard.ring / 10);
    await call.status(/No answer/, 15000);
    await lab.expectNothingLeft();
  }, 40_000);

  it('given an announcement then 404, then the agent is sent the announcement and the final status says the network played one, most likely "not in service" (cause 1)', async () => {
    const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, EARLY.thenNotFound);
    await call.status(/Ringing/, 10000);
    const heard = await agentHears('183 + 1 kHz, then 404');
    expect(heard.early).toBeGreaterThan(1000);
    await call.status(/played an announcement before the call failed: most likely the number is not in service \(cause 1\)/, 10000);
    const row = await call.endedRow();
    expect(row).toMatchObject({ outcome: 'target_invalid_number', hangupCause: 1 });
    await lab.expectNothingLeft();
  }, 40_000);

  it('given a connected call, when the agent consults a number whose network answers with 183 and audio, then the agent is sent that audio, not tone:ring, before the number answers; Back leaves nothing behind', async () => {
    const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.answers);
    await call.status(/🟢 Connected/, 15000);
    await callInParty(call.user, 'warm', EARLY.thenAnswers);
    await partyIs('ringing');
    const heard = await agentHears('consultation: 183 + 1 kHz, then answer');
    // Recorded before the answer (4 s after the 183): the consulted number was still ringing.
    expect(partyStatus()).toBe('ringing');
    expect(heard.early).toBeGreaterThan(1000);
    expect(heard.ring).toBeLessThan(heard.early / 10);
    await partyIs('up');
    await tapOnceShown(call.user, PARTY.backButton);
    await waitFor(() => partyStatus() === 'ended', { timeoutMs: 8000, what: 'the consulted number hung up after Back' });
    await call.user.tap('⏹ Hang up');
    await call.status(/📴 Call ended/, 10000);
    await lab.expectNothingLeft();
  }, 60_000);

  it('given a connected call, when the agent adds a number whose network answers with 183 and audio, then the agent is sent that audio, not tone:ring, before the number answers', async () => {
    const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.answers);
    await call.status(/🟢 Connected/, 15000);
    await callInParty(call.user, 'add', EARLY.thenAnswers);
    await partyIs('ringing');
    const heard = await agentHears('added party: 183 + 1 kHz, then answer');
    expect(partyStatus()).toBe('ringing');
    expect(heard.early).toBeGreaterThan(1000);
    expect(heard.ring).toBeLessThan(heard.early / 10);
    await partyIs('up');
    await call.user.tap('⏹ Hang up');
    await call.status(/📴 Call ended/, 10000);
    await lab.expectNothingLeft();
  }, 60_000);

  it('given a connected call, when the agent consults a number that rings without early media (180 without SDP), then the agent is sent callbot\'s tone:ring while it rings', async () => {
    const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.answers);
    await call.status(/🟢 Connected/, 15000);
    await callInParty(call.user, 'warm', TARGET.ringsForever);
    await partyIs('ringing');
    const heard = await agentHears('consultation: 180, no early media');
    expect(partyStatus()).toBe('ringing');
    expect(heard.ring).toBeGreaterThan(500);
    expect(heard.early).toBeLessThan(heard.ring / 10);
    await tapOnceShown(call.user, PARTY.backButton);
    await waitFor(() => partyStatus() === 'ended', { timeoutMs: 8000, what: 'the consulted number cancelled after Back' });
    await call.user.tap('⏹ Hang up');
    await call.status(/📴 Call ended/, 10000);
    await lab.expectNothingLeft();
  }, 60_000);

  it('given a connected call, when the agent adds a number whose network plays an announcement then 404, then the agent hears it and the status message says what it most likely said (cause 1); the call goes on', async () => {
    const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.answers);
    await call.status(/🟢 Connected/, 15000);
    await callInParty(call.user, 'add', EARLY.thenNotFound);
    await partyIs('ringing');
    const heard = await agentHears('added party: 183 + 1 kHz, then 404');
    expect(heard.early).toBeGreaterThan(1000);
    await call.status(/\+1 202-555-0184's network played an announcement before the call failed: most likely the number is not in service \(cause 1\)/, 10000);
    expect(bot.engine.callState(live().callId)?.stage).toBe('connected');
    await tapOnceShown(call.user, '⏹ Hang up');
    await call.status(/📴 Call ended/, 10000);
    await lab.expectNothingLeft();
  }, 60_000);
});
