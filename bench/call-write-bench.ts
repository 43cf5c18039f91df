/**
 * What one Call row write costs the app: TypeORM's `repository.update` against CallStore's kept
 * statement (store/call-row-sql.ts, store/sqlite-connection.ts), on a fresh SQLite file in WAL mode
 * with SQLite's default synchronous setting (printed). Prints CPU (this process: main thread and
 * libuv's pool together), garbage and wall time per write, each way twice, interleaved.
 *
 *   npm run bench:writes
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';

import { Call } from '../entities';
import { openDatabase } from '../store/data-source';
import { createStores } from '../store';
import type { CallPatch } from '../store/call-store';

const WRITES = 2000;
const GARBAGE_SAMPLE = 20; // small enough that no scavenge runs in between

function newSpaceUsed(): number {
  return v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_used_size ?? 0;
}

async function main(): Promise<void> {
  const collect = (globalThis as { gc?: () => void }).gc;
  if (!collect) throw new Error('run with node --expose-gc (npm run bench:writes does)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-writes-'));
  const { dataSource } = await openDatabase(`sqlite:${path.join(dir, 'callbot.sqlite')}`);
  const stores = createStores(dataSource);
  const agent = await stores.agents.authorize({ telegramId: '1', phone: '+12025550100', by: '1' });
  for (let i = 0; i < WRITES; i++) {
    await stores.calls.recordCallRequest({ id: `c${i}`, agentId: agent.id, targetInput: 'x', stage: 'requested', requestedAt: new Date() });
  }
  const repository = dataSource.getRepository(Call);
  const ending = (): CallPatch => ({ stage: 'ended', outcome: 'completed', endedBy: 'target', hangupCause: 16, hangupCauseText: 'Normal Clearing', endedAt: new Date() });
  const ways: [string, (id: string) => Promise<unknown>][] = [
    ['TypeORM repository.update', (id) => repository.update({ id }, ending())],
    ['CallStore.recordCallTransition', (id) => stores.calls.recordCallTransition(id, ending())],
  ];

  const [{ journal_mode: journal }] = await dataSource.query('PRAGMA journal_mode') as { journal_mode: string }[];
  const [{ synchronous }] = await dataSource.query('PRAGMA synchronous') as { synchronous: number }[];
  const syncName = ['OFF', 'NORMAL', 'FULL', 'EXTRA'][synchronous] ?? String(synchronous);
  process.stdout.write(`one Call row UPDATE (6 columns), ${WRITES} one after another; SQLite journal_mode ${journal}, synchronous ${syncName}\n\n`);
  process.stdout.write(`${'way'.padEnd(32)}  ${'CPU µs'.padStart(7)}  ${'garbage KB'.padStart(10)}  ${'wall µs'.padStart(7)}\n`);
  for (const [name, write] of [...ways, ...ways]) {
    collect();
    const before = newSpaceUsed();
    for (let i = 0; i < GARBAGE_SAMPLE; i++) await write(`c${i}`);
    const garbage = (newSpaceUsed() - before) / GARBAGE_SAMPLE / 1024;
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < WRITES; i++) await write(`c${i}`);
    const wall = Number(process.hrtime.bigint() - t0) / WRITES / 1000;
    const cpu = process.cpuUsage(cpu0);
    process.stdout.write(`${name.padEnd(32)}  ${((cpu.user + cpu.system) / WRITES).toFixed(0).padStart(7)}  ${garbage.toFixed(1).padStart(10)}  ${wall.toFixed(0).padStart(7)}\n`);
  }
  await dataSource.destroy();
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
