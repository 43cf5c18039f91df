/** The rate phase: calls placed through the Bot API at a rising rate until the cluster saturates, with each process's CPU over each step. */
import os from 'node:os';
import { performance } from 'node:perf_hooks';

import type { SeedAgent } from '../spec/support/cluster-harness';
import { type CallMarks, CallMarksBook, between, until } from './cluster-call-marks';
import { CpuSample, postmasterPid } from './cluster-cpu';
import { agents, customer, farEnds, ownersOf, say, serversSharedOut, startCluster } from './cluster-load';
import { sleep } from './sleep';
import { ms, table } from './stats';

const RATE_AGENTS = Number(process.env.CLUSTER_BENCH_AGENTS ?? 600);
const RATE_STEPS = (process.env.CLUSTER_BENCH_RATES ?? '5,10,20,40,60,80,100,120,150,200').split(',').map(Number);
const STEP_MS = Number(process.env.CLUSTER_BENCH_STEP_MS ?? 8000);
/** A call without its target's dial this long after /call counts as failed. */
const SETUP_DEADLINE_MS = 10_000;
/** An agent is called again only this long after their leg was destroyed: the owner must have written the row ended, or the intake refuses the call as a second live one. */
const AGENT_REST_MS = 2000;

export async function ratePhase(): Promise<void> {
  const crew = agents(RATE_AGENTS);
  const h = await startCluster({ instances: 3, agents: crew, env: { MAX_CONCURRENT_CALLS: '10000' }, startTimeoutMs: 60_000 });
  const postmaster = postmasterPid();
  const rows: string[][] = [];
  const cpuRows: string[][] = [];
  try {
    for (let j = 0; j < 2; j += 1) h.sim(j).setFarEnd(farEnds(500));
    const book = new CallMarksBook(h, 2);
    const free: SeedAgent[] = [...crew];
    book.onAgentGone = (m) => { setTimeout(() => free.push(m.agent), AGENT_REST_MS); };
    await serversSharedOut(h);
    say(`  rate phase: ${await ownersOf(h)}`);
    let n = 0;
    for (const rate of RATE_STEPS) {
      await sleep(1000);
      const before = new CpuSample(h, postmaster);
      const loadAt = os.loadavg()[0]!;
      const stepStart = performance.now();
      const placed: CallMarks[] = [];
      let noAgent = 0;
      const count = Math.round((rate * STEP_MS) / 1000);
      for (let k = 0; k < count; k += 1) {
        const due = stepStart + (k * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        const agent = free.shift();
        if (!agent) {
          noAgent += 1;
          continue;
        }
        const m = book.place(agent);
        placed.push(m);
        n += 1;
        h.sendCommand(Number(agent.telegramId), `/call ${customer(n)}`).catch(() => { m.undelivered = true; });
      }
      const placingMs = performance.now() - stepStart;
      const after = new CpuSample(h, postmaster);
      await until('the step settled', SETUP_DEADLINE_MS + 5000, () => placed.every((m) => m.targetDialAt !== undefined || m.undelivered
        || performance.now() - m.placedAt > SETUP_DEADLINE_MS), 100);
      // Agents of failed calls go back to the pool: their leg never came, or came too late to matter.
      for (const m of placed) if (m.targetDialAt === undefined && m.originateAt === undefined) free.push(m.agent);
      const ok = placed.filter((m) => m.targetDialAt !== undefined && m.targetDialAt - m.placedAt <= SETUP_DEADLINE_MS);
      const dials = ok.map((m) => m.targetDialAt!).sort((a, b) => a - b);
      const achieved = dials.length > 1 ? ((dials.length - 1) * 1000) / (dials[dials.length - 1]! - dials[0]!) : Number.NaN;
      const setup = between(ok, (m) => m.placedAt, (m) => m.originateAt);
      const toDial = between(ok, (m) => m.placedAt, (m) => m.targetDialAt);
      const failed = placed.length - ok.length;
      rows.push([
        String(rate), String(placed.length), ms((placed.length * 1000) / placingMs, 1), ms(achieved, 1), `${failed}${noAgent > 0 ? ` (+${noAgent} no free agent)` : ''}`,
        ms(setup.p50, 0), ms(setup.p99, 0), ms(toDial.p50, 0), ms(toDial.p99, 0), loadAt.toFixed(2),
      ]);
      const cpu = after.since(before);
      cpuRows.push([String(rate), ...cpu.instances.map((c) => c.toFixed(0)), cpu.postgres.toFixed(0), cpu.bench.toFixed(0), cpu.machine.toFixed(0)]);
      say(`  rate step ${rate}/s: ${rows[rows.length - 1]!.join(' | ')} ; CPU % ${cpuRows[cpuRows.length - 1]!.slice(1).join(' ')} (postgres: ${after.postgresPids.length} processes)`);
      if (noAgent > 0) {
        say(`  the ${RATE_AGENTS} agents, not the cluster, ran out at ${rate}/s (CLUSTER_BENCH_AGENTS raises them)`);
        break;
      }
      const saturated = failed > placed.length * 0.01 || achieved < rate * 0.9 || toDial.p99 > 2000;
      if (saturated) break;
    }
  } finally {
    await h.stop();
  }
  say();
  say(`Calls per second: 3 instances, 2 simulated servers, ${RATE_AGENTS} agents; each step places calls for ${STEP_MS / 1000} s; agents answer after 50 ms, customers after 100 ms and talk 500 ms`);
  say();
  say(table(['offered/s', 'placed', 'placed/s', 'dialled/s', 'failed', '→originate p50', 'p99', '→target dial p50', 'p99', 'load 1m'], rows));
  say();
  say('CPU % over each step\'s placing (100 = one core):');
  say(table(['offered/s', ...h.instances.map((i) => i.id), 'postgres', 'bench (sims, Bot API, proxy)', `machine busy % of ${os.cpus().length} cores`], cpuRows));
}
