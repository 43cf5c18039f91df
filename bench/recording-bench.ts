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
 *   RECORDING_BENCH_CONVERSION_RUNS=0 RECORDING_BENCH_MINUTES=10 RECORDING_BENCH_SINGLE=0 npm run bench:recording   # only 20 ten-minute calls at once
 *   RECORDING_BENCH_CALLS=0 RECORDING_BENCH_CONVERSION_RUNS=5 npm run bench:recording   # only the conversion
 *
 * RECORDING_BENCH_CONVERSIONS sets how many recordings are converted at once (one per core by
 * default). Each hand-off row is followed by where the time went: the wait for a conversion's
 * turn, the fetch, the conversion and keeping the file, and the voice message's way through the
 * outbox to the Bot API server; and the CPU ffmpeg and this process used meanwhile.
 *
 * The audio is a tone with pink noise (ffmpeg's lavfi sources), not silence, which encoders shrink to nothing.
 */
import http from 'node:http';
import { processCpuS } from './proc-cpu';
import type { AddressInfo } from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Subject, merge } from 'rxjs';
import { AriRest } from '../ari/ari-rest';
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
const CONVERSION_RUNS = Number(process.env.RECORDING_BENCH_CONVERSION_RUNS ?? 3);
const SINGLE = process.env.RECORDING_BENCH_SINGLE !== '0';
const CONVERSIONS = process.env.RECORDING_BENCH_CONVERSIONS ? Number(process.env.RECORDING_BENCH_CONVERSIONS) : undefined;

async function conversionPerMinute(conversion: AudioConversion, wavs: Map<number, Buffer>): Promise<string[][]> {
  const rows: string[][] = [];
  for (const [minutes, wav] of wavs) {
    const times: number[] = [];
    let bytes = 0;
    const cpuBefore = childrenCpuS();
    for (let i = 0; i < CONVERSION_RUNS; i += 1) {
      const started = performance.now();
      bytes = (await conversion.toVoice(wav)).ogg.length;
      times.push(performance.now() - started);
    }
    // ffmpeg's own CPU time: unlike the wall-clock time, it hardly moves with what else the machine runs.
    const cpuPerRunMs = ((childrenCpuS() - cpuBefore) / CONVERSION_RUNS) * 1000;
    const s = summarize(times);
    rows.push([
      `${minutes} min`, `${(wav.length / 1e6).toFixed(1)} MB`, `${(bytes / 1e6).toFixed(2)} MB`, ms(s.p50, 0), ms(s.max, 0), ms(s.p50 / minutes, 0),
      ms(cpuPerRunMs, 0), ms(cpuPerRunMs / minutes, 0),
    ]);
  }
  return rows;
}

/** When each call's recording reached each step of the pipeline (ms since the epoch). */
interface Marks {
  fetchStarted: Map<string, number>;
  fetched: Map<string, number>;
  kept: Map<string, number>;
}

/** CPU seconds of this process's children that have ended (ffmpeg's conversions): /proc's cutime + cstime. */
function childrenCpuS(): number {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/**
 * ARI's stored recordings on loopback HTTP (every name is the same WAV), fetched by the product's
 * own ARI REST client as the adapter's `fetchStoredRecording` does.
 */
async function storedOverHttp(wav: Buffer, marks: Marks): Promise<{ stored: StoredRecordings; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'audio/wav', 'Content-Length': String(wav.length) });
    res.end(wav);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const rest = new AriRest(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'bench', 'bench', 60_000);
  return {
    stored: {
      fetchStoredRecording: async (name) => {
        marks.fetchStarted.set(name, Date.now());
        const file = await rest.file('fetch recording', `/recordings/stored/${encodeURIComponent(name)}/file`);
        marks.fetched.set(name, Date.now());
        return file;
      },
      deleteStoredRecording: async () => undefined,
    },
    close: () => new Promise((resolve) => {
      rest.close();
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

interface HandOff {
  row: string[];
  split: string[][];
}

async function hangUpToVoice(minutes: number, wav: Buffer, calls: number): Promise<HandOff> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-recording-bench-'));
  const marks: Marks = { fetchStarted: new Map(), fetched: new Map(), kept: new Map() };
  const asterisk = await storedOverHttp(wav, marks);
  // The pipeline keeps each file under RECORDING_DIR/<month>/<call id>.ogg by a rename, once converted.
  const month = path.join(dir, new Date().toISOString().slice(0, 7));
  fs.mkdirSync(month, { recursive: true });
  const watcher = fs.watch(month, (_event, file) => {
    const callId = file?.endsWith('.ogg') ? file.slice(0, -'.ogg'.length) : undefined;
    if (callId && !marks.kept.has(`rec-${callId}`)) marks.kept.set(`rec-${callId}`, Date.now());
  });
  const ended = new Subject<CallUpdate>();
  const h = await BotHarness.start({
    env: { RECORDING_DIR: dir, RECORDING_POLICY_M: 'on' },
    recording: { stored: asterisk.stored, updates: (engine) => merge(engine, ended), ...(CONVERSIONS ? { conversions: CONVERSIONS } : {}) },
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
    const childrenBefore = childrenCpuS();
    const selfBefore = processCpuS(process.pid);
    const hungUpAt = Date.now();
    for (const update of updates) ended.next({ ...update, at: hungUpAt });
    await waitFor(() => h.files.voices.length >= calls, { timeoutMs: 10 * 60_000, everyMs: 20, what: `${calls} voice messages` });
    const ffmpegCpu = childrenCpuS() - childrenBefore;
    const selfCpu = processCpuS(process.pid) - selfBefore;
    const arrivals = h.files.voices.map((v) => v.receivedAt - hungUpAt);
    const s = summarize(arrivals);
    const lastAt = hungUpAt + s.max;
    const names = updates.map((u) => u.recording!.name);
    const part = (from: (name: string) => number | undefined, to: (name: string) => number | undefined): string => {
      const values = names.map((n) => (to(n) ?? Number.NaN) - (from(n) ?? Number.NaN));
      const v = summarize(values);
      return `${ms(v.p50, 0)} / ${ms(v.max, 0)}`;
    };
    // The voice messages carry no call id the bench reads back: the last message's way out is told from the last kept file.
    const lastKept = Math.max(...marks.kept.values());
    const split = [
      [`${minutes} min × ${calls}`, part(() => hungUpAt, (n) => marks.fetchStarted.get(n)), part((n) => marks.fetchStarted.get(n), (n) => marks.fetched.get(n)),
        part((n) => marks.fetched.get(n), (n) => marks.kept.get(n)), ms(lastAt - lastKept, 0), `${ffmpegCpu.toFixed(1)} s`, `${selfCpu.toFixed(1)} s`],
    ];
    return { row: [`${minutes} min`, String(calls), ms(s.p50, 0), ms(s.max, 0), ms(Math.min(...arrivals), 0)], split };
  } finally {
    watcher.close();
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

  if (CONVERSION_RUNS > 0) {
    console.log('\n1. Conversion, WAV (8 kHz mono 16-bit) to OGG/Opus, one at a time (ms)');
    console.log(table(['audio', 'WAV', 'OGG', 'p50', 'max', 'per audio minute', 'ffmpeg CPU', 'CPU per audio minute'], await conversionPerMinute(new AudioConversion(ffmpeg), wavs)));
  }
  if (CALLS === 0) return;

  const atOnce = `${CONVERSIONS ?? os.availableParallelism()} converted at once`;
  console.log(`\n2. Hang-up to voice message in the chat: ${SINGLE ? 'one call alone, then ' : ''}${CALLS} calls ending at once, ${atOnce} (ms from the final update)`);
  const handOffs: HandOff[] = [];
  for (const [minutes, wav] of wavs) {
    if (SINGLE) handOffs.push(await hangUpToVoice(minutes, wav, 1));
    handOffs.push(await hangUpToVoice(minutes, wav, CALLS));
  }
  console.log(table(['call', 'calls', 'p50', 'max (the last)', 'first'], handOffs.map((x) => x.row)));
  console.log('\n   where the time went (p50 / max ms over the calls; the last voice message\'s way out from the last kept file; CPU over the run)');
  console.log(table(['calls', 'waiting for a turn', 'fetch', 'convert + keep', 'last: kept → in the chat', 'ffmpeg CPU', 'bench process CPU'], handOffs.flatMap((x) => x.split)));
  console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
}

main().then(() => process.exit(0), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
