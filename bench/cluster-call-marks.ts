/** What the simulators of a cluster saw of each call, on this process's performance.now() clock. */
import { performance } from 'node:perf_hooks';

import { dialledNumber, type RecordedRequest, type SentEvent } from '../spec/support/ari-simulator';
import type { ClusterHarness, SeedAgent } from '../spec/support/cluster-harness';
import { sleep } from './sleep';
import { type Summary, summarize } from './stats';

/** One call, from /call to its agent leg's end, on this process's performance.now() clock. */
export interface CallMarks {
  agent: SeedAgent;
  placedAt: number;
  callId?: string;
  /** The simulator (server) it was placed on. */
  sim?: number;
  originateAt?: number;
  agentUpAt?: number;
  targetDialAt?: number;
  agentGoneAt?: number;
  undelivered?: boolean;
}

/**
 * Follows the requests and events of every simulator of a harness: a call is known by its agent's
 * number until the agent's originate names its call id, by the call id after.
 */
export class CallMarksBook {
  private readonly awaitingOriginate = new Map<string, CallMarks>();
  private readonly byCall = new Map<string, CallMarks>();
  readonly all: CallMarks[] = [];
  /** Told when an agent leg is destroyed (the rate phase frees its agent then). */
  onAgentGone: (m: CallMarks) => void = () => {};

  constructor(h: ClusterHarness, simulators: number) {
    for (let j = 0; j < simulators; j += 1) {
      const sim = h.sim(j);
      sim.onRequest((r) => this.request(j, r));
      sim.onEvent((e) => this.event(e));
    }
  }

  place(agent: SeedAgent): CallMarks {
    const m: CallMarks = { agent, placedAt: performance.now() };
    this.awaitingOriginate.set(agent.phone, m);
    this.all.push(m);
    return m;
  }

  private request(j: number, r: RecordedRequest): void {
    if (r.method !== 'POST') return;
    if (r.path === '/ari/channels') {
      const channelId = r.query.channelId ?? '';
      const m = this.awaitingOriginate.get(dialledNumber(r.query.endpoint ?? ''));
      if (!channelId.endsWith('-agent') || !m) return;
      this.awaitingOriginate.delete(m.agent.phone);
      m.callId = channelId.slice(0, -'-agent'.length);
      m.sim = j;
      m.originateAt = r.t;
      this.byCall.set(m.callId, m);
      return;
    }
    const dial = /^\/ari\/channels\/(.+)-target\/dial$/.exec(r.path);
    const m = dial ? this.byCall.get(decodeURIComponent(dial[1]!)) : undefined;
    if (m && m.targetDialAt === undefined) m.targetDialAt = r.t;
  }

  private event({ t, event }: SentEvent): void {
    // The agent's answer is the first of its Up and its Dial ANSWER, as bench:engine takes it.
    const answered = (event.type === 'ChannelStateChange' && event.channel.state === 'Up' && event.channel.id)
      || (event.type === 'Dial' && event.dialstatus === 'ANSWER' && event.peer.id);
    if (answered && answered.endsWith('-agent')) {
      const m = this.byCall.get(answered.slice(0, -'-agent'.length));
      if (m && m.agentUpAt === undefined) m.agentUpAt = t;
    }
    if (event.type === 'ChannelDestroyed' && event.channel.id.endsWith('-agent')) {
      const m = this.byCall.get(event.channel.id.slice(0, -'-agent'.length));
      if (m && m.agentGoneAt === undefined) {
        m.agentGoneAt = t;
        this.onAgentGone(m);
      }
    }
  }
}

export const between = (marks: readonly CallMarks[], from: (m: CallMarks) => number | undefined, to: (m: CallMarks) => number | undefined): Summary => summarize(
  marks.flatMap((m) => {
    const a = from(m);
    const b = to(m);
    return a !== undefined && b !== undefined ? [b - a] : [];
  }),
);

export async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | false | Promise<T | undefined | false>, everyMs = 20): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}
