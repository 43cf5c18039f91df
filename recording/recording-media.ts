import type { Observable } from 'rxjs';
import type { CallUpdate } from '../call/call-update';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import type { HttpListener } from '../ops/http-listener';
import type { Stores } from '../store';
import os from 'node:os';
import path from 'node:path';
import { AudioConversion } from './audio-conversion';
import { callChatsOf } from './call-chats';
import { StoredConsentAnnouncements } from './consent-announcements';
import { Ffmpeg, FfmpegMissing } from './ffmpeg';
import { KeptRecordings } from './kept-recordings';
import { startMediaServer } from './media-server';
import { RecordingFiles } from './recording-files';
import { RecordingPipeline, type RecordingDelivery } from './recording-pipeline';
import { StoredRecordingPolicies } from './recording-policies';
import { type JobRunner, RecordingRetention } from './recording-retention';
import type { RetryLimits } from './recording-steps';
import type { StoredRecordings } from './recording-types';

/** What the bot's admin commands use of recording: policies, announcements, kept recordings. */
export interface RecordingAdmin {
  policies: StoredRecordingPolicies;
  announcements: StoredConsentAnnouncements;
  kept: KeptRecordings;
  retentionDays: number;
  /** Whether ffmpeg runs here (a policy switched on without it gets a warning). */
  ffmpegWorks(): Promise<boolean>;
}

export interface RecordingMediaDeps {
  config: Pick<Config, 'recording' | 'media' | 'telegram'>;
  stores: Pick<Stores, 'recordings' | 'settings' | 'audit' | 'calls' | 'agents'>;
  /** Asterisk's stored recordings (the ARI adapter). */
  stored: StoredRecordings;
  /** The Telegram side (telegram/recording-delivery.ts). */
  delivery: RecordingDelivery;
  logger: Logger;
  limits?: RetryLimits;
  conversions?: number;
  /** This instance's name on the recordings it delivers (cluster mode: INSTANCE_ID), so instances sharing a database deliver each once. */
  owner?: string;
  now?: () => number;
}

/**
 * Recording's media side, wired once (app/main.ts): the pipeline after each call, the retention
 * job, the route policies, the consent announcements and the endpoint that serves them to Asterisk.
 */
export class RecordingMedia implements RecordingAdmin {
  readonly ffmpeg: Ffmpeg;
  readonly conversion: AudioConversion;
  readonly files: RecordingFiles;
  readonly pipeline: RecordingPipeline;
  readonly policies: StoredRecordingPolicies;
  readonly announcements: StoredConsentAnnouncements;
  readonly kept: KeptRecordings;
  readonly retention: RecordingRetention;
  readonly retentionDays: number;
  private mediaServer?: HttpListener;

  constructor(private readonly deps: RecordingMediaDeps) {
    const { config, stores, logger } = deps;
    const settings = config.recording;
    this.retentionDays = settings.retentionDays;
    this.ffmpeg = new Ffmpeg(settings.ffmpegPath);
    this.conversion = new AudioConversion(this.ffmpeg);
    this.files = new RecordingFiles(settings.dir);
    this.pipeline = new RecordingPipeline({
      recordings: stores.recordings, stored: deps.stored, conversion: this.conversion, files: this.files, chats: callChatsOf(stores),
      delivery: deps.delivery, retentionDays: settings.retentionDays, adminChats: settings.sendToAdmins ? config.telegram.superAdminIds : [], logger,
      // One ffmpeg per core: more would only share the cores and make every recording late.
      conversions: deps.conversions ?? os.availableParallelism(),
      ...(deps.limits ? { limits: deps.limits } : {}), ...(deps.now ? { now: deps.now } : {}), ...(deps.owner ? { owner: deps.owner } : {}),
    });
    this.policies = new StoredRecordingPolicies({ settings: stores.settings, audit: stores.audit, defaults: settings.policies });
    this.announcements = new StoredConsentAnnouncements({
      settings: stores.settings, audit: stores.audit, conversion: this.conversion, dir: path.join(settings.dir, 'announcements'),
      publicUrl: config.media?.publicUrl, ...(settings.announcementSoundsPath ? { soundsPath: settings.announcementSoundsPath } : {}),
      ...(deps.now ? { now: deps.now } : {}),
    });
    this.kept = new KeptRecordings({ recordings: stores.recordings, files: this.files });
    this.retention = new RecordingRetention({
      recordings: stores.recordings, files: this.files, audit: stores.audit, retentionDays: settings.retentionDays, logger, ...(deps.now ? { now: deps.now } : {}),
    });
  }

  /**
   * Start-up: ffmpeg must run when any route records (FfmpegMissing says how to fix it); the
   * recordings the last run left unfinished are resumed; the media endpoint and retention start.
   */
  async start(options: { updates: Observable<CallUpdate>; jobs: JobRunner }): Promise<void> {
    const recording = await this.policies.anyRecording();
    try {
      await this.ffmpeg.check();
    } catch (err) {
      if (recording || !(err instanceof FfmpegMissing)) throw err;
      this.deps.logger.warn('ffmpeg is missing: recordings could not be converted if a route is switched on', { ffmpegPath: this.ffmpeg.ffmpegPath });
    }
    const media = this.deps.config.media;
    if (media) this.mediaServer = await startMediaServer(media.host, media.port, this.announcements, this.deps.logger);
    this.pipeline.follow(options.updates);
    await this.pipeline.resume();
    this.retention.start(options.jobs);
  }

  async stop(): Promise<void> {
    await this.pipeline.stop();
    await this.mediaServer?.close();
  }

  /** Where the media endpoint listens, once started. */
  get mediaAddress() {
    return this.mediaServer?.address;
  }

  async ffmpegWorks(): Promise<boolean> {
    return this.ffmpeg.check().then(() => true, () => false);
  }

  /** Which of these calls have a kept recording (the CSV export's column). */
  recordingsPresent(callIds: string[]): Promise<Set<string>> {
    return this.kept.recordingsPresent(callIds);
  }
}
