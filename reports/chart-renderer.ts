import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { EChartsOption } from 'echarts';
import type { ChartSize } from './stats-chart';

export interface ChartJob {
  id: number;
  option: EChartsOption;
  size: ChartSize;
}

export type ChartResult = { id: number; png: Uint8Array } | { id: number; error: string };

/**
 * Renders charts in a worker thread: laying out a chart and rasterising it takes the better part
 * of a hundred milliseconds of CPU, which on the event loop would hold every call's events and
 * every chat's updates that long. One worker, started on the first chart and kept for the next;
 * a worker that dies fails its charts and is started afresh for the next one.
 */
export class ChartRenderer {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, { resolve: (png: Buffer) => void; reject: (err: Error) => void }>();
  private nextId = 1;

  render(option: EChartsOption, size: ChartSize): Promise<Buffer> {
    const worker = this.worker ?? this.startWorker();
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ id, option, size } satisfies ChartJob);
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private startWorker(): Worker {
    const worker = new Worker(...workerEntry());
    worker.unref();
    worker.on('message', (result: ChartResult) => {
      const waiter = this.waiting.get(result.id);
      this.waiting.delete(result.id);
      // An idle worker must not keep the process alive.
      if (this.waiting.size === 0) worker.unref();
      if (!waiter) return;
      if ('png' in result) waiter.resolve(Buffer.from(result.png.buffer, result.png.byteOffset, result.png.byteLength));
      else waiter.reject(new Error(`rendering the chart failed: ${result.error}`));
    });
    const fail = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiter of this.waiting.values()) waiter.reject(new Error('the chart rendering worker stopped; the next chart starts a new one', { cause: err }));
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }
}

/** The built worker beside this file; from the TypeScript sources (the specs), the same file through ts-node. */
function workerEntry(): [string, { execArgv?: string[] }] {
  const built = path.join(__dirname, 'chart-worker.js');
  if (fs.existsSync(built)) return [built, {}];
  return [path.join(__dirname, 'chart-worker.ts'), { execArgv: ['--require', 'ts-node/register/transpile-only'] }];
}
