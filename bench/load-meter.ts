/** The app process's own load while a phase runs: CPU, event-loop delay, memory. */
import { type IntervalHistogram, monitorEventLoopDelay, performance } from 'node:perf_hooks';

/** monitorEventLoopDelay samples every RESOLUTION_MS; it records the whole interval, so that much is taken off. */
export const RESOLUTION_MS = 1;

export interface LoadFigures {
  wallMs: number;
  /** User + system CPU of the whole process (main thread, libuv pool, GC threads). */
  cpuMs: number;
  cpuPct: number;
  /** The kernel's share (system time): socket writes, fsync, futex wake-ups. */
  sysPct: number;
  loop: { p50: number; p99: number; max: number };
}

export class LoadMeter {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  private readonly cpu = process.cpuUsage();
  private readonly t0 = performance.now();

  constructor() {
    this.histogram.enable();
  }

  stop(): LoadFigures {
    this.histogram.disable();
    const wallMs = performance.now() - this.t0;
    const used = process.cpuUsage(this.cpu);
    const cpuMs = (used.user + used.system) / 1000;
    const delay = (ns: number): number => Math.max(0, ns / 1e6 - RESOLUTION_MS);
    const h = this.histogram;
    return {
      wallMs,
      cpuMs,
      cpuPct: (cpuMs / wallMs) * 100,
      sysPct: (used.system / 1000 / wallMs) * 100,
      loop: h.count > 0 ? { p50: delay(h.percentile(50)), p99: delay(h.percentile(99)), max: delay(h.max) } : { p50: 0, p99: 0, max: 0 },
    };
  }
}

export async function memoryMb(): Promise<{ rss: number; heap: number; heapTotal: number; external: number; gc: boolean }> {
  const gc = globalThis.gc;
  if (gc) {
    gc();
    await new Promise((r) => setImmediate(r));
    gc();
  }
  const m = process.memoryUsage();
  const mb = (bytes: number): number => bytes / 2 ** 20;
  return { rss: mb(m.rss), heap: mb(m.heapUsed), heapTotal: mb(m.heapTotal), external: mb(m.external), gc: gc !== undefined };
}
