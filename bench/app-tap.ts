/**
 * BENCH_SPLIT=1: marks taken inside the app's process, to split each reaction measured at the
 * simulator (event sent → the request it caused parsed there) into three parts: on the way in
 * (simulator wrote the event → the engine was handed it), in the app (→ the request's first bytes
 * written to its socket) and on the way back (→ the simulator parsed the request: the kernel plus
 * the simulator's own event loop). The parts cross processes, so they compare
 * performance.timeOrigin + now() of two processes on one machine (good to a few microseconds); the
 * headline figures never do. Off by default: the taps cost the app a little on every event and write.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';

import type { AriPort } from '../ari/ari-port';
import { type Summary, summarize } from './stats';

const epochNow = (): number => performance.timeOrigin + performance.now();

/** What the engine was handed, by `answer:<channel>`, `StasisStart:<channel>`, `ChannelDestroyed:<channel>`. */
export type HandedKey = `${'answer' | 'StasisStart' | 'ChannelDestroyed'}:${string}`;
/** What the app wrote, by `dial:<channel>`, `addChannel:<channel>`, `stopPlayback:<playback>`, `hangup:<channel>`. */
export type WrittenKey = `${'dial' | 'addChannel' | 'stopPlayback' | 'hangup'}:${string}`;

/** One reaction of one call: the simulator's two marks and the app's keys between them. */
export interface ReactionPath {
  sentAt: number;
  handed: HandedKey;
  written: WrittenKey;
  parsedAt: number;
}

export interface ReactionSplit {
  inbound: Summary;
  inApp: Summary;
  outbound: Summary;
}

export class AppTap {
  private readonly handed = new Map<string, number>();
  private readonly written = new Map<string, number>();

  constructor(ari: AriPort) {
    ari.events.subscribe((e) => {
      const answer = (e.type === 'ChannelStateChange' && e.channelState === 'Up') || (e.type === 'Dial' && e.dialstatus === 'ANSWER');
      if (answer) first(this.handed, `answer:${e.channelId}`);
      if (e.type === 'StasisStart' || e.type === 'ChannelDestroyed') first(this.handed, `${e.type}:${e.channelId}`);
    });
    const write = net.Socket.prototype.write;
    const written = this.written;
    net.Socket.prototype.write = function tappedWrite(this: net.Socket, chunk: unknown, ...rest: unknown[]): boolean {
      const head = typeof chunk === 'string' ? chunk.slice(0, 300) : Buffer.isBuffer(chunk) ? chunk.toString('latin1', 0, 300) : '';
      const key = head.startsWith('POST /ari/') || head.startsWith('DELETE /ari/') ? writtenKey(head) : undefined;
      if (key !== undefined) first(written, key);
      return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof write;
  }

  /** Splits the given reactions by the app's marks; paths the app has no marks for are left out. Clears the marks. */
  split(paths: readonly ReactionPath[]): ReactionSplit {
    const inbound: number[] = [];
    const inApp: number[] = [];
    const outbound: number[] = [];
    for (const p of paths) {
      const handed = this.handed.get(p.handed);
      const written = this.written.get(p.written);
      if (handed === undefined || written === undefined) continue;
      inbound.push(handed - p.sentAt);
      inApp.push(written - handed);
      outbound.push(p.parsedAt - written);
    }
    return { inbound: summarize(inbound), inApp: summarize(inApp), outbound: summarize(outbound) };
  }

  clear(): void {
    this.handed.clear();
    this.written.clear();
  }
}

function first(map: Map<string, number>, key: string): void {
  if (!map.has(key)) map.set(key, epochNow());
}

/** The request line of an ARI request the benchmark follows, as a key; undefined for the others. */
function writtenKey(head: string): WrittenKey | undefined {
  const line = head.slice(0, head.indexOf(' HTTP/'));
  const [method, target = ''] = line.split(' ');
  const url = new URL(target, 'http://app');
  const parts = url.pathname.split('/').map((s) => decodeURIComponent(s)); // ['', 'ari', resource, id?, action?]
  const [, , resource, id, action] = parts;
  if (method === 'POST' && resource === 'channels' && id !== undefined && action === 'dial') return `dial:${id}`;
  if (method === 'POST' && resource === 'bridges' && action === 'addChannel') {
    const channel = url.searchParams.get('channel');
    return channel ? `addChannel:${channel}` : undefined;
  }
  if (method === 'DELETE' && resource === 'playbacks' && id !== undefined) return `stopPlayback:${id}`;
  if (method === 'DELETE' && resource === 'channels' && id !== undefined && action === undefined) return `hangup:${id}`;
  return undefined;
}
