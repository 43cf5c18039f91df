import type { DataSource } from 'typeorm';
import { silentLogger } from '../../config/logger';
import { type OutgoingRecording, RecordingPipeline } from '../../recording/recording-pipeline';
import type { RetryLimits } from '../../recording/recording-steps';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const kind = testDatabaseKind();
const FAST: RetryLimits = { attempts: { fetching: 3, sending: 3, cleaning: 2 }, firstDelayMs: 1, maxDelayMs: 4 };

/** Holds every conversion until `release()`: an instance caught in the middle of delivering a recording. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { opened, release: () => open() };
}

/**
 * Several instances over one call_recordings table (cluster mode): each recording is delivered by
 * one of them, once, and one a dead instance claimed is taken over when its claim lapses.
 */
describe(`recordings claimed by one instance at a time, on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;
  const sent: Array<OutgoingRecording & { by: string }> = [];
  const pipelines: RecordingPipeline[] = [];

  beforeEach(async () => {
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
    stores = createStores(dataSource);
    sent.length = 0;
  });

  afterEach(async () => {
    await Promise.all(pipelines.splice(0).map((p) => p.stop()));
    await closeDatabase(dataSource);
  });

  function instance(owner: string, options: { claimMs?: number; converting?: Promise<void> } = {}): RecordingPipeline {
    const files = new Map<string, Buffer>();
    const pipeline = new RecordingPipeline({
      recordings: stores.recordings,
      stored: { fetchStoredRecording: async (name) => Buffer.from(`wav of ${name}`), deleteStoredRecording: async () => undefined },
      conversion: {
        toVoice: async (wav) => {
          await options.converting;
          return { ogg: Buffer.concat([Buffer.from('OggS'), wav]), durationMs: 61_000 };
        },
      },
      files: {
        save: async (callId, ogg) => {
          files.set(`/${owner}/${callId}.ogg`, ogg);
          return `/${owner}/${callId}.ogg`;
        },
        read: async (file) => files.get(file)!,
      },
      chats: { chatOfCall: async () => ({ chatId: '2001', statusMessageId: 77 }) },
      delivery: {
        sendRecording: async (recording) => {
          sent.push({ ...recording, by: owner });
          return true;
        },
        sayRecordingFailed: async () => undefined,
      },
      retentionDays: 30, adminChats: [], logger: silentLogger(), limits: FAST, owner, ...(options.claimMs ? { claimMs: options.claimMs } : {}),
    });
    pipelines.push(pipeline);
    return pipeline;
  }

  const unfinished = (callId: string, claim?: { owner: string; until: Date }) =>
    stores.recordings.begin({ callId, recordingName: `rec-${callId}`, deleteAfter: new Date(Date.now() + 86_400_000), ...(claim ? { claim } : {}) });

  it('given a recording the last run left unfinished, when two instances start at once, then it is delivered exactly once and let go', async () => {
    await unfinished('c1');
    const [a, b] = [instance('instance-a'), instance('instance-b')];
    const resumed = await Promise.all([a.resume(), b.resume()]);
    await Promise.all([a.settled(), b.settled()]);
    expect(resumed.sort()).toEqual([0, 1]);
    expect(sent.map((s) => s.callId)).toEqual(['c1']);
    expect(await stores.recordings.get('c1')).toMatchObject({ state: 'kept', claimedBy: null, claimedUntil: null });
  });

  it('given an instance delivering a recording past its claim\'s length, when another starts and sweeps, then the claim is renewed and the other leaves it alone', async () => {
    const converting = gate();
    const a = instance('instance-a', { claimMs: 300, converting: converting.opened });
    await a.onUpdate({
      context: { callId: 'c1', agentId: 1, agentTelegramId: '2001', agentPhone: '+15551230001', target: '+15557654321', route: 'M', callerId: null },
      stage: 'ended', outcome: 'completed', at: Date.now(), final: true, recording: { name: 'rec-c1', status: 'stopped', pausedMs: 0 },
    });
    const first = (await stores.recordings.get('c1'))!;
    expect(first.claimedBy).toBe('instance-a');
    const b = instance('instance-b', { claimMs: 300 });
    expect(await b.resume()).toBe(0);
    // Well past the first claim's end, with b sweeping every 100 ms meanwhile.
    await waitFor(async () => (await stores.recordings.get('c1'))!.claimedUntil!.getTime() > first.claimedUntil!.getTime() + 600,
      { timeoutMs: 10_000, what: 'instance-a renewing its claim' });
    expect((await stores.recordings.get('c1'))!.claimedBy).toBe('instance-a');
    converting.release();
    await waitFor(async () => (await stores.recordings.get('c1'))!.state === 'kept', { timeoutMs: 10_000, what: 'the recording kept' });
    await Promise.all([a.settled(), b.settled()]);
    expect(sent.map((s) => [s.callId, s.by])).toEqual([['c1', 'instance-a']]);
  });

  it('given a recording claimed by an instance that died, when its claim lapses, then a live instance takes it over and delivers it once', async () => {
    await unfinished('c1', { owner: 'instance-dead', until: new Date(Date.now() + 400) });
    const b = instance('instance-b', { claimMs: 300 });
    expect(await b.resume()).toBe(0);
    expect(sent).toEqual([]);
    await waitFor(() => sent.length === 1, { timeoutMs: 10_000, what: 'the dead instance\'s recording delivered by instance-b' });
    await b.settled();
    expect(sent.map((s) => [s.callId, s.by])).toEqual([['c1', 'instance-b']]);
    expect(await stores.recordings.get('c1')).toMatchObject({ state: 'kept', claimedBy: null });
  });

  it('given claims, then only one of two instances racing wins, a lapsed one is taken over, and the loser\'s writes are refused', async () => {
    await unfinished('c1');
    const now = new Date();
    const claim = (owner: string, ms: number) => ({ owner, until: new Date(now.getTime() + ms) });
    const wins = await Promise.all(['a', 'b', 'c', 'd'].map((owner) => stores.recordings.claim('c1', claim(owner, 60_000), now)));
    expect(wins.filter(Boolean)).toHaveLength(1);
    const winner = ['a', 'b', 'c', 'd'][wins.indexOf(true)]!;
    const loser = winner === 'a' ? 'b' : 'a';
    expect(await stores.recordings.change('c1', { attempts: 1 }, loser)).toBe(false);
    expect(await stores.recordings.renewClaim('c1', claim(loser, 60_000))).toBe(false);
    expect(await stores.recordings.change('c1', { attempts: 1 }, winner)).toBe(true);
    expect(await stores.recordings.claim('c1', claim(winner, 60_000), now)).toBe(true);
    const later = new Date(now.getTime() + 61_000);
    expect(await stores.recordings.claim('c1', { owner: loser, until: new Date(later.getTime() + 60_000) }, later)).toBe(true);
    expect(await stores.recordings.change('c1', { attempts: 2 }, winner)).toBe(false);
    await stores.recordings.releaseClaim('c1', loser);
    expect(await stores.recordings.get('c1')).toMatchObject({ attempts: 1, claimedBy: null, claimedUntil: null });
    await stores.recordings.change('c1', { state: 'kept' });
    expect(await stores.recordings.claim('c1', claim('e', 60_000), now)).toBe(false);
  });
});
