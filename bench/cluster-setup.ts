/** The set-up phase: /call → the agent's originate, and agent answer → target dial, one call at a time, a cluster of 3 against a cluster of 1, interleaved. */
import type { ClusterHarness } from '../spec/support/cluster-harness';
import { CallMarksBook, between, until } from './cluster-call-marks';
import { agents, customer, farEnds, load, say, startCluster } from './cluster-load';
import { sleep } from './sleep';
import { ms, type Summary, table } from './stats';

const SETUP_CALLS = Number(process.env.CLUSTER_BENCH_SETUP_CALLS ?? 100);
/** Set-up calls alternate between the two clusters in batches this long, so both meet the same moments of load. */
const SETUP_BATCH = 10;

export async function setupPhase(): Promise<void> {
  const crew = agents(10);
  const env = { MAX_CONCURRENT_CALLS: '10000' };
  const three = await startCluster({ instances: 3, agents: crew, env });
  const one = await startCluster({ instances: 1, agents: crew, env }).catch(async (err: unknown) => { await three.stop(); throw err; });
  const loadBefore = load();
  try {
    const clusters = [{ name: '3 instances', h: three }, { name: '1 instance', h: one }].map((c) => {
      for (let j = 0; j < 2; j += 1) c.h.sim(j).setFarEnd(farEnds(200));
      return { ...c, book: new CallMarksBook(c.h, 2), placed: 0 };
    });
    // Warm-up: the first calls of a process pay for JIT and pool connections.
    for (const c of clusters) for (let i = 0; i < 3; i += 1) await oneCall(c, true);
    for (let done = 0; done < SETUP_CALLS; done += SETUP_BATCH) {
      for (const c of clusters) for (let i = 0; i < Math.min(SETUP_BATCH, SETUP_CALLS - done); i += 1) await oneCall(c, false);
    }
    say();
    say(`Set-up latency: ${SETUP_CALLS} calls one at a time on each cluster (2 simulated servers), interleaved in batches of ${SETUP_BATCH}; load before ${loadBefore}, after ${load()}`);
    say();
    say(table(['ms', 'cluster', 'n', 'p50', 'p99', 'max'], clusters.flatMap((c) => {
      const measured = c.book.all.slice(3);
      const placing = between(measured, (m) => m.placedAt, (m) => m.originateAt);
      const gap = between(measured, (m) => m.agentUpAt, (m) => m.targetDialAt);
      const r = (name: string, s: Summary) => [name, c.name, String(s.n), ms(s.p50), ms(s.p99), ms(s.max)];
      return [r('/call → agent originate', placing), r('agent answer → target dial', gap)];
    })));
  } finally {
    await three.stop();
    await one.stop();
  }

  async function oneCall(c: { h: ClusterHarness; book: CallMarksBook; placed: number }, warmUp: boolean): Promise<void> {
    const agent = crew[c.placed % crew.length]!;
    c.placed += 1;
    const m = c.book.place(agent);
    await c.h.sendCommand(Number(agent.telegramId), `/call ${customer(c.placed)}`);
    await until(`${warmUp ? 'warm-up ' : ''}call ${c.placed} ended`, 20_000, () => m.agentGoneAt !== undefined);
    // The row is written ended just after the leg goes; a pause keeps calls from overlapping.
    await sleep(150);
  }
}
