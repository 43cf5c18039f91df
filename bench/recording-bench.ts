/**
 * Call recording's media side under load, with Debian's ffmpeg:
 *
 *   1. conversion: a call's WAV (8 kHz mono, as Asterisk stores it) to OGG/Opus, per minute of audio;
 *   2. hang-up to voice message: one recorded call alone, then 20 ending at once (1-minute, then 10-minute calls); from
 *      each final update to its voice message at the local Bot API server (telegram-test-api behind
 *      spec/support's file server), through the real pipeline, outbox and bot transport. Asterisk's
 *      stored recordings are served over loopback HTTP as ARI's `GET /recordings/stored/{name}/file`
 *      would be, so the transfer of each WAV is counted.
 *
 *   npm run bench:recording
 *   RECORDING_BENCH_CALLS=5 RECORDING_BENCH_MINUTES=1 npm run bench:recording   # a quick run
 *
 * The audio is a tone with pink noise (ffmpeg's lavfi sources), not silence, which encoders shrink to nothing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Subject, merge } from 'rxjs';
import type { CallUpdate } from '../call/call-update';
import { createLogger } from '../config/logger';
import { AudioConversion } from '../recording/audio-conversion';
import { Ffmpeg } from '../recording/ffmpeg';
import type { StoredRecordings } from '../recording/recording-types';
import { ADMIN_ID, BotHarness } from '../spec/support/bot-harness';
import { toneWav } from '../spec/support/test-audio';
import { waitFor } from '../spec/support/wait-for';
import { ms, summarize, table } from './stats';

const CALLS = Number(process.env.RECORDING_BENCH_CALLS ?? 20);
const MINUTES = (process.env.RECORDING_BENCH_MINUTES ?? '1,10').split(',').map(Number);
const CONVERSION_RUNS = 3;

async function conversionPerMinute(conversion: AudioConversion, wavs: Map<number, Buffer>): Promise<string[][]> {
  const rows: string[][] = [];
  for (const [minutes, wav] of wavs) {
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < CONVERSION_RUNS; i += 1) {
      const started = performance.now();
      bytes = (await conversion.toVoice(wav)).ogg.length;
      times.push(performance.now() - started);
    }
    const s = summarize(times);
    rows.push([`${minutes} min`, `${(wav.length / 1e6).toFixed(1)} MB`, `${(bytes / 1e6).toFixed(2)} MB`, ms(s.p50, 0), ms(s.max, 0), ms(s.p50 / minutes, 0)]);
  }
  return rows;
}

/** ARI's stored recordings on loopback HTTP: every name is the same WAV. */
async function storedOverHttp(wav: Buffer): Promise<{ stored: StoredRecordings; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'audio/wav', 'Content-Length': String(wav.length) });
    res.end(wav);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    stored: {
      fetchStoredRecording: async (name) => Buffer.from(await (await fetch(`${base}/recordings/stored/${name}/file`)).arrayBuffer()),
      deleteStoredRecording: async () => undefined,
    },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

async function hangUpToVoice(minutes: number, wav: Buffer, calls: number): Promise<string[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-recording-bench-'));
  const asterisk = await storedOverHttp(wav);
  const ended = new Subject<CallUpdate>();
  const h = await BotHarness.start({
    env: { RECORDING_DIR: dir, RECORDING_POLICY_M: 'on' },
    recording: { stored: asterisk.stored, updates: (engine) => merge(engine, ended) },
    // RECORDING_BENCH_LOG=1: the pipeline's warnings (a retried step shows in the latencies).
    ...(process.env.RECORDING_BENCH_LOG ? { logger: createLogger({ level: 'warn', format: 'pretty', secrets: [] }) } : {}),
  });
  try {
    const updates: CallUpdate[] = [];
    for (let i = 0; i < calls; i += 1) {
      const telegramId = String(3001 + i);
      const agent = await h.stores.agents.authorize({ telegramId, phone: `+1555123${String(1000 + i)}`, callerId: null, by: String(ADMIN_ID), displayName: `Agent ${i}` });
      const callId = `bench-${minutes}-${i}`;
      const now = new Date();
      await h.stores.calls.recordCallRequest({
        id: callId, agentId: agent.id, targetInput: '202 555 0123', target: '+12025550123', route: 'M', stage: 'ended', outcome: 'completed',
        requestedAt: now, connectedAt: now, endedAt: now, telegramChatId: telegramId, statusMessageId: 1,
      });
      updates.push({
        context: { callId, agentId: agent.id, agentTelegramId: telegramId, agentPhone: '+15551230000', target: '+12025550123', route: 'M', callerId: null },
        stage: 'ended', outcome: 'completed', final: true, at: 0,
        recording: { name: `rec-${callId}`, status: 'stopped', pausedMs: 0 },
      });
    }
    const hungUpAt = Date.now();
    for (const update of updates) ended.next({ ...update, at: hungUpAt });
    await waitFor(() => h.files.voices.length >= calls, { timeoutMs: 10 * 60_000, everyMs: 20, what: `${calls} voice messages` });
    const s = summarize(h.files.voices.map((v) => v.receivedAt - hungUpAt));
    return [`${minutes} min`, String(calls), ms(s.p50, 0), ms(s.max, 0), ms(h.files.voices.reduce((a, v) => Math.min(a, v.receivedAt - hungUpAt), Infinity), 0)];
  } finally {
    await h.stop();
    await asterisk.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const ffmpeg = new Ffmpeg();
  console.log(`recording bench: ${await ffmpeg.check()}; ${os.availableParallelism()} cores, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const wavs = new Map<number, Buffer>();
  for (const minutes of MINUTES) wavs.set(minutes, await toneWav(minutes * 60));

  console.log('\n1. Conversion, WAV (8 kHz mono 16-bit) to OGG/Opus, one at a time (ms)');
  console.log(table(['audio', 'WAV', 'OGG', 'p50', 'max', 'per audio minute'], await conversionPerMinute(new AudioConversion(ffmpeg), wavs)));

  console.log(`\n2. Hang-up to voice message in the chat: one call alone, then ${CALLS} calls ending at once (ms from the final update)`);
  const rows: string[][] = [];
  for (const [minutes, wav] of wavs) {
    rows.push(await hangUpToVoice(minutes, wav, 1));
    rows.push(await hangUpToVoice(minutes, wav, CALLS));
  }
  console.log(table(['call', 'calls', 'p50', 'max (the last)', 'first'], rows));
  console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
