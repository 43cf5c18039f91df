import { BackgroundJobs } from '../../ops/background-jobs';
import { silentLogger } from '../../config/logger';
import { importDncLines } from '../../compliance/dnc-import';
import { dncLineReader } from '../../compliance/dnc-line';
import type { DncStore } from '../../store/dnc-store';

describe('background jobs', () => {
  it('given jobs running, when stopped, then each is told to stop and stop waits for them to finish', async () => {
    const jobs = new BackgroundJobs(silentLogger());
    const finished: string[] = [];
    for (const name of ['a', 'b']) {
      jobs.start(name, (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => {
        finished.push(name);
        resolve();
      })));
    }
    expect(jobs.size).toBe(2);
    await jobs.stop();
    expect(finished.sort()).toEqual(['a', 'b']);
    expect(jobs.size).toBe(0);
  });

  it('given a job that fails, then the failure is logged with the job\'s name and the others go on', async () => {
    const logger = silentLogger();
    const logged = jest.spyOn(logger, 'error');
    const jobs = new BackgroundJobs(logger);
    let done = false;
    jobs.start('broken', async () => { throw new Error('disk full'); });
    jobs.start('fine', async () => { done = true; });
    await jobs.stop();
    expect(done).toBe(true);
    expect(logged).toHaveBeenCalledWith('background job failed', expect.objectContaining({ job: 'broken' }));
  });

  it('given a stopped set of jobs, then a new job is refused', async () => {
    const jobs = new BackgroundJobs(silentLogger());
    await jobs.stop();
    expect(() => jobs.start('late', async () => undefined)).toThrow(/not started: the bot is stopping/);
  });
});

describe('a do-not-call import told to stop', () => {
  it('given a signal aborted after the first batch, then the import rejects with its reason and the stored batch stays', async () => {
    const stored: number[][] = [];
    const store = { addMany: async (keys: number[]) => { stored.push(keys); return keys.length; } } as unknown as DncStore;
    const stop = new AbortController();
    async function* lines(): AsyncIterable<string> {
      for (let i = 0; i < 10; i++) {
        if (i === 5) stop.abort(new Error('the bot is stopping'));
        yield `202555${1000 + i}`;
      }
    }
    await expect(importDncLines(lines(), store, 1, { reader: dncLineReader('US'), batchSize: 2, signal: stop.signal }))
      .rejects.toThrow('the bot is stopping');
    expect(stored.flat()).toHaveLength(4);
  });
});
