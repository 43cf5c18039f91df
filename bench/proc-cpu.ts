/** CPU time from /proc: per process (every thread) and for the whole machine. */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

/** Clock ticks per second of /proc's CPU times (USER_HZ, nearly always 100). */
const TICKS_PER_S = ((): number => {
  const answer = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim());
  return Number.isFinite(answer) && answer > 0 ? answer : 100;
})();

/** User + system CPU seconds a process has used so far, every thread included (not its children). */
export function processCpuS(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
}

interface MachineTicks {
  busy: number;
  total: number;
}

/** The machine's CPU ticks so far (/proc/stat is not per namespace: this is every process on the host). */
function machineTicks(): MachineTicks {
  const first = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // cpu  user nice system idle iowait irq softirq steal (guest time is already inside user)
  const values = first.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((sum, v) => sum + v, 0);
  return { busy: total - (values[3] ?? 0) - (values[4] ?? 0), total };
}

export interface CpuReading {
  atMs: number;
  processes: Map<string, number>;
  machine: MachineTicks;
}

/** Reads every named process and the machine at one instant. */
export function readCpu(pids: ReadonlyMap<string, number>): CpuReading {
  const processes = new Map<string, number>();
  for (const [name, pid] of pids) processes.set(name, processCpuS(pid));
  return { atMs: Date.now(), processes, machine: machineTicks() };
}

export interface CpuUse {
  wallS: number;
  /** CPU seconds each process used between the readings. */
  cpuS: Map<string, number>;
  /** The machine's busy share between the readings, 0-100 (all cores together). */
  machinePct: number;
}

export function cpuBetween(from: CpuReading, to: CpuReading): CpuUse {
  const cpuS = new Map<string, number>();
  for (const [name, s] of to.processes) cpuS.set(name, s - (from.processes.get(name) ?? s));
  const total = to.machine.total - from.machine.total;
  return { wallS: (to.atMs - from.atMs) / 1000, cpuS, machinePct: total > 0 ? (100 * (to.machine.busy - from.machine.busy)) / total : 0 };
}
