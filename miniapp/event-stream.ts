/**
 * The page's server-sent event stream: the viewer's own call as it changes, and, for supervisors
 * and admins, the wallboard read again after changes (one read at a time). What changed comes from
 * the feed (call-feed.ts): this process's calls, or in cluster mode every instance's.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from '../config/logger';
import type { CallDesk } from '../engine/call-desk';
import type { CallFeed } from './call-feed';
import type { StreamEvent, Wallboard } from './miniapp-types';

/** A wallboard is read at most this often, however many updates the call stream carries. */
const WALLBOARD_MIN_INTERVAL_MS = 250;
/** A comment this often keeps proxies from closing an idle event stream. */
const STREAM_KEEPALIVE_MS = 15_000;

export interface StreamSources {
  desk: Pick<CallDesk, 'liveCallOfAgent'>;
  feed: CallFeed;
  /** The agent whose calls the stream follows, if the viewer is one. */
  agentId?: number;
  /** Reads the wallboard, if the viewer watches it. */
  wallboard?: () => Promise<Wallboard>;
  /** How often the wallboard is read again beside the calls' changes (agents' states change without one). */
  wallboardRefreshMs: number;
  logger: Logger;
}

/** Writes the stream on `res` until the client leaves (or the server ends it). */
export function streamEvents(res: ServerResponse, s: StreamSources): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  // Node holds the head back until the first write: a viewer with no call would wait for the first keepalive to see the stream open.
  res.flushHeaders();
  const send = (event: StreamEvent) => { if (!res.writableEnded) res.write(`data: ${JSON.stringify(event)}\n\n`); };
  const cleanups: Array<() => void> = [];
  const { agentId, wallboard } = s;
  if (agentId !== undefined) {
    void s.desk.liveCallOfAgent(agentId).then(async (live) => live && send({ type: 'call', call: await s.feed.liveCardOf(live, agentId) }))
      .catch((err: unknown) => s.logger.warn('reading the agent\'s live call for the mini app stream failed; its next change sends it', { agentId, err }));
    const sub = s.feed.cardsOf(agentId).subscribe((call) => send({ type: 'call', call }));
    cleanups.push(() => sub.unsubscribe());
  }
  if (wallboard) {
    // A busy call stream asks for one more read, not one each.
    let reading = false;
    let again = false;
    let closed = false;
    const refresh = (): void => {
      if (closed) return;
      if (reading) { again = true; return; }
      reading = true;
      wallboard().then(
        (board) => send({ type: 'wallboard', wallboard: board }),
        (err: unknown) => s.logger.warn('reading the mini app wallboard failed; the next update reads it again', { err }),
      ).finally(() => setTimeout(() => {
        reading = false;
        if (again) { again = false; refresh(); }
      }, WALLBOARD_MIN_INTERVAL_MS).unref());
    };
    refresh();
    const sub = s.feed.ticks.subscribe(() => refresh());
    const timer = setInterval(refresh, s.wallboardRefreshMs);
    timer.unref();
    cleanups.push(() => { closed = true; sub.unsubscribe(); clearInterval(timer); });
  }
  const keepalive = setInterval(() => { if (!res.writableEnded) res.write(': keepalive\n\n'); }, STREAM_KEEPALIVE_MS);
  keepalive.unref();
  cleanups.push(() => clearInterval(keepalive));
  res.on('close', () => { for (const cleanup of cleanups) cleanup(); });
}
