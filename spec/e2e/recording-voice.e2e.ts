import path from 'node:path';
import { writeUlawTone } from '../../bench/ulaw-tone';
import type { RecordingPolicy } from '../../call/call-types';
import { waitFor } from '../support/wait-for';
import { E2eBot } from './support/e2e-bot';
import { AsteriskLab, SIPP_DIR } from './support/lab';
import { ANN, PHONE, PlacedCall, TARGET } from './support/scenario';
import { ms, report, table } from './support/report';

/** The customer's talk, sipp's -d: load-uas.xml streams a tone on both legs, and the customer hangs up after this long. */
const TALK_MS = 5000;

/**
 * The whole way of a recording on a real Asterisk, wired as app/main.ts wires it: the route records
 * (with and without consent), the call is placed from Telegram, and after it the agent gets the
 * recording as a voice message under the call's final status, converted by ffmpeg, and Asterisk keeps
 * no copy.
 */
describe('e2e: a recorded call reaches its agent as a voice message', () => {
  let lab: AsteriskLab;
  let bot: E2eBot;
  let policy: RecordingPolicy = 'on';
  const rows: string[][] = [];

  beforeAll(async () => {
    const audio = path.join(process.env.E2E_RUN_DIR ?? '', 'talk.ulaw');
    writeUlawTone(audio, 1, 400);
    lab = await AsteriskLab.start('recording-voice', {
      provider: { scenario: path.join(SIPP_DIR, 'load-uas.xml'), files: { 'talk.ulaw': audio }, args: ['-d', String(TALK_MS)] },
    });
    bot = await E2eBot.start(lab, 'recording-voice', { recording: { recordingPolicies: { policyFor: async () => policy } }, voice: true });
  });

  afterAll(async () => {
    await bot?.stop();
    await lab?.stop();
    if (rows.length) report('recording-voice', ['A recorded call\'s voice message', '', table(['policy', 'talk', 'voice duration', 'hang-up → voice'], rows)]);
  });

  it.each(['on', 'consent'] as const)('given the route\'s policy is %s, when the call ends, then the agent gets an OGG/Opus voice message of the recorded time under the final status, and Asterisk keeps no copy', async (routePolicy) => {
    policy = routePolicy;
    const chatId = Number(ANN.telegramId);
    const before = bot.voicesTo(chatId).length;
    const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.answers);
    await call.status(/Connected[\s\S]*⏺ Recording/, 20000);
    const callId = bot.engine.liveCalls()[0]!.context.callId;
    const ended = await call.status(/Call ended/, TALK_MS + 10000);
    const endedAt = Date.now();

    const voice = await waitFor(() => bot.voicesTo(chatId).slice(before)[0], { timeoutMs: 30000, what: 'the recording as a voice message' });
    expect(voice.content.subarray(0, 4).toString('latin1')).toBe('OggS');
    expect(voice.content.includes(Buffer.from('OpusHead'))).toBe(true);
    expect(voice.replyTo).toBe(ended.messageId);
    const row = await bot.stores.calls.byId(callId);
    const talkS = (row!.endedAt!.getTime() - row!.connectedAt!.getTime()) / 1000;
    // The recording starts as the customer is joined: after the announcement under consent, so it may be shorter than the talk.
    expect(voice.duration).toBeGreaterThanOrEqual(1);
    expect(voice.duration!).toBeLessThanOrEqual(Math.ceil(talkS) + 1);
    rows.push([routePolicy, ms(talkS * 1000), `${voice.duration} s`, ms(voice.receivedAt - endedAt)]);

    // Delivered, the recording is removed from Asterisk: the pipeline deletes it through ARI.
    await waitFor(async () => (await bot.ari.fetchStoredRecording(`${callId}-rec`).then(() => false, () => true)) || undefined, { timeoutMs: 10000, what: 'the stored recording deleted' });
    expect(await bot.stores.recordings.present([callId])).toEqual(new Set([callId]));
  }, 90000);
});
