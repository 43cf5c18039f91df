import { Subject } from 'rxjs';
import type { CallUpdate } from '../../call/call-update';
import { silentLogger } from '../../config/logger';
import type { CallRecording } from '../../entities';
import { ConversionFailed } from '../../recording/ffmpeg';
import { type OutgoingRecording, RecordingPipeline, type RecordingPipelineDeps } from '../../recording/recording-pipeline';
import { type RecordingStep, afterFailure, DEFAULT_RETRY_LIMITS, type RetryLimits } from '../../recording/recording-steps';
import type { RecordingChange, RecordingClaim } from '../../store/call-recording-store';
import { waitFor } from '../support/wait-for';

const FAST: RetryLimits = { attempts: { fetching: 3, sending: 3, cleaning: 2 }, firstDelayMs: 1, maxDelayMs: 4 };

/** call_recordings in memory. */
class FakeRows {
  readonly rows = new Map<string, CallRecording>();

  async begin(entry: { callId: string; recordingName: string; deleteAfter: Date; claim?: RecordingClaim }): Promise<{ row: CallRecording; isNew: boolean }> {
    const existing = this.rows.get(entry.callId);
    if (existing) return { row: { ...existing }, isNew: false };
    const { claim, ...fields } = entry;
    const row = {
      ...fields, claimedBy: claim?.owner ?? null, claimedUntil: claim?.until ?? null, path: null, durationMs: null, bytes: null, state: 'fetching', attempts: 0, lastError: null, createdAt: new Date(), deletedAt: null,
    } as CallRecording;
    this.rows.set(entry.callId, row);
    return { row: { ...row }, isNew: true };
  }

  async change(callId: string, change: RecordingChange, owner?: string): Promise<boolean> {
    const row = this.rows.get(callId);
    if (!row || (owner !== undefined && row.claimedBy !== owner)) return false;
    Object.assign(row, change);
    return true;
  }

  async claim(callId: string, claim: RecordingClaim, now: Date): Promise<boolean> {
    const row = this.rows.get(callId);
    if (!row || !['fetching', 'sending', 'cleaning'].includes(row.state)) return false;
    if (row.claimedBy !== null && row.claimedBy !== claim.owner && row.claimedUntil! > now) return false;
    Object.assign(row, { claimedBy: claim.owner, claimedUntil: claim.until });
    return true;
  }

  async renewClaim(callId: string, claim: RecordingClaim): Promise<boolean> {
    const row = this.rows.get(callId);
    if (row?.claimedBy !== claim.owner) return false;
    row.claimedUntil = claim.until;
    return true;
  }

  async releaseClaim(callId: string, owner: string): Promise<void> {
    const row = this.rows.get(callId);
    if (row?.claimedBy === owner) Object.assign(row, { claimedBy: null, claimedUntil: null });
  }

  async unfinished(): Promise<CallRecording[]> {
    return [...this.rows.values()].filter((r) => ['fetching', 'sending', 'cleaning'].includes(r.state)).map((r) => ({ ...r }));
  }
}

/** Asterisk's stored recordings that fail the first `failures` fetches (or deletes). */
function fakeAsterisk(failures = { fetch: 0, delete: 0 }) {
  const calls = { fetch: 0, delete: 0 };
  return {
    calls,
    async fetchStoredRecording(name: string): Promise<Buffer> {
      calls.fetch += 1;
      if (calls.fetch <= failures.fetch) throw new Error('ARI answered 503');
      return Buffer.from(`wav of ${name}`);
    },
    async deleteStoredRecording(): Promise<void> {
      calls.delete += 1;
      if (calls.delete <= failures.delete) throw new Error('ARI answered 503');
    },
  };
}

function pipelineWith(overrides: Partial<RecordingPipelineDeps> & { sendOk?: () => boolean } = {}) {
  const rows = new FakeRows();
  const sent: OutgoingRecording[] = [];
  const failures: Array<{ step: string; callId: string }> = [];
  const files = new Map<string, Buffer>();
  const deps: RecordingPipelineDeps = {
    recordings: rows,
    stored: fakeAsterisk(),
    conversion: { toVoice: async (wav) => ({ ogg: Buffer.concat([Buffer.from('OggS'), wav]), durationMs: 61_000 }) },
    files: {
      save: async (callId, ogg) => {
        files.set(`/rec/${callId}.ogg`, ogg);
        return `/rec/${callId}.ogg`;
      },
      read: async (file) => files.get(file)!,
    },
    chats: { chatOfCall: async () => ({ chatId: '2001', statusMessageId: 77 }) },
    delivery: {
      sendRecording: async (recording) => {
        const ok = overrides.sendOk ? overrides.sendOk() : true;
        if (ok) sent.push(recording);
        return ok;
      },
      sayRecordingFailed: async (notice) => void failures.push(notice),
    },
    retentionDays: 30,
    adminChats: [],
    logger: silentLogger(),
    limits: FAST,
    ...overrides,
  };
  return { pipeline: new RecordingPipeline(deps), rows, sent, failures, files };
}

function finalUpdate(callId: string, recording: CallUpdate['recording'] = { name: `rec-${callId}`, status: 'stopped', pausedMs: 0 }): CallUpdate {
  return {
    context: { callId, agentId: 1, agentTelegramId: '2001', agentPhone: '+15551230001', target: '+15557654321', route: 'M', callerId: null },
    stage: 'ended', outcome: 'completed', at: Date.UTC(2026, 11, 6, 12), final: true, ...(recording ? { recording } : {}),
  } as CallUpdate;
}

describe('the recording pipeline\'s decisions', () => {
  it.each<[RecordingStep, number, string]>([
    ['fetching', 1, 'retry after 1000 ms'],
    ['fetching', 4, 'retry after 8000 ms'],
    ['fetching', 5, 'give up: failed, tell the agent'],
    ['sending', 5, 'give up: cleaning, tell the agent'],
    ['cleaning', 2, 'retry after 2000 ms'],
    ['cleaning', 3, 'give up: kept'],
  ])('given step %s after %i failed attempts, then %s', (step, attempts, expected) => {
    const next = afterFailure(step, attempts, DEFAULT_RETRY_LIMITS);
    const said = next.kind === 'retry' ? `retry after ${next.delayMs} ms` : `give up: ${next.state}${next.tellAgent ? ', tell the agent' : ''}`;
    expect(said).toBe(expected);
  });

  it('given many failures, then the wait between tries stops growing at its ceiling', () => {
    const next = afterFailure('fetching', 20, { ...DEFAULT_RETRY_LIMITS, attempts: { ...DEFAULT_RETRY_LIMITS.attempts, fetching: 99 } });
    expect(next).toEqual({ kind: 'retry', delayMs: DEFAULT_RETRY_LIMITS.maxDelayMs });
  });
});

describe('the recording pipeline', () => {
  it('given a final update with a stopped recording, when it runs, then the voice goes to the agent under the status message, and Asterisk\'s copy is removed', async () => {
    const asterisk = fakeAsterisk();
    const { pipeline, rows, sent } = pipelineWith({ stored: asterisk });
    await pipeline.onUpdate(finalUpdate('c1'));
    await pipeline.settled();
    expect(sent).toEqual([expect.objectContaining({ chatId: '2001', replyTo: 77, callId: 'c1', durationMs: 61_000, copy: 'agent' })]);
    expect(rows.rows.get('c1')).toMatchObject({ state: 'kept', path: '/rec/c1.ogg', durationMs: 61_000, attempts: 0 });
    expect(rows.rows.get('c1')!.deleteAfter.toISOString()).toBe('2027-01-05T12:00:00.000Z');
    expect(asterisk.calls).toEqual({ fetch: 1, delete: 1 });
  });

  it('given a recording the agent paused for 45 s, then its voice message carries the paused time (Asterisk left it out of the file)', async () => {
    const { pipeline, sent } = pipelineWith({ adminChats: ['1000'] });
    await pipeline.onUpdate(finalUpdate('c1', { name: 'rec-c1', status: 'stopped', pausedMs: 45_000 }));
    await pipeline.settled();
    expect(sent.map((s) => [s.copy, s.pausedMs])).toEqual([['agent', 45_000], ['admin', 45_000]]);
  });

  it('given updates that are not final, carry no recording or a failed one, then nothing starts', async () => {
    const { pipeline, rows } = pipelineWith();
    await pipeline.onUpdate({ ...finalUpdate('c1'), final: false, stage: 'connected' });
    const { recording: _none, ...withoutRecording } = finalUpdate('c2');
    await pipeline.onUpdate(withoutRecording);
    await pipeline.onUpdate(finalUpdate('c3', { name: 'r3', status: 'failed', pausedMs: 0, failure: 'disk full' }));
    await pipeline.settled();
    expect(rows.rows.size).toBe(0);
  });

  it('given the same final update twice (a repeat), then the recording is sent once', async () => {
    const { pipeline, sent } = pipelineWith();
    const updates = new Subject<CallUpdate>();
    pipeline.follow(updates);
    updates.next(finalUpdate('c1'));
    updates.next(finalUpdate('c1'));
    await waitFor(() => sent.length === 1);
    await pipeline.settled();
    expect(sent).toHaveLength(1);
    await pipeline.stop();
  });

  it('given Asterisk failing the fetch twice, when it runs, then the third try succeeds and the agent gets the voice', async () => {
    const asterisk = fakeAsterisk({ fetch: 2, delete: 0 });
    const { pipeline, rows, sent, failures } = pipelineWith({ stored: asterisk });
    await pipeline.onUpdate(finalUpdate('c1'));
    await pipeline.settled();
    expect(asterisk.calls.fetch).toBe(3);
    expect(sent).toHaveLength(1);
    expect(failures).toEqual([]);
    expect(rows.rows.get('c1')!.state).toBe('kept');
  });

  it('given Asterisk failing every fetch, then after the bounded tries the row is failed, the agent is told, and Asterisk\'s copy is left for an operator', async () => {
    const asterisk = fakeAsterisk({ fetch: 99, delete: 0 });
    const { pipeline, rows, sent, failures } = pipelineWith({ stored: asterisk });
    await pipeline.onUpdate(finalUpdate('c1'));
    await pipeline.settled();
    expect(asterisk.calls).toEqual({ fetch: 3, delete: 0 });
    expect(sent).toEqual([]);
    expect(failures).toEqual([{ chatId: '2001', replyTo: 77, callId: 'c1', step: 'fetching' }]);
    expect(rows.rows.get('c1')).toMatchObject({ state: 'failed', lastError: 'fetching: ARI answered 503' });
  });

  it('given audio ffmpeg cannot read, then it is given up at once (no retry mends it) and the agent is told', async () => {
    let conversions = 0;
    const { pipeline, rows, failures } = pipelineWith({
      conversion: { toVoice: async () => { conversions += 1; throw new ConversionFailed('ffmpeg could not convert the audio: Invalid data', 'unreadable'); } },
    });
    await pipeline.onUpdate(finalUpdate('c1'));
    await pipeline.settled();
    expect(conversions).toBe(1);
    expect(failures).toEqual([expect.objectContaining({ step: 'fetching' })]);
    expect(rows.rows.get('c1')!.state).toBe('failed');
  });

  it('given Telegram refusing every voice message, then the recording is still kept and removed from Asterisk, and the agent is told', async () => {
    const asterisk = fakeAsterisk();
    const { pipeline, rows, failures } = pipelineWith({ stored: asterisk, sendOk: () => false });
    await pipeline.onUpdate(finalUpdate('c1'));
    await pipeline.settled();
    expect(failures).toEqual([expect.objectContaining({ step: 'sending' })]);
    expect(rows.rows.get('c1')).toMatchObject({ state: 'kept', path: '/rec/c1.ogg' });
    expect(rows.rows.get('c1')!.lastError).toMatch(/^sending: /);
    expect(asterisk.calls.delete).toBe(1);
  });

  it('given admins to copy, then each gets the recording once, after the agent, on its own', async () => {
    const { pipeline, sent } = pipelineWith({ adminChats: ['1000', '2001'] });
    await pipeline.onUpdate(finalUpdate('c1'));
    await pipeline.settled();
    expect(sent.map((s) => [s.chatId, s.copy, s.replyTo])).toEqual([['2001', 'agent', 77], ['1000', 'admin', null]]);
  });

  it('given rows a stopped run left unfinished, when resumed, then each goes on from the step it was at', async () => {
    const asterisk = fakeAsterisk();
    const { pipeline, rows, sent, files } = pipelineWith({ stored: asterisk });
    await rows.begin({ callId: 'c1', recordingName: 'r1', deleteAfter: new Date() });
    await rows.begin({ callId: 'c2', recordingName: 'r2', deleteAfter: new Date() });
    files.set('/rec/c2.ogg', Buffer.from('OggS kept'));
    await rows.change('c2', { state: 'sending', path: '/rec/c2.ogg', durationMs: 5000 });
    expect(await pipeline.resume()).toBe(2);
    await pipeline.settled();
    expect(sent.map((s) => s.callId).sort()).toEqual(['c1', 'c2']);
    expect(asterisk.calls).toEqual({ fetch: 1, delete: 2 });
    expect([...rows.rows.values()].map((r) => r.state)).toEqual(['kept', 'kept']);
  });

  it('given a stop while a step waits to be retried, then it ends at once and leaves the row to be resumed', async () => {
    const { pipeline, rows } = pipelineWith({ stored: fakeAsterisk({ fetch: 99, delete: 0 }), limits: { ...FAST, firstDelayMs: 60_000, maxDelayMs: 60_000 } });
    await pipeline.onUpdate(finalUpdate('c1'));
    await waitFor(() => rows.rows.get('c1')!.attempts === 1);
    await pipeline.stop();
    expect(rows.rows.get('c1')).toMatchObject({ state: 'fetching', attempts: 1 });
  });
});
