import { type Observable, Subject, type Subscription } from 'rxjs';
import type { CallUpdate } from '../call/call-update';
import type { Logger } from '../config/logger';
import type { CallRecording } from '../entities';
import type { CallRecordingStore } from '../store';
import type { VoiceRecording } from './audio-conversion';
import type { RecordingFiles } from './recording-files';
import { DEFAULT_RETRY_LIMITS, NEXT_STATE, type RecordingStep, type RetryLimits, afterFailure, isLasting } from './recording-steps';
import type { RecordingKept, StoredRecordings } from './recording-types';
import { TaskLimit } from './task-limit';

/** Where a call's recording goes: the chat its agent placed it from, under its final status message. */
export interface CallChat {
  chatId: string;
  statusMessageId: number | null;
}

export interface CallChats {
  chatOfCall(callId: string): Promise<CallChat | null>;
}

/** A recording on its way to a chat: as a reply to the call's status (the agent's copy) or on its own (an admin's). */
export interface OutgoingRecording {
  chatId: string;
  replyTo: number | null;
  callId: string;
  ogg: Buffer;
  durationMs: number;
  copy: 'agent' | 'admin';
}

/** The Telegram side of the pipeline: it words and sends; the pipeline decides when and how often. */
export interface RecordingDelivery {
  /** Whether the voice message was delivered. */
  sendRecording(recording: OutgoingRecording): Promise<boolean>;
  /** Says plainly that the call's recording could not be had (`fetching`) or not be delivered (`sending`). */
  sayRecordingFailed(notice: { chatId: string; replyTo: number | null; callId: string; step: 'fetching' | 'sending' }): Promise<void>;
}

export interface Converter {
  toVoice(wav: Buffer): Promise<VoiceRecording>;
}

export interface RecordingPipelineDeps {
  recordings: Pick<CallRecordingStore, 'begin' | 'change' | 'unfinished'>;
  stored: StoredRecordings;
  conversion: Converter;
  files: Pick<RecordingFiles, 'save' | 'read'>;
  chats: CallChats;
  delivery: RecordingDelivery;
  /** RECORDING_RETENTION_DAYS: a recording is deleted that long after its call. */
  retentionDays: number;
  /** Super admins who get a copy of every recording (RECORDING_SEND_TO_ADMINS), or none. */
  adminChats: readonly string[];
  logger: Logger;
  limits?: RetryLimits;
  /** How many recordings are fetched and converted at once: each conversion is an ffmpeg process on a core of its own. */
  conversions?: number;
  now?: () => number;
}

const DAY_MS = 86_400_000;

/**
 * A call's recording after the call: fetched from Asterisk, converted to OGG/Opus, kept, sent to
 * the agent under the call's final status (and to admins), then removed from Asterisk. Each step is
 * written to call_recordings before the next begins, so a restart resumes where the last run
 * stopped; a failing step is retried with growing waits, and none of it ever touches the call or
 * its status (it runs beside them, started by the final update).
 */
export class RecordingPipeline {
  private readonly running = new Map<string, Promise<void>>();
  private readonly stopping = new AbortController();
  private readonly limits: RetryLimits;
  private readonly conversions: TaskLimit;
  private readonly now: () => number;
  private subscription?: Subscription;
  private readonly keptRecordings = new Subject<RecordingKept>();

  constructor(private readonly deps: RecordingPipelineDeps) {
    this.limits = deps.limits ?? DEFAULT_RETRY_LIMITS;
    this.conversions = new TaskLimit(deps.conversions ?? 2);
    this.now = deps.now ?? Date.now;
  }

  /** Each recording once it is converted and kept, before it is sent. */
  get kept(): Observable<RecordingKept> {
    return this.keptRecordings.asObservable();
  }

  /** Follows the calls' updates: each final one with a stopped recording starts its pipeline. */
  follow(updates: Observable<CallUpdate>): void {
    this.subscription = updates.subscribe((update) => {
      this.onUpdate(update).catch((err: unknown) => {
        this.deps.logger.error('recording not started', { callId: update.context.callId, err });
      });
    });
  }

  /** Starts the pipeline of a final update's recording; anything else is ignored. */
  async onUpdate(update: CallUpdate): Promise<void> {
    const recording = update.recording;
    if (!update.final || !recording || recording.status !== 'stopped' || this.stopping.signal.aborted) return;
    const callId = update.context.callId;
    const { row, isNew } = await this.deps.recordings.begin({
      callId, recordingName: recording.name, deleteAfter: new Date(update.at + this.deps.retentionDays * DAY_MS),
    });
    if (isNew) this.run(row);
  }

  /** Resumes the recordings the last run left unfinished (at start, once Asterisk and Telegram are wired). */
  async resume(): Promise<number> {
    const rows = await this.deps.recordings.unfinished();
    for (const row of rows) this.run(row);
    if (rows.length > 0) this.deps.logger.info('recordings resumed', { recordings: rows.length });
    return rows.length;
  }

  /** Resolves once every recording started so far has finished or given up (specs, the bench). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Stops following; waits end at once and the unfinished rows are resumed by the next start. */
  async stop(): Promise<void> {
    this.subscription?.unsubscribe();
    this.stopping.abort();
    await Promise.allSettled([...this.running.values()]);
  }

  private run(row: CallRecording): void {
    if (this.running.has(row.callId)) return;
    const done = this.advance(row)
      .catch((err: unknown) => {
        this.deps.logger.error('recording pipeline stopped', { callId: row.callId, err });
      })
      .finally(() => this.running.delete(row.callId));
    this.running.set(row.callId, done);
  }

  private async advance(start: CallRecording): Promise<void> {
    const row = { ...start };
    let attempts = row.attempts;
    while (isStep(row.state) && !this.stopping.signal.aborted) {
      const step = row.state;
      try {
        await this.perform(step, row);
        row.state = NEXT_STATE[step];
        attempts = 0;
        await this.deps.recordings.change(row.callId, { state: row.state, attempts: 0, path: row.path, durationMs: row.durationMs, bytes: row.bytes });
        if (step === 'fetching') this.keptRecordings.next({ callId: row.callId, durationMs: row.durationMs ?? 0, bytes: row.bytes ?? 0, at: this.now() });
        continue;
      } catch (err) {
        attempts += 1;
        const message = errorText(err);
        this.deps.logger.warn('recording step failed', { callId: row.callId, step, attempt: attempts, err });
        const next = isLasting(err) ? afterFailure(step, Number.MAX_SAFE_INTEGER, this.limits) : afterFailure(step, attempts, this.limits);
        if (next.kind === 'retry') {
          await this.deps.recordings.change(row.callId, { attempts, lastError: message });
          await this.wait(next.delayMs);
          continue;
        }
        row.state = next.state;
        attempts = 0;
        await this.deps.recordings.change(row.callId, { state: row.state, attempts: 0, lastError: `${step}: ${message}` });
        this.deps.logger.error('recording step given up', { callId: row.callId, step, err });
        if (next.tellAgent && step !== 'cleaning') await this.tellAgent(row.callId, step);
      }
    }
  }

  private async perform(step: RecordingStep, row: CallRecording): Promise<void> {
    switch (step) {
      case 'fetching': {
        // Fetched in the conversion's turn: twenty calls ending at once hold two WAVs in memory, not
        // twenty, and the first recording is not slowed by the other nineteen's transfers.
        const voice = await this.conversions.run(async () => this.deps.conversion.toVoice(await this.deps.stored.fetchStoredRecording(row.recordingName)));
        row.path = await this.deps.files.save(row.callId, voice.ogg, new Date(this.now()));
        row.durationMs = voice.durationMs;
        row.bytes = voice.ogg.length;
        return;
      }
      case 'sending': {
        const chat = await this.deps.chats.chatOfCall(row.callId);
        if (!chat) throw new Error(`call ${row.callId} has no chat to send its recording to`);
        const ogg = await this.deps.files.read(row.path!);
        const durationMs = row.durationMs ?? 0;
        const sent = await this.deps.delivery.sendRecording({ chatId: chat.chatId, replyTo: chat.statusMessageId, callId: row.callId, ogg, durationMs, copy: 'agent' });
        if (!sent) throw new Error('Telegram did not take the voice message');
        // Copies for admins: each tried once, after the agent's (a retry of the agent's must not repeat them).
        for (const adminChat of this.deps.adminChats.filter((id) => id !== chat.chatId)) {
          const copied = await this.deps.delivery.sendRecording({ chatId: adminChat, replyTo: null, callId: row.callId, ogg, durationMs, copy: 'admin' });
          if (!copied) this.deps.logger.warn('recording not copied to an admin', { callId: row.callId, chatId: adminChat });
        }
        return;
      }
      case 'cleaning':
        await this.deps.stored.deleteStoredRecording(row.recordingName);
    }
  }

  private async tellAgent(callId: string, step: 'fetching' | 'sending'): Promise<void> {
    try {
      const chat = await this.deps.chats.chatOfCall(callId);
      if (chat) await this.deps.delivery.sayRecordingFailed({ chatId: chat.chatId, replyTo: chat.statusMessageId, callId, step });
    } catch (err) {
      this.deps.logger.warn('recording failure not told to the agent', { callId, err });
    }
  }

  private wait(ms: number): Promise<void> {
    const signal = this.stopping.signal;
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const timer = setTimeout(() => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}

function isStep(state: string): state is RecordingStep {
  return state === 'fetching' || state === 'sending' || state === 'cleaning';
}

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 1000);
}
