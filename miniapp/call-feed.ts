/**
 * Where the Mini App's event stream learns that calls changed. A single instance runs every call,
 * so the engine's updates say it all; in cluster mode a call may run on another instance, so the
 * database's announcements (CallDesk.changes) say which call changed and its row is read.
 */
import { Observable, filter, map } from 'rxjs';
import type { CallUpdate } from '../call/call-update';
import type { Logger } from '../config/logger';
import type { CallChange } from '../engine/call-desk';
import type { Call } from '../entities';
import { cardOfCall, cardOfUpdate } from './call-cards';
import type { CallCard } from './miniapp-types';

export interface CallFeed {
  /** The cards of the agent's calls (the ones they placed, and one they are on now), as they change. */
  cardsOf(agentId: number): Observable<CallCard>;
  /** A tick for every change of any call (the wallboard is read again). */
  readonly ticks: Observable<unknown>;
}

/** This process's calls, from the engine's updates. */
export function updatesFeed(updates: Observable<CallUpdate>): CallFeed {
  return {
    cardsOf: (agentId) => updates.pipe(
      filter((update) => update.context.agentId === agentId || update.ownerAgentId === agentId),
      map((update) => cardOfUpdate(update, agentId)),
    ),
    ticks: updates,
  };
}

/** Every instance's calls, from the database's announcements, each card read from the call's row. */
export function storedCallFeed(changes: Observable<CallChange>, calls: { byId(id: string): Promise<Call | null> }, logger: Logger): CallFeed {
  return {
    cardsOf: (agentId) => latestReads(
      changes.pipe(filter((change) => change.agentIds.includes(agentId))),
      async (callId) => {
        const call = await calls.byId(callId);
        return call ? cardOfCall(call) : undefined;
      },
      logger,
    ),
    ticks: changes,
  };
}

/**
 * Reads each changed call's row, one read at a time per call: a change announced while its call is
 * being read asks for one more read, not one each, and a call's cards come out in the order read,
 * so an earlier read cannot overtake a later one.
 */
function latestReads(changes: Observable<CallChange>, read: (callId: string) => Promise<CallCard | undefined>, logger: Logger): Observable<CallCard> {
  return new Observable<CallCard>((subscriber) => {
    const reading = new Map<string, { again: boolean }>();
    let closed = false;
    const readCall = (callId: string): void => {
      const turn = { again: false };
      reading.set(callId, turn);
      read(callId).then(
        (card) => { if (card && !closed) subscriber.next(card); },
        (err: unknown) => logger.warn('reading a changed call for the mini app failed; its next change reads it again', { callId, err }),
      ).finally(() => {
        if (closed) return;
        if (turn.again) readCall(callId);
        else reading.delete(callId);
      });
    };
    const subscription = changes.subscribe((change) => {
      const turn = reading.get(change.callId);
      if (turn) turn.again = true;
      else readCall(change.callId);
    });
    return () => { closed = true; subscription.unsubscribe(); };
  });
}
