import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp } from '../support/built-app';
import { ANN, ClusterHarness, type ClusterHarnessOptions, type SeedAgent } from '../support/cluster-harness';
import { testDatabaseKind } from '../support/test-database';
import { isOggOpus } from '../support/test-audio';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

const AGENTS: SeedAgent[] = [{ telegramId: String(ANN), phone: '+15551230001', route: 'M', callerId: '+15550001111' }];
const CUSTOMER = '+12025550123';

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

/**
 * Recording in cluster mode, as deployed: two callbot processes on one PostgreSQL database, two
 * simulated Asterisk servers of which only the second takes the Main route, so the recording is on
 * a server other than the first one configured.
 */
onPostgres('cluster: a recorded call reaches its agent as a voice message', () => {
  let h: ClusterHarness | undefined;
  let dirs: string[];

  beforeAll(() => buildApp(), 180_000);
  beforeEach(() => {
    dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-cluster-recordings-')));
  });
  afterEach(async () => {
    await h?.stop();
    h = undefined;
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Two instances over two servers, the second server for the Main route, which records; each test its own, for they differ in RECORDING_DIR. */
  async function start(options: Pick<ClusterHarnessOptions, 'envOf' | 'leaseTtlMs'>): Promise<ClusterHarness> {
    h = await ClusterHarness.start({
      instances: 2, simulators: 2, agents: AGENTS,
      asteriskServer: (j) => ({ routes: j === 0 ? ['D'] : ['M'] }),
      env: { RECORDING_POLICY_M: 'on' },
      ...options,
    });
    await h.serversSettled();
    return h;
  }

  it('given the Main route records (policy on), when Ann\'s call on the second server ends, then she gets its recording once, under the call\'s final status, and the server keeps no copy', async () => {
    const h = await start({ envOf: (i) => ({ RECORDING_DIR: dirs[i]! }) });
    await h.sendCommand(ANN, `/call ${CUSTOMER}`);
    await waitFor(() => /Recording/.test(h.statusOf(ANN)?.text ?? ''), { what: 'the call connected and recording', timeoutMs: 20_000 });
    const call = await h.lastCallOf(ANN);
    expect(call.server_id).toBe('a2');

    h.sim(1).farEndHangup(`${call.id}-target`);
    await waitFor(() => h.files.voices.some((v) => v.chatId === ANN), { what: 'the recording sent to Ann', timeoutMs: 20_000 });
    await waitFor(async () => (await h.withDatabase((db) => db.query('SELECT state FROM call_recordings WHERE call_id = $1', [call.id])) as Array<{ state: string }>)[0]?.state === 'kept', {
      what: 'the recording kept and removed from Asterisk', timeoutMs: 20_000,
    });

    const voices = h.files.voices.filter((v) => v.chatId === ANN);
    expect(voices).toHaveLength(1);
    expect(voices[0]!.caption).toContain(`Call ${call.id}`);
    expect(voices[0]!.replyTo).toBe(h.statusOf(ANN)!.messageId);
    expect(isOggOpus(voices[0]!.content)).toBe(true);
    const stored = await fetch(`${h.sim(1).url}/ari/recordings/stored/${call.id}-rec/file`, {
      headers: { authorization: `Basic ${Buffer.from('callbot:ari-secret').toString('base64')}` },
    });
    expect(stored.status).toBe(404);
  });

  it('given the owner of the call\'s server is killed (SIGKILL) mid-call, then the instance that takes the call over carries its recording on: when the customer hangs up, Ann gets it once and the server keeps no copy', async () => {
    // One directory for both instances, as docs/recording.md asks of a cluster.
    const h = await start({ leaseTtlMs: 3000, envOf: () => ({ RECORDING_DIR: dirs[0]! }) });
    await h.sendCommand(ANN, `/call ${CUSTOMER}`);
    await waitFor(() => /Recording/.test(h.statusOf(ANN)?.text ?? ''), { what: 'the call connected and recording', timeoutMs: 20_000 });
    const call = await h.lastCallOf(ANN);
    const owner = await h.holderOf(`asterisk:${call.server_id}`);
    if (!owner) throw new Error(`nobody owns ${call.server_id}`);

    h.kill(owner.index, 'SIGKILL');
    await h.exited(owner.index);
    const tookOver = () => h.instances.find((i) => i.index !== owner.index && h.logsOf(i.index).some((l) => l.message === 'took over a call' && l.callId === call.id));
    await waitFor(tookOver, { what: 'the call taken over', timeoutMs: 15_000 });

    h.sim(1).farEndHangup(`${call.id}-target`);
    await waitFor(() => h.files.voices.some((v) => v.chatId === ANN), { what: 'the recording sent to Ann', timeoutMs: 20_000 });
    await waitFor(async () => (await h.withDatabase((db) => db.query('SELECT state FROM call_recordings WHERE call_id = $1', [call.id])) as Array<{ state: string }>)[0]?.state === 'kept', {
      what: 'the recording kept and removed from Asterisk', timeoutMs: 20_000,
    });
    expect(h.files.voices.filter((v) => v.chatId === ANN)).toHaveLength(1);
    expect(isOggOpus(h.files.voices.find((v) => v.chatId === ANN)!.content)).toBe(true);
  });
});
