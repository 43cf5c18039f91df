import { performance } from 'node:perf_hooks';

import type { Observable } from 'rxjs';

import type { CallOutcome, CallStage } from '../call/call-types';

/** What the tracker reads of a call's update (a CallUpdate is one). */
export interface TrackedUpdate {
  context: { callId: string; agentTelegramId: string };
  stage: CallStage;
  final: boolean;
  outcome?: CallOutcome;
}

export interface TrackedCall {
  placedAt: number;
  connectedAt?: number;
  endedAt?: number;
  outcome?: CallOutcome;
}

export type Milestone = 'connected' | 'ended';

interface Waiter {
  remaining: Set<string>;
  milestone: Milestone;
  done: () => void;
}

/**
 * Follows every call's updates: when it was placed, connected and ended, on this process's clock.
 * Waiting is indexed by call id, so the bookkeeping costs the app's process O(1) per update.
 */
export class Tracker {
  readonly calls = new Map<string, TrackedCall>();
  readonly outcomes = new Map<string, number>();
  private readonly placedAtByAgent = new Map<string, number>();
  private readonly waiters = new Map<string, Waiter[]>();

  constructor(updates: Observable<TrackedUpdate>) {
    updates.subscribe((u) => this.onUpdate(u));
  }

  willPlace(agentTelegramId: string): void {
    this.placedAtByAgent.set(agentTelegramId, performance.now());
  }

  resetOutcomes(): void {
    this.outcomes.clear();
  }

  /** `connected` counts a call that ended without connecting too: it will not connect any more. */
  reached(callId: string, milestone: Milestone): boolean {
    const call = this.calls.get(callId);
    if (call === undefined) return false;
    return call.endedAt !== undefined || (milestone === 'connected' && call.connectedAt !== undefined);
  }

  /** Resolves once every call in `ids` has reached `milestone`; rejects after `timeoutMs`. */
  waitFor(ids: readonly string[], milestone: Milestone, timeoutMs: number, what: string): Promise<void> {
    const remaining = new Set(ids.filter((id) => !this.reached(id, milestone)));
    if (remaining.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiter.done = () => undefined;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${waiter.remaining.size} of ${ids.length} left)`));
      }, timeoutMs);
      const waiter: Waiter = {
        remaining,
        milestone,
        done: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      for (const id of remaining) {
        const list = this.waiters.get(id);
        if (list === undefined) this.waiters.set(id, [waiter]);
        else list.push(waiter);
      }
    });
  }

  private onUpdate(u: TrackedUpdate): void {
    const callId = u.context.callId;
    let call = this.calls.get(callId);
    if (call === undefined) {
      call = { placedAt: this.placedAtByAgent.get(u.context.agentTelegramId) ?? performance.now() };
      this.calls.set(callId, call);
    }
    if (u.stage === 'connected' && call.connectedAt === undefined) call.connectedAt = performance.now();
    if (u.final && call.endedAt === undefined) {
      call.endedAt = performance.now();
      call.outcome = u.outcome;
      const key = u.outcome ?? 'unknown';
      this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
    }
    const list = this.waiters.get(callId);
    if (list === undefined) return;
    const waiting = list.filter((w) => {
      if (!this.reached(callId, w.milestone)) return true;
      w.remaining.delete(callId);
      if (w.remaining.size === 0) w.done();
      return false;
    });
    if (waiting.length === 0) this.waiters.delete(callId);
    else this.waiters.set(callId, waiting);
  }
}
