import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Subject, map, merge } from 'rxjs';
import type { CallUpdate } from '../../call/call-update';
import type { RetryLimits } from '../../recording/recording-steps';
import type { StoredRecordings } from '../../recording/recording-types';
import { ANNOUNCEMENT_UPLOAD_MAX_BYTES } from '../../telegram/commands/recording';
import { ADMIN_ID, BotHarness, type TestUser, UNPACED_OUTBOX } from '../support/bot-harness';
import { freePort } from '../support/free-port';
import { isOggOpus, toneVoiceOgg, toneWav } from '../support/test-audio';
import { waitFor } from '../support/wait-for';

/** Tries a second apart would make a spec wait for nothing: the same steps, a few milliseconds apart. */
const FAST: RetryLimits = { attempts: { fetching: 4, sending: 3, cleaning: 2 }, firstDelayMs: 5, maxDelayMs: 20 };
const DAY_MS = 86_400_000;

/**
 * Asterisk's stored recordings as the ARI adapter serves them (the StoredRecordings port): every
 * name holds the same WAV, the first `failFetches` fetches fail as an ARI 503 would.
 */
class MemoryRecordings implements StoredRecordings {
  wav: Buffer = Buffer.alloc(0);
  failFetches = 0;
  fetches = 0;
  readonly deleted: string[] = [];

  async fetchStoredRecording(name: string): Promise<Buffer> {
    this.fetches += 1;
    if (this.failFetches > 0) {
      this.failFetches -= 1;
      throw new Error(`ARI answered 503 for recording ${name}`);
    }
    return this.wav;
  }

  async deleteStoredRecording(name: string): Promise<void> {
    this.deleted.push(name);
  }
}

/** The recording view the engine's final update carries once the call was recorded (the call side's contract). */
function recorded(update: CallUpdate): CallUpdate {
  if (!update.final) return update;
  return { ...update, recording: { name: `rec-${update.context.callId}`, status: 'stopped', startedAt: update.at - 3000, stoppedAt: update.at, pausedMs: 0 } };
}

describe('bot: call recordings (the media side), through the local Bot API server and the real ffmpeg', () => {
  let h: BotHarness;
  let agent: TestUser;
  let admin: TestUser;
  let stored: MemoryRecordings;
  let extra: Subject<CallUpdate>;
  let dir: string;
  let clock: { offsetMs: number };

  async function startWith(env: Record<string, string> = {}, limits: RetryLimits = FAST) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-recordings-'));
    stored = new MemoryRecordings();
    stored.wav = await toneWav(3);
    extra = new Subject<CallUpdate>();
    clock = { offsetMs: 0 };
    h = await BotHarness.start({
      env: { RECORDING_DIR: dir, RECORDING_POLICY_M: 'on', RECORDING_RETENTION_DAYS: '30', ...env },
      outboxLimits: UNPACED_OUTBOX,
      recording: { stored, limits, now: () => Date.now() + clock.offsetMs, updates: (engine) => merge(engine.pipe(map(recorded)), extra) },
    });
    await h.verifiedCallerIds(['+15551234567']);
    await h.stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: '+15551234567', by: String(ADMIN_ID), displayName: 'Ann' });
    await h.stores.agents.setRoute('2001', 'M');
    agent = h.user(2001, 'Ann', 'ann');
    admin = h.user(ADMIN_ID, 'Admin', 'admin');
  }

  afterEach(async () => {
    await h.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** An ended call of Ann's whose status message is `statusMessageId`, and the final update that says it was recorded. */
  async function endedCall(callId: string, statusMessageId = 4242): Promise<CallUpdate> {
    const ann = await h.stores.agents.byTelegramId('2001');
    const now = new Date();
    await h.stores.calls.recordCallRequest({
      id: callId, agentId: ann!.id, targetInput: '202 555 0123', target: '+12025550123', route: 'M', stage: 'ended', outcome: 'completed',
      requestedAt: new Date(now.getTime() - 10_000), connectedAt: new Date(now.getTime() - 5000), endedAt: now, telegramChatId: '2001', statusMessageId,
    });
    return recorded({
      context: { callId, agentId: ann!.id, agentTelegramId: '2001', agentPhone: '+15551230001', target: '+12025550123', route: 'M', callerId: '+15551234567' },
      stage: 'ended', outcome: 'completed', talkSeconds: 3, at: now.getTime(), final: true,
    });
  }

  it('given a recorded call, when the customer hangs up, then the agent gets an OGG/Opus voice message under the final status with its duration, and Asterisk\'s copy is deleted', async () => {
    await startWith();
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 50, hangupAfterMs: 300 } : undefined));
    await agent.send('/call (202) 555-0123');
    const status = await agent.waitFor(/Call ended/, 15000);
    const voice = await waitFor(() => h.voicesTo(2001)[0], { timeoutMs: 15000, what: 'the recording as a voice message' });
    expect(isOggOpus(voice.content)).toBe(true);
    expect(voice.caption).toMatch(/^⏺ Call recording · 0:03\nCall \S+$/);
    expect(voice.duration).toBe(3);
    expect(voice.replyTo).toBe(status.messageId);
    const callId = voice.caption.split('Call ').at(-1)!;
    await waitFor(async () => (await h.stores.recordings.get(callId))?.state === 'kept', { what: 'the recording kept' });
    const row = await h.stores.recordings.get(callId);
    expect(row).toMatchObject({ durationMs: 3000, bytes: voice.content.length, attempts: 0, lastError: null, deletedAt: null });
    expect(row!.path!.startsWith(dir)).toBe(true);
    expect(fs.readFileSync(row!.path!)).toEqual(voice.content);
    expect(row!.deleteAfter.getTime() - row!.createdAt.getTime()).toBeGreaterThan(29 * DAY_MS);
    expect(stored.deleted).toEqual([`rec-${callId}`]);
    expect(await h.recording.recordingsPresent([callId, 'another-call'])).toEqual(new Set([callId]));
    // RECORDING_SEND_TO_ADMINS is off: the admin got nothing.
    expect(h.voicesTo(ADMIN_ID)).toEqual([]);
  }, 30000);

  it('given Asterisk failing the fetch twice, when the call ends, then the third try brings the voice message and no failure is said', async () => {
    await startWith({ RECORDING_SEND_TO_ADMINS: 'true' });
    stored.failFetches = 2;
    extra.next(await endedCall('c-retry'));
    const voice = await waitFor(() => h.voicesTo(2001)[0], { timeoutMs: 15000, what: 'the recording as a voice message' });
    expect(stored.fetches).toBe(3);
    expect(voice.replyTo).toBe(4242);
    expect(isOggOpus(voice.content)).toBe(true);
    // The admins' copy, on its own.
    const copy = await waitFor(() => h.voicesTo(ADMIN_ID)[0], { what: 'the admins\' copy' });
    expect(copy.caption).toContain('a copy for admins');
    expect(copy.replyTo).toBeUndefined();
    await waitFor(async () => (await h.stores.recordings.get('c-retry'))?.state === 'kept');
    expect(agent.messages().filter((m) => /recording/i.test(m.text))).toEqual([]);
  }, 30000);

  it('given a recording ffmpeg cannot convert, when the call ends, then the agent is told plainly, the status message is untouched and Asterisk keeps its copy', async () => {
    await startWith();
    stored.wav = Buffer.from('RIFF....WAVEjunk that is no audio at all');
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 50, hangupAfterMs: 300 } : undefined));
    await agent.send('/call (202) 555-0123');
    const status = await agent.waitFor(/Call ended/, 15000);
    const failure = await agent.waitFor(/recording of this call could not be saved/, 15000);
    expect(failure.text).toMatch(/The call itself is not affected/);
    expect(agent.messages().find((m) => m.messageId === status.messageId)!.history.at(-1)).toBe(status.text);
    expect(h.voicesTo(2001)).toEqual([]);
    expect(stored.deleted).toEqual([]);
    const row = await h.stores.recordings.get(failure.text.match(/\(Call (\S+)\)/)![1]!);
    expect(row).toMatchObject({ state: 'failed', path: null });
    expect(row!.lastError).toMatch(/^fetching: /);
    const calls = await h.stores.calls.recentRequestsOfAgent((await h.stores.agents.byTelegramId('2001'))!.id, 1);
    expect(calls[0]).toMatchObject({ stage: 'ended', outcome: 'completed' });
  }, 30000);

  it('given a recording left half-way by a stopped run, when the app starts again, then it is resumed and delivered', async () => {
    // The first fetch fails and its retry waits long: the run stops in that wait, its row half-way.
    await startWith({}, { ...FAST, firstDelayMs: 60_000, maxDelayMs: 60_000 });
    stored.failFetches = 1;
    extra.next(await endedCall('c-resume'));
    await waitFor(async () => (await h.stores.recordings.get('c-resume'))?.attempts === 1, { what: 'a failed fetch' });
    h = await h.restarted();
    await waitFor(() => h.voicesTo(2001)[0], { timeoutMs: 15000, what: 'the resumed recording as a voice message' });
    await waitFor(async () => (await h.stores.recordings.get('c-resume'))?.state === 'kept');
    expect(stored.fetches).toBe(2);
  }, 30000);

  it('given kept recordings, when their retention ends, then the files are deleted, the rows marked, each deletion audited, and /recording says so', async () => {
    await startWith();
    extra.next(await endedCall('c-old'));
    await waitFor(async () => (await h.stores.recordings.get('c-old'))?.state === 'kept', { timeoutMs: 15000 });
    const file = (await h.stores.recordings.get('c-old'))!.path!;
    expect(await h.recording.retention.sweep()).toBe(0);
    expect(fs.existsSync(file)).toBe(true);

    clock.offsetMs = 31 * DAY_MS;
    expect(await h.recording.retention.sweep()).toBe(1);
    expect(fs.existsSync(file)).toBe(false);
    expect(await h.stores.recordings.get('c-old')).toMatchObject({ state: 'deleted', path: null });
    const audit = await h.stores.audit.latest(5);
    expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ actor: 'system', action: 'recording_deleted', subject: 'c-old' })]));
    expect(await h.recording.recordingsPresent(['c-old'])).toEqual(new Set());
    await admin.send('/recording c-old');
    await admin.waitFor(/The recording of call c-old was deleted on \d{4}-\d{2}-\d{2} \(recordings are kept 30 days\)/);
  }, 30000);

  it('given a kept recording, when an admin sends /recording <call id>, then it comes again as a voice message; unknown and unready ones get clear answers', async () => {
    await startWith();
    extra.next(await endedCall('c-kept'));
    await waitFor(async () => (await h.stores.recordings.get('c-kept'))?.state === 'kept', { timeoutMs: 15000 });
    await admin.send('/recording c-kept');
    const voice = await waitFor(() => h.voicesTo(ADMIN_ID)[0], { what: 'the recording sent again' });
    expect(isOggOpus(voice.content)).toBe(true);
    expect(voice.caption).toBe('⏺ Call recording · 0:03\nCall c-kept');
    expect((await h.stores.audit.latest(1))[0]).toMatchObject({ actor: String(ADMIN_ID), action: 'recording_sent', subject: 'c-kept' });

    await admin.send('/recording no-such-call');
    await admin.waitFor(/No recording for call no-such-call/);
    await h.stores.recordings.begin({ callId: 'c-busy', recordingName: 'rec-busy', deleteAfter: new Date(Date.now() + DAY_MS) });
    await admin.send('/recording c-busy');
    await admin.waitFor(/recording of call c-busy is not ready yet/);
    await admin.send('/recording');
    await admin.waitFor(/^Usage: \/recording <call id>/);
    await agent.send('/recording c-kept');
    await agent.waitFor(/only for admins|not allowed|super admin/i);
  }, 30000);

  it('given the policies from configuration, when a super admin shows and sets them, then they are stored, audited and read at dial time', async () => {
    await startWith();
    await admin.send('/recording_policy');
    await admin.waitFor(/Recording policy per route:\nMain \[M\]: on \(configuration default\)\nDevelopment \[D\]: off \(configuration default\)/);
    await admin.send('/recording_policy D consent');
    const set = await admin.waitFor(/Recording on Development \[D\]: on, after the consent announcement \(was off\)/);
    expect(set.text).toMatch(/no consent announcement is recorded for Development yet.*\/announcement D/s);
    expect(await h.recording.policies.policyFor('D')).toBe('consent');
    expect((await h.stores.audit.latest(1))[0]).toMatchObject({ actor: String(ADMIN_ID), action: 'recording_policy', subject: 'D', details: 'off -> consent' });
    await admin.send('/recording_policy d');
    await admin.waitFor(/^Development \[D\]: on, after the consent announcement$/);
    await admin.send('/recording_policy M loud');
    await admin.waitFor(/^Usage: \/recording_policy/);
    await agent.send('/recording_policy M off');
    await agent.waitFor(/only for admins|not allowed|super admin/i);
    expect(await h.recording.policies.policyFor('M')).toBe('on');
  }, 30000);

  describe('the consent announcement', () => {
    let mediaPort: number;

    beforeEach(async () => {
      mediaPort = await freePort();
      await startWith({ MEDIA_PORT: String(mediaPort) });
    });

    it('given /announcement M and a voice message, then it is converted to 8 kHz WAV and served at a new versioned URL Asterisk can fetch', async () => {
      await admin.send('/announcement M');
      await admin.waitFor(/Send the consent announcement for Main \[M\] now/);
      await admin.sendVoice(await toneVoiceOgg(2));
      await admin.waitFor(/Consent announcement for Main \[M\] saved \(0:02\)\. Customers hear it/, 15000);
      const uri = await h.recording.announcements.announcementFor('M');
      expect(uri).toMatch(new RegExp(`^sound:http://127\\.0\\.0\\.1:${mediaPort}/media/announcement-M-[0-9a-z]+\\.wav$`));
      const response = await fetch(uri!.slice('sound:'.length));
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('audio/wav');
      const wav = Buffer.from(await response.arrayBuffer());
      expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
      expect(wav.readUInt32LE(24)).toBe(8000);
      expect(await h.recording.announcements.announcementFor('D')).toBeNull();
      expect((await h.stores.audit.latest(1))[0]).toMatchObject({ action: 'announcement_set', subject: 'M' });

      // A new recording is a new URL (Asterisk's media cache keeps the old one); the old one is gone.
      await admin.sendVoice(await toneVoiceOgg(1), '/announcement M');
      await admin.waitFor(/saved \(0:01\)/, 15000);
      const newer = await h.recording.announcements.announcementFor('M');
      expect(newer).not.toBe(uri);
      expect((await fetch(uri!.slice('sound:'.length))).status).toBe(404);
      expect((await fetch(newer!.slice('sound:'.length))).status).toBe(200);
      expect((await fetch(`http://127.0.0.1:${mediaPort}/media/../../etc/passwd`)).status).toBe(404);
    }, 30000);

    it('given 20 MB that are not audio, sent as the announcement, then ffmpeg refuses it, the admin is told plainly, and nothing is written', async () => {
      await admin.send('/announcement M');
      await admin.waitFor(/Send the consent announcement/);
      await admin.sendDocument('announcement.mp3', Buffer.alloc(20_000_000, 0x5a));
      await admin.waitFor(/That file is not audio I can read, so nothing was changed/, 20000);
      expect(h.files.counts.downloads).toBe(1);
      expect(await h.recording.announcements.announcementFor('M')).toBeNull();
      expect(fs.existsSync(h.recording.announcements.dir) ? fs.readdirSync(h.recording.announcements.dir) : []).toEqual([]);
      expect((await h.stores.audit.latest(5)).filter((e) => e.action === 'announcement_set')).toEqual([]);
    }, 30000);

    it('given a file larger than 20 MB, then it is refused from its size before anything is downloaded', async () => {
      await admin.sendDocument('long.wav', Buffer.alloc(ANNOUNCEMENT_UPLOAD_MAX_BYTES + 1, 1), '/announcement M');
      await admin.waitFor(/larger than 20 MB, so it was not downloaded/);
      expect(h.files.counts.downloads).toBe(0);
      expect(await h.recording.announcements.announcementFor('M')).toBeNull();
    }, 30000);

    it('given a voice message from an agent, or one no /announcement asked for, then nothing is changed and each is told why', async () => {
      await agent.sendVoice(await toneVoiceOgg(1));
      await agent.waitFor(/Only super admins can set the consent announcement/);
      await admin.sendVoice(await toneVoiceOgg(1));
      await admin.waitFor(/Send the announcement as a voice message or an audio file, or \/announcement M\|D first/);
      expect(h.files.counts.downloads).toBe(0);
    }, 30000);
  });
});
