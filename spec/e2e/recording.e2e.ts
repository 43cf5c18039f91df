import fs from 'node:fs';
import path from 'node:path';
import { writeUlawTone } from '../../bench/ulaw-tone';
import type { CallUpdate } from '../../call/call-update';
import type { RecordingPolicy, RecordingView } from '../../call/call-types';
import { waitFor } from '../support/wait-for';
import { E2eBot } from './support/e2e-bot';
import { AsteriskLab, SIPP_DIR } from './support/lab';
import { ANN, PHONE, PlacedCall, TARGET, answeredWith } from './support/scenario';
import { ms, report, table } from './support/report';

/** The customer's talk, sipp's -d: load-uas.xml streams a tone on both legs, and the customer hangs up after this long. */
const TALK_MS = 6000;
/** How far the stored recording's length may be from what the call says it recorded. */
const TOLERANCE_S = 0.5;

/** A WAV file's format and samples (Asterisk writes 8 kHz, 16-bit, mono PCM for `wav`). */
function readWav(file: Buffer): { seconds: number; rms: number; loudest: number; levels: string } {
  if (file.toString('latin1', 0, 4) !== 'RIFF' || file.toString('latin1', 8, 12) !== 'WAVE') throw new Error('not a WAV file');
  let offset = 12;
  let byteRate = 0;
  let bits = 16;
  while (offset + 8 <= file.length) {
    const id = file.toString('latin1', offset, offset + 4);
    const size = file.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      byteRate = file.readUInt32LE(body + 8);
      bits = file.readUInt16LE(body + 14);
    } else if (id === 'data') {
      const length = Math.min(size, file.length - body);
      let sum = 0;
      const count = Math.floor(length / 2);
      // The level of each half second, to see where sound is and is not.
      const window = byteRate / 4;
      const levels: number[] = [];
      let windowSum = 0;
      for (let i = 0; i < count; i += 1) {
        const sample = file.readInt16LE(body + i * 2) ** 2;
        sum += sample;
        windowSum += sample;
        if ((i + 1) % window === 0) {
          levels.push(Math.round(Math.sqrt(windowSum / window)));
          windowSum = 0;
        }
      }
      if (bits !== 16 || byteRate === 0) throw new Error(`unexpected WAV format: ${bits} bits, ${byteRate} bytes/s`);
      return { seconds: length / byteRate, rms: Math.sqrt(sum / Math.max(1, count)), loudest: Math.max(0, ...levels), levels: levels.join(' ') };
    }
    offset = body + size + (size % 2);
  }
  throw new Error('the WAV file has no data chunk');
}

/**
 * Recording on a real Asterisk: the route's policy `on` (an injected RecordingPolicies, as app/main.ts
 * takes one), sipp streaming a tone on both legs (load-uas.xml), the call placed from Telegram. After
 * the call, the stored recording is read through the ARI adapter's fetchStoredRecording, as the media
 * pipeline reads it: a WAV as long as the recorded time, and not silence.
 */
describe('e2e: the call\'s recording on a real Asterisk', () => {
  let lab: AsteriskLab;
  let bot: E2eBot;
  const rows: string[][] = [];
  /** The route's policy as the injected RecordingPolicies answers it, per scenario. */
  let policy: RecordingPolicy = 'on';
  /** Asterisk's RTP counters of each call's legs 3 s into the talk (pjsip show channelstats): to tell a silent source from a lost mix. */
  const rtpStats: string[] = [];

  beforeAll(async () => {
    const audio = path.join(process.env.E2E_RUN_DIR ?? '', 'talk.ulaw');
    // Both legs stream this one file, and Asterisk mixes them frame by frame (20 ms, 160 samples).
    // 400 Hz fits whole periods in a frame, so the two always add up; the load bench's 425 Hz is
    // 8.5 periods a frame: legs an odd number of frames apart cancel out to digital silence.
    writeUlawTone(audio, 1, 400);
    lab = await AsteriskLab.start('recording', {
      provider: { scenario: path.join(SIPP_DIR, 'load-uas.xml'), files: { 'talk.ulaw': audio }, args: ['-d', String(TALK_MS)] },
    });
    bot = await E2eBot.start(lab, 'recording', { recording: { recordingPolicies: { policyFor: async () => policy } } });
  });

  afterAll(async () => {
    await bot?.stop();
    await lab?.stop();
    if (rows.length) report('recording', ['The stored recording against the recorded time', '', table(['scenario', 'recorded', 'file', 'RMS', 'RMS per 0.5 s'], rows), '', ...rtpStats]);
  });

  /**
   * Places a call whose customer talks TALK_MS, and resolves with its final update (the recording's
   * view); `beforeJoin` runs while the customer hears the consent announcement.
   */
  async function recordedCall(during?: (callId: string) => Promise<void>, beforeJoin?: () => Promise<void>): Promise<{ update: CallUpdate; recording: RecordingView; call: PlacedCall }> {
    const finals: CallUpdate[] = [];
    const subscription = bot.engine.updates.subscribe((u) => { if (u.final) finals.push(u); });
    try {
      const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.answers);
      if (beforeJoin) {
        await call.status(/hears that the call is recorded/, 15000);
        await beforeJoin();
      }
      await call.status(/Connected/, 15000);
      const callId = bot.engine.liveCalls()[0]!.context.callId;
      const stats = setTimeout(() => rtpStats.push(`${policy}, 3 s after connected:`, lab.cli('pjsip show channelstats')), 3000);
      await during?.(callId);
      await call.status(/Call ended/, TALK_MS + 10000);
      clearTimeout(stats);
      const update = await waitFor(() => finals.find((u) => u.context.callId === callId), { what: 'the final update' });
      if (!update.recording) throw new Error('the final update says nothing of a recording');
      return { update, recording: update.recording, call };
    } finally {
      subscription.unsubscribe();
    }
  }

  /** `pjsip show channelstats`: each leg's bridge (the first 8 characters of its id, '' for none) and its RTP packets received and sent. */
  function channelStats(): Array<{ bridge: string; received: number; sent: number }> {
    return lab.cli('pjsip show channelstats').split('\n').flatMap((line) => {
      const words = line.trim().split(/\s+/);
      const at = words.findIndex((w) => w.startsWith('trunk-main-'));
      if (at < 0 || at > 1) return [];
      const [, , , received, , , , sent] = words.slice(at);
      return [{ bridge: at === 1 ? words[0]! : '', received: Number(received), sent: Number(sent) }];
    });
  }

  /** The stored recording through the port; Asterisk writes it out a moment after RecordingFinished. */
  async function storedFile(name: string): Promise<Buffer> {
    return waitFor(async () => bot.ari.fetchStoredRecording(name).catch(() => undefined), { timeoutMs: 5000, what: `the stored recording ${name}` });
  }

  it('given the route records, when the customer talks and hangs up, then the stored recording lasts the talk time (within 0.5 s) and is not silence, and is deleted after', async () => {
    const { update, recording } = await recordedCall();
    expect(recording).toMatchObject({ status: 'stopped', pausedMs: 0 });
    const recordedS = (recording.stoppedAt! - recording.startedAt!) / 1000;
    expect(Math.abs(recordedS - (update.talkSeconds ?? 0))).toBeLessThanOrEqual(1);

    const wav = readWav(await storedFile(recording.name));
    rows.push(['on', ms(recordedS * 1000), ms(wav.seconds * 1000), wav.rms.toFixed(0), wav.levels]);
    expect(Math.abs(wav.seconds - recordedS)).toBeLessThanOrEqual(TOLERANCE_S);
    // The tone from both legs adds up to about 11300 RMS; one leg alone is about 5700, silence far below.
    expect(wav.loudest).toBeGreaterThan(8000);

    await bot.ari.deleteStoredRecording(recording.name);
    await expect(bot.ari.fetchStoredRecording(recording.name)).rejects.toMatchObject({ status: 404 });
    await lab.expectNothingLeft();
  }, 40_000);

  it('given the agent pauses the recording for a while, then Asterisk leaves the paused time out of the file: it lasts the recorded time less the pause', async () => {
    const pauseMs = 2000;
    const { recording } = await recordedCall(async (callId) => {
      await new Promise((r) => setTimeout(r, 1000));
      expect(bot.engine.toggleRecording(callId, true, ANN.telegramId)).toBe(true);
      await new Promise((r) => setTimeout(r, pauseMs));
      expect(bot.engine.toggleRecording(callId, false, ANN.telegramId)).toBe(true);
    });
    expect(recording.status).toBe('stopped');
    expect(recording.pausedMs).toBeGreaterThanOrEqual(pauseMs - 100);
    const recordedS = (recording.stoppedAt! - recording.startedAt!) / 1000;
    const wav = readWav(await storedFile(recording.name));
    rows.push([`paused ${ms(recording.pausedMs)}`, ms(recordedS * 1000), ms(wav.seconds * 1000), wav.rms.toFixed(0), wav.levels]);
    expect(Math.abs(wav.seconds - (recordedS - recording.pausedMs / 1000))).toBeLessThanOrEqual(TOLERANCE_S);
    expect(wav.loudest).toBeGreaterThan(8000);
    await bot.ari.deleteStoredRecording(recording.name);
    await lab.expectNothingLeft();
  }, 40_000);

  it('given the route asks consent (no announcement recorded: Asterisk\'s conf-now-recording, 2.3 s), then the customer\'s leg receives its RTP outside the agent\'s bridge, is joined after it, and only the time after is recorded', async () => {
    policy = 'consent';
    try {
      let duringAnnouncement: Array<{ bridge: string; received: number; sent: number }> = [];
      let callId = '';
      const { recording, call } = await recordedCall(undefined, async () => {
        callId = bot.engine.liveCalls()[0]!.context.callId;
        // Half a second of the announcement's RTP (50 packets a second) sent to the customer's leg while it is outside the agent's bridge.
        duringAnnouncement = await waitFor(() => {
          const stats = channelStats();
          const outside = stats.filter((l) => l.bridge !== callId.slice(0, 8));
          return outside.length === 1 && outside[0]!.sent >= 25 ? stats : undefined;
        }, { timeoutMs: 2000, everyMs: 100, what: "the announcement's RTP to the customer's leg outside the agent's bridge" });
      });
      // During the announcement: the agent's leg is in the call's bridge (hearing ringback), the customer's outside it.
      rtpStats.push('consent, during the announcement:', JSON.stringify(duringAnnouncement));
      const agentLeg = duringAnnouncement.filter((l) => l.bridge === callId.slice(0, 8));
      const customerLeg = duringAnnouncement.filter((l) => l.bridge !== callId.slice(0, 8));
      expect(agentLeg).toHaveLength(1);
      expect(customerLeg).toHaveLength(1);
      expect(customerLeg[0]!.sent).toBeGreaterThanOrEqual(25);
      const customerAnswered = call.inDialog(call.inviteFor(TARGET.answers)!, answeredWith(200))!.at;
      const announcedMs = recording.startedAt! - customerAnswered;
      const recordedS = (recording.stoppedAt! - recording.startedAt!) / 1000;
      const wav = readWav(await storedFile(recording.name));
      rows.push([`consent (joined ${ms(announcedMs)} after the answer)`, ms(recordedS * 1000), ms(wav.seconds * 1000), wav.rms.toFixed(0), wav.levels]);
      // The announcement played to the customer's channel alone first: the join (and the recording) waited for its end.
      expect(announcedMs).toBeGreaterThanOrEqual(2000);
      expect(Math.abs(wav.seconds - recordedS)).toBeLessThanOrEqual(TOLERANCE_S);
      expect(wav.loudest).toBeGreaterThan(8000);
      await bot.ari.deleteStoredRecording(recording.name);
      await lab.expectNothingLeft();
    } finally {
      policy = 'on';
    }
  }, 40_000);

  it('given the recording directory, then no recording is left behind in Asterisk\'s spool', () => {
    const spool = path.join(lab.dir, 'spool', 'recording');
    expect(fs.existsSync(spool) ? fs.readdirSync(spool) : []).toEqual([]);
  });
});
