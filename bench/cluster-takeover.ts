/**
 * The take-over phase: SIGKILL of the owner of a connected call's server → its lease held by
 * another instance, and → that instance's 'took over a call' for the call; per lease ttl.
 */
import { performance } from 'node:perf_hooks';

import { serverLeaseName } from '../cluster/cluster-call-store';
import { LeaseStore } from '../cluster/lease-store';
import { closeDatabase } from '../spec/support/test-database';
import { CallMarksBook, until } from './cluster-call-marks';
import { agents, customer, databaseOf, farEnds, load, say, stageOf, startCluster } from './cluster-load';
import { ms, type Summary, summarize } from './stats';

export const ROUNDS = Number(process.env.CLUSTER_BENCH_ROUNDS ?? 15);

interface TakeoverRound {
  leaseMs?: number;
  tookOverMs?: number;
  /** Both legs still Up on the simulator once the call was taken over. */
  kept: boolean;
  ended: boolean;
}

export async function takeoverPhase(ttl: number): Promise<string[]> {
  const crew = agents(4);
  const h = await startCluster({ instances: 3, agents: crew, leaseTtlMs: ttl });
  const db = await databaseOf(h);
  const leases = new LeaseStore(db);
  const rounds: TakeoverRound[] = [];
  const loadBefore = load();
  try {
    for (let j = 0; j < 2; j += 1) h.sim(j).setFarEnd(farEnds(undefined));
    const book = new CallMarksBook(h, 2);
    for (let round = 0; round < ROUNDS; round += 1) {
      const agent = crew[round % crew.length]!;
      const m = book.place(agent);
      await h.sendCommand(Number(agent.telegramId), `/call ${customer(round)}`);
      const callId = await until('the call placed', 20_000, () => m.callId);
      const sim = h.sim(m.sim!);
      const upLegs = () => sim.channels().filter((c) => c.id.startsWith(callId) && c.state === 'Up').length;
      await until('the call connected', 20_000, async () => upLegs() === 2 && (await stageOf(db, callId)) === 'connected');
      const lease = serverLeaseName(`a${m.sim! + 1}`);
      const holding = await until('the server owned', 10_000, async () => (await leases.current(lease)) ?? undefined);
      const owner = h.instances.find((i) => i.id === holding.holder)!;

      const killedWall = Date.now();
      const killedAt = performance.now();
      h.kill(owner.index, 'SIGKILL');
      const result: TakeoverRound = { kept: false, ended: false };
      const others = h.instances.filter((i) => i.index !== owner.index);
      await until('the lease and the call taken over', 4 * ttl + 15_000, async () => {
        if (result.leaseMs === undefined) {
          const now = await leases.current(lease);
          if (now && now.holder !== owner.id) result.leaseMs = performance.now() - killedAt;
        }
        if (result.tookOverMs === undefined) {
          for (const other of others) {
            const line = h.logsOf(other.index).find((l) => l.message === 'took over a call' && l.callId === callId);
            if (line) {
              result.tookOverMs = Date.parse(String(line.timestamp)) - killedWall;
              result.kept = upLegs() === 2;
            }
          }
        }
        return result.leaseMs !== undefined && result.tookOverMs !== undefined;
      }, 10).catch((err: unknown) => say(`  round ${round + 1}: ${err instanceof Error ? err.message : String(err)}`));
      rounds.push(result);

      await h.exited(owner.index);
      await h.restart(owner.index);
      sim.farEndHangup(`${callId}-target`);
      result.ended = await until('the call ended', 15_000, async () => (await stageOf(db, callId)) === 'ended').then(() => true, () => false);
      await until('the legs gone', 10_000, () => sim.channels().every((c) => !c.id.startsWith(callId))).catch(() => undefined);
      say(`  ttl ${ttl}, round ${round + 1}: lease ${ms(result.leaseMs ?? Number.NaN, 0)} ms, took over ${ms(result.tookOverMs ?? Number.NaN, 0)} ms (killed ${owner.id})`);
    }
  } finally {
    await closeDatabase(db);
    await h.stop();
  }
  const lease = summarize(rounds.flatMap((r) => (r.leaseMs === undefined ? [] : [r.leaseMs])));
  const took = summarize(rounds.flatMap((r) => (r.tookOverMs === undefined ? [] : [r.tookOverMs])));
  const row = (name: string, s: Summary) => [name, String(ttl), String(s.n), ms(s.p50, 0), ms(s.p99, 0), ms(s.max, 0)];
  return [
    ...[row('kill → lease held by another', lease), row('kill → "took over a call"', took)].map((r) => r.join('\t')),
    `#ttl ${ttl}: ${rounds.length} rounds, calls still connected at the take-over ${rounds.filter((r) => r.kept).length}, ended normally after ${rounds.filter((r) => r.ended).length}; load before ${loadBefore}, after ${load()}`,
  ];
}
