/**
 * The request-first rule: a request an ARI event asks for leaves the process before any other work
 * that event causes (the next event's handling, observers, database writes). Node writes an HTTP
 * request in a process.nextTick callback, so such work is deferred past the ticks queued so far.
 * Why, and what it bought: docs/request-first.md.
 */

/** Runs `work` once the requests asked for so far have been written. */
export function afterRequestsWritten(work: () => void): void {
  process.nextTick(work);
}

/** Resolves once the requests asked for so far have been written. */
export function requestsWritten(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve));
}

/** Counts requests as they start, so an event's reader can see that handling it asked for one. */
export class RequestCounter {
  started = 0;

  count(): void {
    this.started += 1;
  }
}
