/**
 * Cluster mode as deployed: callbot processes on one PostgreSQL database over simulated Asterisk
 * servers, Telegram's updates spread over the instances by a round-robin proxy
 * (spec/support/cluster-harness.ts). Three figures:
 *
 *   takeover  SIGKILL of the owner of a connected call's server → its lease held by another
 *             instance, and → that instance's 'took over a call' for the call; per lease ttl
 *   setup     /call → the agent's originate at the simulator, and agent answer → target dial,
 *             one call at a time, a cluster of 3 against a cluster of 1, interleaved
 *   rate      calls placed through the Bot API at a rising rate until the cluster saturates,
 *             with each process's CPU over each step
 *
 * One file a phase (cluster-takeover.ts, cluster-setup.ts, cluster-rate.ts), with their settings;
 * cluster-load.ts is the load and the cluster it runs on, cluster-call-marks.ts what the simulators
 * saw of each call, cluster-cpu.ts the processes' CPU. This file runs the phases and reports.
 *
 *   npm run bench:cluster
 *   CLUSTER_BENCH_PHASES=takeover CLUSTER_BENCH_TTLS=2000 npm run bench:cluster
 *
 * Loopback only; every phase is bounded in calls and time; figures are printed, never asserted.
 * Everything but the callbot processes and PostgreSQL (simulators, Bot API server, proxy) runs in
 * this process, so every timestamp compared below is this process's performance.now(), except the
 * 'took over a call' log line, whose own timestamp is compared with Date.now() at the kill.
 */
import os from 'node:os';

import { buildApp } from '../spec/support/built-app';
import { load, say } from './cluster-load';
import { ratePhase } from './cluster-rate';
import { setupPhase } from './cluster-setup';
import { ROUNDS, takeoverPhase } from './cluster-takeover';
import { table } from './stats';

const PHASES = new Set((process.env.CLUSTER_BENCH_PHASES ?? 'takeover,setup,rate').split(',').map((p) => p.trim()));
const TTLS = (process.env.CLUSTER_BENCH_TTLS ?? '6000,2000').split(',').map(Number);

async function main(): Promise<void> {
  buildApp();
  say(`cluster bench: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}; load ${load()}`);
  if (PHASES.has('takeover')) {
    const lines: string[] = [];
    for (const ttl of TTLS) lines.push(...await takeoverPhase(ttl));
    say();
    say(`Take-over after SIGKILL of the owner: 3 instances, 2 simulated servers, ${ROUNDS} rounds per ttl`);
    say();
    say(table(['ms', 'ttl', 'n', 'p50', 'p99', 'max'], lines.filter((l) => !l.startsWith('#')).map((l) => l.split('\t'))));
    for (const l of lines.filter((x) => x.startsWith('#'))) say(l.slice(1));
  }
  if (PHASES.has('setup')) await setupPhase();
  if (PHASES.has('rate')) await ratePhase();
  say();
  say(`load at the end ${load()}`);
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`cluster bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
