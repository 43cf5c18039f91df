/** CPU of the processes of a cluster bench (each instance, PostgreSQL, the bench itself) and of the machine. */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

import type { ClusterHarness } from '../spec/support/cluster-harness';
import { descendants } from '../spec/support/service-process';

/** Linux's USER_HZ: /proc/<pid>/stat counts CPU in these ticks on every architecture Node runs on. */
const CLOCK_TICKS_PER_S = 100;

function cpuMsOf(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, utime 14 and stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return 0; // gone since
  }
}

/** The postmaster listening on TEST_DATABASE_URL's port (other sessions may run clusters of their own on this machine). */
export function postmasterPid(): number | undefined {
  const port = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://x').port;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const p = args.indexOf('-p');
    if (args[0]?.endsWith('/postgres') && p > 0 && args[p + 1] === port) return Number(entry);
  }
  return undefined;
}

/** The whole machine's busy and total CPU ticks (/proc/stat): the other work on it shows here too. */
function machineTicks(): { busy: number; total: number } {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  // idle and iowait are the 4th and 5th.
  return { busy: total - (cpu[3] ?? 0) - (cpu[4] ?? 0), total };
}

/** CPU ms of each process at one moment, to be subtracted from a later reading. */
export class CpuSample {
  readonly at = performance.now();
  readonly instances: number[];
  readonly postgres: number;
  readonly postgresPids: number[];
  readonly bench: number;
  readonly machine = machineTicks();

  constructor(h: ClusterHarness, postmaster: number | undefined) {
    this.instances = h.instances.map((i) => cpuMsOf(i.process.pid));
    // Backends are children of the postmaster; the pools keep theirs for the whole run.
    this.postgresPids = postmaster === undefined ? [] : [postmaster, ...descendants(postmaster)];
    this.postgres = postmaster === undefined ? Number.NaN : this.postgresPids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
    const own = process.cpuUsage();
    this.bench = (own.user + own.system) / 1000;
  }

  /** CPU % of each process since `before` (100 % is one core). */
  since(before: CpuSample): { instances: number[]; postgres: number; bench: number; machine: number } {
    const wall = this.at - before.at;
    const pct = (a: number, b: number) => ((a - b) / wall) * 100;
    return {
      instances: this.instances.map((c, i) => pct(c, before.instances[i] ?? 0)),
      postgres: pct(this.postgres, before.postgres),
      bench: pct(this.bench, before.bench),
      machine: ((this.machine.busy - before.machine.busy) / (this.machine.total - before.machine.total)) * 100,
    };
  }
}
