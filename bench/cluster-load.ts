/**
 * The cluster bench's load and its view of a cluster: the far ends' behaviour, the agents and
 * customers, starting a cluster of the harness, and reading its database and leases while it runs.
 */
import os from 'node:os';
import type { DataSource } from 'typeorm';

import { serverLeaseName } from '../cluster/cluster-call-store';
import { openDatabase } from '../store/data-source';
import { dialledNumber, type FarEndScript } from '../spec/support/ari-simulator';
import { ClusterHarness, type ClusterHarnessOptions, type SeedAgent } from '../spec/support/cluster-harness';
import { sleep } from './sleep';

/** The far ends: agents answer 50 ms after the INVITE, customers 100 ms after it and talk `talkMs` (forever if undefined). */
export function farEnds(talkMs: number | undefined): (endpoint: string) => FarEndScript {
  return (endpoint) => (dialledNumber(endpoint).startsWith('+1202')
    ? { kind: 'answer', ringMs: 100, ...(talkMs === undefined ? {} : { hangupAfterMs: talkMs }) }
    : { kind: 'answer', ringMs: 50 });
}

export function agents(n: number): SeedAgent[] {
  return Array.from({ length: n }, (_, i) => ({
    telegramId: String(3000 + i), phone: `+1555${String(3_000_000 + i)}`, route: 'M', callerId: `+1555${String(7_000_000 + i)}`,
  }));
}

export function customer(n: number): string {
  return `+1202555${String(1000 + (n % 9000))}`;
}

export function load(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' / ');
}

export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** A connection of the bench's own to a harness's database, for lease and row reads while it runs. */
export async function databaseOf(h: ClusterHarness): Promise<DataSource> {
  if (!h.databaseUrl) throw new Error('the harness has no shared database');
  return (await openDatabase(h.databaseUrl)).dataSource;
}

export async function stageOf(db: DataSource, callId: string): Promise<string | undefined> {
  const rows = await db.query('SELECT stage FROM calls WHERE id = $1', [callId]) as { stage: string }[];
  return rows[0]?.stage;
}

/** Which instance owns each server now: the CPU figures read differently when one owns both. */
export async function ownersOf(h: ClusterHarness): Promise<string> {
  const owners = await Promise.all(h.asteriskServers().map(async (s) => `${s.id} owned by ${(await h.holderOf(serverLeaseName(s.id)))?.id ?? 'nobody'}`));
  return owners.join(', ');
}

/** Instances start together and the first takes every server; the rate is measured once they are shared out (or after 20 s). */
export async function serversSharedOut(h: ClusterHarness): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const holders = await Promise.all(h.asteriskServers().map((s) => h.holderOf(serverLeaseName(s.id))));
    if (holders.every((o) => o !== undefined) && new Set(holders.map((o) => o!.id)).size === holders.length) return;
    await sleep(500);
  }
}

export async function startCluster(opts: ClusterHarnessOptions): Promise<ClusterHarness> {
  return ClusterHarness.start({ simulators: 2, ...opts });
}
