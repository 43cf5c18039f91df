/**
 * At most `size` tasks at once, the others queued in order: twenty calls ending together must not
 * start twenty ffmpeg processes on two cores (each would take ten times as long).
 */
export class TaskLimit {
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(private readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`a task limit needs a whole number of at least 1, not ${size}`);
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.size) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.active += 1;
    try {
      return await task();
    } finally {
      this.active -= 1;
      this.queue.shift()?.();
    }
  }
}
