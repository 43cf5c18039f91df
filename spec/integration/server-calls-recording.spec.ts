import { firstValueFrom, type Observable, filter } from 'rxjs';
import type { CallUpdate } from '../../call/call-update';
import { ServerCalls } from '../../cluster/server-calls';
import type { ServerCallRow } from '../../cluster/cluster-call-store';
import { loadConfig } from '../../config/config';
import { silentLogger } from '../../config/logger';
import { CallEngine } from '../../engine/call-engine';
import { TEST_ENV } from '../support/engine-harness';
import { FakeAri } from '../support/fake-ari';
import { InMemoryRecords } from '../support/in-memory-records';

const T0 = Date.UTC(2026, 11, 6, 12);

/**
 * A call whose Asterisk server stays unreachable is ended without asking Asterisk anything
 * (ServerCalls.failRecorded). Asterisk recorded it all the same: the final update names the
 * recording the call's row kept, so the recording pipeline fetches it once the server answers again.
 */
describe('a recorded call ended because its server is unreachable', () => {
  let engine: CallEngine;
  let records: InMemoryRecords;
  let calls: ServerCalls;
  let ari: FakeAri;
  const streams: Array<Observable<CallUpdate>> = [];

  beforeEach(async () => {
    records = new InMemoryRecords();
    records.agents.set('2001', { id: 1, telegramId: '2001', phone: '+15551230001', callerId: '+15550001111', route: 'M' });
    const config = loadConfig(TEST_ENV);
    ari = new FakeAri();
    engine = new CallEngine({ config, ari, agents: records, calls: records, audit: records, logger: silentLogger(), now: () => T0 + 60_000 });
    await engine.start();
    streams.length = 0;
    calls = new ServerCalls({ serverId: 'a1', engine, ari, config, logger: silentLogger(), now: () => T0 + 60_000, onRun: (_row, updates) => streams.push(updates) });
  });

  afterEach(async () => {
    await engine.stop();
  });

  async function connectedRow(recording: Partial<ServerCallRow>): Promise<ServerCallRow> {
    const context = { callId: 'c1', agentId: 1, agentTelegramId: '2001', agentPhone: '+15551230001', target: '+12025550123', route: 'M' as const, callerId: null };
    await records.recordCallRequest({
      id: 'c1', agentId: 1, targetInput: '202 555 0123', target: '+12025550123', route: 'M', stage: 'connected', requestedAt: new Date(T0), telegramChatId: '2001', statusMessageId: 7,
    });
    return {
      id: 'c1', context, agentEndpoint: 'PJSIP/+15551230001@trunk', targetEndpoint: 'PJSIP/+12025550123@trunk', stage: 'connected', requestedAt: new Date(T0),
      agentRingingAt: new Date(T0 + 1000), agentAnsweredAt: new Date(T0 + 5000), targetRingingAt: new Date(T0 + 6000), connectedAt: new Date(T0 + 10_000),
      telegramChatId: '2001', statusMessageId: 7, cancelRequestedBy: null,
      recordingName: null, recordingStartedAt: null, recordingPausedMs: null, recordingPausedAt: null, ...recording,
    };
  }

  async function finalUpdateOf(row: ServerCallRow): Promise<CallUpdate> {
    expect(calls.failRecorded(row, 'Asterisk server a1 unreachable for 30 s')).toBe(true);
    expect(streams).toHaveLength(1);
    return firstValueFrom(streams[0]!.pipe(filter((u) => u.final)));
  }

  it('given the row names a running recording, then the call ends failed and its final update names the stopped recording to fetch', async () => {
    const update = await finalUpdateOf(await connectedRow({ recordingName: 'c1-rec', recordingStartedAt: new Date(T0 + 10_000), recordingPausedMs: 4000 }));
    expect(update).toMatchObject({ stage: 'ended', outcome: 'failed' });
    expect(update.recording).toEqual({ name: 'c1-rec', status: 'stopped', startedAt: T0 + 10_000, stoppedAt: T0 + 60_000, pausedMs: 4000 });
    // The one thing asked of Asterisk, should it hear: to stop the recording, so its file is whole
    // (the engine's start-up read of Asterisk's channels and bridges aside).
    expect(ari.requests.map((r) => r.op).filter((op) => !op.startsWith('list'))).toEqual(['stopRecording']);
  });

  it('given the row names a paused recording, then the time paused until the end is counted', async () => {
    const update = await finalUpdateOf(await connectedRow({ recordingName: 'c1-rec', recordingStartedAt: new Date(T0 + 10_000), recordingPausedMs: 4000, recordingPausedAt: new Date(T0 + 50_000) }));
    expect(update.recording).toMatchObject({ name: 'c1-rec', status: 'stopped', pausedMs: 14_000 });
  });

  it('given the row names no recording, then the final update names none', async () => {
    const update = await finalUpdateOf(await connectedRow({}));
    expect(update).toMatchObject({ stage: 'ended', outcome: 'failed' });
    expect(update.recording).toBeUndefined();
  });
});
