import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { silentLogger } from '../../config/logger';
import { StoredConsentAnnouncements } from '../../recording/consent-announcements';
import { RecordingFiles } from '../../recording/recording-files';
import { StoredRecordingPolicies } from '../../recording/recording-policies';
import { RecordingRetention } from '../../recording/recording-retention';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';

const kind = testDatabaseKind();
const DAY_MS = 86_400_000;
const T0 = Date.UTC(2026, 11, 6, 12);

/** call_recordings and settings: what the recording pipeline, retention and the admin commands write, on each database. */
describe(`call recordings and settings on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;
  let dir: string;

  beforeEach(async () => {
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
    stores = createStores(dataSource);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-recording-store-'));
  });

  afterEach(async () => {
    await closeDatabase(dataSource);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const begin = (callId: string, deleteAfter = new Date(T0 + 30 * DAY_MS)) => stores.recordings.begin({ callId, recordingName: `rec-${callId}`, deleteAfter });

  it('given a call\'s recording begun, when the same final update comes again, then the one row is found, not a second one', async () => {
    const first = await begin('c1');
    expect(first.isNew).toBe(true);
    expect(first.row).toMatchObject({ callId: 'c1', recordingName: 'rec-c1', state: 'fetching', attempts: 0, path: null, deletedAt: null });
    await stores.recordings.change('c1', { attempts: 2, lastError: 'ARI answered 503' });
    const again = await begin('c1');
    expect(again.isNew).toBe(false);
    expect(again.row).toMatchObject({ attempts: 2, lastError: 'ARI answered 503' });
  });

  it('given rows at each step, then a restart resumes the unfinished ones, and only those with a kept file count as present', async () => {
    for (const id of ['fetching', 'sending', 'cleaning', 'kept', 'failed', 'deleted']) await begin(id);
    await stores.recordings.change('sending', { state: 'sending', path: '/r/sending.ogg' });
    await stores.recordings.change('cleaning', { state: 'cleaning', path: '/r/cleaning.ogg' });
    await stores.recordings.change('kept', { state: 'kept', path: '/r/kept.ogg' });
    await stores.recordings.change('failed', { state: 'failed' });
    await stores.recordings.change('deleted', { state: 'deleted', deletedAt: new Date(T0) });
    expect((await stores.recordings.unfinished()).map((r) => r.callId).sort()).toEqual(['cleaning', 'fetching', 'sending']);
    const ids = [...Array.from({ length: 1200 }, (_, i) => `none-${i}`), 'fetching', 'sending', 'cleaning', 'kept', 'failed', 'deleted'];
    expect(await stores.recordings.present(ids)).toEqual(new Set(['sending', 'cleaning', 'kept']));
    expect(await stores.recordings.present([])).toEqual(new Set());
  });

  it('given kept recordings, when retention sweeps, then only those past their time are deleted (file, row, audit), once', async () => {
    const files = new RecordingFiles(dir);
    for (const [id, days] of [['old', 1], ['new', 60]] as const) {
      await begin(id, new Date(T0 + days * DAY_MS));
      const file = await files.save(id, Buffer.from('OggS'), new Date(T0));
      await stores.recordings.change(id, { state: 'kept', path: file });
    }
    const retention = new RecordingRetention({
      recordings: stores.recordings, files, audit: stores.audit, retentionDays: 30, logger: silentLogger(), now: () => T0 + 2 * DAY_MS,
    });
    expect(await retention.sweep()).toBe(1);
    expect(await retention.sweep()).toBe(0);
    expect(await stores.recordings.get('old')).toMatchObject({ state: 'deleted', path: null, deletedAt: new Date(T0 + 2 * DAY_MS) });
    expect(fs.existsSync(path.join(dir, '2026-12', 'old.ogg'))).toBe(false);
    expect(fs.existsSync(path.join(dir, '2026-12', 'new.ogg'))).toBe(true);
    const audit = await stores.audit.latest(5);
    expect(audit.map((e) => [e.actor, e.action, e.subject, e.details])).toEqual([['system', 'recording_deleted', 'old', 'retention of 30 days ended']]);
  });

  it('given configuration\'s policies, when a super admin sets one, then it is stored over the default, audited, and read back', async () => {
    const policies = new StoredRecordingPolicies({ settings: stores.settings, audit: stores.audit, defaults: { M: 'on', D: 'off' } });
    expect(await policies.all()).toEqual({ M: { policy: 'on', source: 'config' }, D: { policy: 'off', source: 'config' } });
    expect(await policies.set('D', 'consent', '1000')).toBe('off');
    expect(await policies.set('D', 'on', '1001')).toBe('consent');
    expect(await policies.policyFor('D')).toBe('on');
    expect(await policies.anyRecording()).toBe(true);
    expect(await stores.settings.get('recording_policy.D')).toMatchObject({ value: 'on', updatedBy: '1001' });
    expect((await stores.audit.latest(5)).map((e) => e.details).reverse()).toEqual(['off -> consent', 'consent -> on']);
  });

  it('given an announcement converted, then its versioned file is served and named in sound:http://…; a failed conversion writes nothing', async () => {
    let version = 1000;
    const announcements = new StoredConsentAnnouncements({
      settings: stores.settings, audit: stores.audit, dir, publicUrl: 'http://10.0.0.2:8090', now: () => version,
      conversion: { toAnnouncement: async (audio) => {
        if (audio.toString() === 'junk') throw Object.assign(new Error('ffmpeg could not convert the audio'), { reason: 'unreadable' });
        // 44 header bytes and a second of 8 kHz 16-bit audio.
        const wav = Buffer.alloc(44 + 16_000);
        wav.write('RIFF', 0); wav.write('WAVE', 8); wav.write('fmt ', 12); wav.writeUInt32LE(16, 16); wav.writeUInt32LE(16_000, 28);
        wav.write('data', 36); wav.writeUInt32LE(16_000, 40);
        return wav;
      } },
    });
    expect(await announcements.replace('M', Buffer.from('junk'), '1000')).toEqual({ ok: false, reason: 'unreadable' });
    expect(await stores.settings.get('announcement.M')).toBeNull();
    expect(await announcements.replace('M', Buffer.from('audio'), '1000')).toEqual({ ok: true, durationMs: 1000 });
    const first = await announcements.announcementFor('M');
    expect(first).toBe(`sound:http://10.0.0.2:8090/media/announcement-M-${(1000).toString(36)}.wav`);
    version = 2000;
    await announcements.replace('M', Buffer.from('audio'), '1000');
    expect(await announcements.announcementFor('M')).toBe(`sound:http://10.0.0.2:8090/media/announcement-M-${(2000).toString(36)}.wav`);
    expect(await announcements.fileFor(`announcement-M-${(1000).toString(36)}.wav`)).toBeNull();
    expect(await announcements.fileFor(`announcement-M-${(2000).toString(36)}.wav`)).toBe(path.join(dir, `announcement-M-${(2000).toString(36)}.wav`));
    expect(fs.readdirSync(dir)).toEqual([`announcement-M-${(2000).toString(36)}.wav`]);
    expect(await announcements.announcementFor('D')).toBeNull();
    // Without a media endpoint but with a shared sounds directory, Asterisk plays it by name.
    const shared = new StoredConsentAnnouncements({
      settings: stores.settings, audit: stores.audit, dir, publicUrl: undefined, soundsPath: 'callbot', conversion: { toAnnouncement: async () => Buffer.alloc(0) },
    });
    expect(await shared.announcementFor('M')).toBe(`sound:callbot/announcement-M-${(2000).toString(36)}`);
  });
});
