/**
 * Every timer the simulator starts goes through one TimerSet, so stop()/reset() can cancel all of
 * them and jest exits without open handles.
 */
export class TimerSet {
  private readonly live = new Set<NodeJS.Timeout>();

  after(ms: number, fn: () => void): NodeJS.Timeout {
    const handle = setTimeout(() => {
      this.live.delete(handle);
      fn();
    }, Math.max(0, ms));
    this.live.add(handle);
    return handle;
  }

  cancel(handle: NodeJS.Timeout | undefined): void {
    if (handle === undefined) return;
    clearTimeout(handle);
    this.live.delete(handle);
  }

  clear(): void {
    for (const handle of this.live) clearTimeout(handle);
    this.live.clear();
  }

  get size(): number {
    return this.live.size;
  }
}
