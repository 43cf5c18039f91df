import { parentPort } from 'node:worker_threads';
import { type ChartJob, type ChartResult } from './chart-renderer';
import { renderChartPng } from './stats-chart';

/** The rendering worker (chart-renderer.ts): one chart at a time, answered by id. */
parentPort?.on('message', (job: ChartJob) => {
  let result: ChartResult;
  try {
    const png = renderChartPng(job.option, job.size);
    result = { id: job.id, png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength) };
  } catch (err) {
    result = { id: job.id, error: err instanceof Error ? `${err.message}` : String(err) };
  }
  parentPort?.postMessage(result);
});
