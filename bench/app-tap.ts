/**
 * BENCH_SPLIT=1: marks taken inside the app's process, to split the teardown reaction measured at
 * the simulator (ChannelDestroyed sent → DELETE of the other leg received) into three parts:
 * on the way in (simulator wrote the event → the engine was handed it), in the app (→ the DELETE's
 * first bytes written to its socket) and on the way back (→ the simulator parsed the request).
 * The parts cross processes, so they compare performance.timeOrigin + now() of two processes on one
 * machine (good to a few microseconds); the headline figures never do. Off by default: the taps
 * cost the app a little CPU on every event and every socket write.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

import type { AriPort } from '../stasis/ari-port';
import type { MarkPairs } from './sim-protocol';
import { type Summary, intervals, summarize } from './stats';

const epochNow = (): number => performance.timeOrigin + performance.now();
const DELETE_CHANNEL = 'DELETE /ari/channels/';

export class AppTap {
  private readonly handedOver = new Map<string, number>();
  private readonly written = new Map<string, number>();

  constructor(ari: AriPort) {
    ari.events.subscribe((e) => {
      if (e.type === 'ChannelDestroyed') this.handedOver.set(e.channelId, epochNow());
    });
    const write = net.Socket.prototype.write;
    const written = this.written;
    net.Socket.prototype.write = function tappedWrite(this: net.Socket, chunk: unknown, ...rest: unknown[]): boolean {
      const head = typeof chunk === 'string' ? chunk.slice(0, 200) : Buffer.isBuffer(chunk) ? chunk.toString('latin1', 0, 200) : '';
      if (head.startsWith(DELETE_CHANNEL)) {
        const target = head.slice(DELETE_CHANNEL.length);
        written.set(decodeURIComponent(target.slice(0, target.search(/[ ?]/))), epochNow());
      }
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof write;
  }

  /** Splits `from` (the simulator's ChannelDestroyed marks) → `to` (its DELETE marks) by the app's marks. */
  split(from: MarkPairs, to: MarkPairs, other: (channelId: string) => string): { inbound: Summary; inApp: Summary; outbound: Summary } {
    const handed: MarkPairs = [...this.handedOver.entries()];
    const writtenFor: MarkPairs = [...this.written.entries()];
    const inbound = intervals(from, handed);
    const first = new Set(from.map(([id]) => id));
    const inApp = intervals(handed.filter(([id]) => first.has(id)), writtenFor, other);
    const outbound = intervals(writtenFor, to);
    this.handedOver.clear();
    this.written.clear();
    return { inbound: summarize(inbound.values), inApp: summarize(inApp.values), outbound: summarize(outbound.values) };
  }
}
