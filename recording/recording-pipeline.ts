import { type Observable, Subject, type Subscription } from 'rxjs';
import type { CallUpdate } from '../call/call-update';
import type { Logger } from '../config/logger';
import type { CallRecording } from '../entities';
import type { CallRecordingStore } from '../store';
import type { RecordingChange } from '../store/call-recording-store';
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
  /** Time the agent paused the recording, left out of the file by Asterisk. */
  pausedMs: number;
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
  recordings: Pick<CallRecordingStore, 'begin' | 'change' | 'unfinished' | 'claim' | 'renewClaim' | 'releaseClaim'>;
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
  /**
   * This instance's name on the recordings it delivers (the cluster's INSTANCE_ID). Instances sharing
   * a database need each their own; the same name after a restart takes its recordings back at once.
   */
  owner?: string;
  /** How long a claim on a recording holds unless renewed (it is renewed at a third of this). */
  claimMs?: number;
  now?: () => number;
}

const DAY_MS = 86_400_000;
/** Long enough to ride out a stalled database or a busy event loop; a dead instance's recordings wait this long for another. */
export const DEFAULT_CLAIM_MS = 60_000;
const SINGLE_OWNER = 'callbot';

/** Another instance took the recording over (this one's claim lapsed): this one stops, having done no harm. */
class ClaimLost extends Error {
  constructor(callId: string) {
    super(`the recording of call ${callId} was taken over by another instance`);
    this.name = 'ClaimLost';
  }
}

/**
 * A call's recording after the call: fetched from Asterisk, converted to OGG/Opus, kept, sent to
 * the agent under the call's final status (and to admins), then removed from Asterisk. Each step is
 * written to call_recordings before the next begins, so a restart resumes where the last run
 * stopped; a failing step is retried with growing waits, and none of it ever touches the call or
 * its status (it runs beside them, started by the final update).
 *
 * Several instances may share the table: each recording is claimed by the one delivering it (the
 * claim renewed while it works, let go when done), and another only takes up a recording whose
 * claim lapsed, so a recording is delivered once even when an instance starts while another is at it.
 */
export class RecordingPipeline {
  private readonly running = new Map<string, Promise<void>>();
  /** Recordings another instance took over while this one worked on them. */
  private readonly lost = new Set<string>();
  private readonly stopping = new AbortController();
  private readonly limits: RetryLimits;
  private readonly conversions: TaskLimit;
  private readonly now: () => number;
  private readonly owner: string;
  private readonly claimMs: number;
  private subscription?: Subscription;
  private ticker?: NodeJS.Timeout;
  private ticking = false;
  private readonly keptRecordings = new Subject<RecordingKept>();

  constructor(private readonly deps: RecordingPipelineDeps) {
    this.limits = deps.limits ?? DEFAULT_RETRY_LIMITS;
    this.conversions = new TaskLimit(deps.conversions ?? 2);
    this.now = deps.now ?? Date.now;
    this.owner = deps.owner ?? SINGLE_OWNER;
    this.claimMs = deps.claimMs ?? DEFAULT_CLAIM_MS;
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
      callId, recordingName: recording.name, deleteAfter: new Date(update.at + this.deps.retentionDays * DAY_MS), pausedMs: recording.pausedMs, claim: this.claim(),
    });
    if (isNew) this.run(row);
  }

  /**
   * Resumes the unfinished recordings nobody delivers (at start, once Asterisk and Telegram are
   * wired, and again every so often): those the last run left, and those of an instance that died,
   * once its claim lapsed. Each is claimed first; one another instance claimed is left to it.
   */
  async resume(): Promise<number> {
    this.keepTicking();
    const rows = await this.deps.recordings.unfinished();
    let resumed = 0;
    for (const row of rows) {
      if (this.running.has(row.callId) || this.stopping.signal.aborted) continue;
      if (!await this.deps.recordings.claim(row.callId, this.claim(), new Date(this.now()))) continue;
      this.run(row);
      resumed += 1;
    }
    if (resumed > 0) this.deps.logger.info('recordings resumed', { recordings: resumed, owner: this.owner });
    return resumed;
  }

  /** Resolves once every recording started so far has finished or given up (specs, the bench). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** Stops following; waits end at once and the unfinished rows are resumed by the next start. */
  async stop(): Promise<void> {
    this.subscription?.unsubscribe();
    this.stopping.abort();
    clearInterval(this.ticker);
    await Promise.allSettled([...this.running.values()]);
  }

  private claim(): { owner: string; until: Date } {
    return { owner: this.owner, until: new Date(this.now() + this.claimMs) };
  }

  /** Renews this instance's claims and takes up lapsed ones, every third of a claim's length. */
  private keepTicking(): void {
    if (this.ticker || this.stopping.signal.aborted) return;
    this.ticker = setInterval(() => {
      if (this.ticking) return;
      this.ticking = true;
      this.tick()
        .catch((err: unknown) => this.deps.logger.warn('recording claims not renewed', { err }))
        .finally(() => { this.ticking = false; });
    }, Math.max(1, Math.floor(this.claimMs / 3)));
    this.ticker.unref();
  }

  private async tick(): Promise<void> {
    for (const callId of [...this.running.keys()]) {
      if (this.lost.has(callId)) continue;
      if (!await this.deps.recordings.renewClaim(callId, this.claim())) this.lost.add(callId);
    }
    await this.resume();
  }

  private run(row: CallRecording): void {
    if (this.running.has(row.callId)) return;
    this.keepTicking();
    const done = this.advance(row)
      .catch((err: unknown) => {
        if (err instanceof ClaimLost) this.deps.logger.warn('recording left to another instance', { callId: row.callId, err });
        else this.deps.logger.error('recording pipeline stopped', { callId: row.callId, err });
      })
      .finally(async () => {
        if (!this.lost.delete(row.callId)) {
          await this.deps.recordings.releaseClaim(row.callId, this.owner)
            .catch((err: unknown) => this.deps.logger.warn('recording claim not released (it lapses on its own)', { callId: row.callId, err }));
        }
        this.running.delete(row.callId);
      });
    this.running.set(row.callId, done);
  }

  /** Writes the row's progress while this instance's claim holds; throws ClaimLost once another instance has it. */
  private async write(callId: string, change: RecordingChange): Promise<void> {
    if (this.lost.has(callId) || !await this.deps.recordings.change(callId, change, this.owner)) {
      this.lost.add(callId);
      throw new ClaimLost(callId);
    }
  }

  private async advance(start: CallRecording): Promise<void> {
    const row = { ...start };
    let attempts = row.attempts;
    while (isStep(row.state) && !this.stopping.signal.aborted) {
      const step = row.state;
      if (this.lost.has(row.callId)) throw new ClaimLost(row.callId);
      try {
        await this.perform(step, row);
        row.state = NEXT_STATE[step];
        attempts = 0;
        await this.write(row.callId, { state: row.state, attempts: 0, path: row.path, durationMs: row.durationMs, bytes: row.bytes });
        if (step === 'fetching') this.keptRecordings.next({ callId: row.callId, durationMs: row.durationMs ?? 0, bytes: row.bytes ?? 0, at: this.now() });
        continue;
      } catch (err) {
        if (err instanceof ClaimLost) throw err;
        attempts += 1;
        const message = errorText(err);
        this.deps.logger.warn('recording step failed', { callId: row.callId, step, attempt: attempts, err });
        const next = isLasting(err) ? afterFailure(step, Number.MAX_SAFE_INTEGER, this.limits) : afterFailure(step, attempts, this.limits);
        if (next.kind === 'retry') {
          await this.write(row.callId, { attempts, lastError: message });
          await this.wait(next.delayMs);
          continue;
        }
        row.state = next.state;
        attempts = 0;
        await this.write(row.callId, { state: row.state, attempts: 0, lastError: `${step}: ${message}` });
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
        const voice = await this.conversions.run(async () => {
          // A turn can be long in coming: the recording may have been taken over meanwhile.
          if (this.lost.has(row.callId)) throw new ClaimLost(row.callId);
          return this.deps.conversion.toVoice(await this.deps.stored.fetchStoredRecording(row.recordingName));
        });
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
        const pausedMs = row.pausedMs ?? 0;
        const sent = await this.deps.delivery.sendRecording({ chatId: chat.chatId, replyTo: chat.statusMessageId, callId: row.callId, ogg, durationMs, pausedMs, copy: 'agent' });
        if (!sent) throw new Error('Telegram did not take the voice message');
        // Copies for admins: each tried once, after the agent's (a retry of the agent's must not repeat them).
        for (const adminChat of this.deps.adminChats.filter((id) => id !== chat.chatId)) {
          const copied = await this.deps.delivery.sendRecording({ chatId: adminChat, replyTo: null, callId: row.callId, ogg, durationMs, pausedMs, copy: 'admin' });
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
