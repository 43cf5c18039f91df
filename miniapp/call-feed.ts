/**
 * Where the Mini App's event stream learns that calls changed. A single instance runs every call,
 * so the engine's updates say it all; in cluster mode a call may run on another instance, so the
 * database's announcements (CallDesk.changes) say which call changed and its rows are read.
 */
import { Observable, filter, map } from 'rxjs';
import type { CallUpdate } from '../call/call-update';
import type { Logger } from '../config/logger';
import type { CallChange, LiveCallSummary } from '../engine/call-desk';
import type { Call } from '../entities';
import { type StoredLeg, cardOfCall, cardOfLive, cardOfUpdate } from './call-cards';
import type { CallCard } from './miniapp-types';

export interface CallFeed {
  /** The cards of the agent's calls (the ones they placed, and one they are on now), as they change. */
  cardsOf(agentId: number): Observable<CallCard>;
  /** A tick for every change of any call (the wallboard is read again). */
  readonly ticks: Observable<unknown>;
  /** The card of the agent's live call as the desk found it (the page's load, the stream's start), read as this feed reads cards. */
  liveCardOf(live: LiveCallSummary, agentId: number): Promise<CallCard>;
}

/** This process's calls, from the engine's updates. */
export function updatesFeed(updates: Observable<CallUpdate>): CallFeed {
  return {
    cardsOf: (agentId) => updates.pipe(
      filter((update) => update.context.agentId === agentId || update.ownerAgentId === agentId),
      map((update) => cardOfUpdate(update, agentId)),
    ),
    ticks: updates,
    liveCardOf: (live, agentId) => Promise.resolve(cardOfLive(live, agentId)),
  };
}

/** What the stored feed reads of a changed call: its row, and its legs' rows (who is on it). */
export interface StoredCalls {
  byId(id: string): Promise<Call | null>;
  legsOf(callIds: readonly string[]): Promise<ReadonlyMap<string, readonly StoredLeg[]>>;
}

/**
 * Every instance's calls, from the database's announcements (a change of the call's row or of one
 * of its legs), each card read from the call's row and its legs', so it offers the viewer the
 * buttons an engine update would (a consultation's too).
 */
export function storedCallFeed(changes: Observable<CallChange>, calls: StoredCalls, logger: Logger): CallFeed {
  const read = async (callId: string, agentId: number): Promise<CallCard | undefined> => {
    const [call, legs] = await Promise.all([calls.byId(callId), calls.legsOf([callId])]);
    return call ? cardOfCall(call, { viewerAgentId: agentId, legs: legs.get(callId) ?? [] }) : undefined;
  };
  return {
    cardsOf: (agentId) => latestReads(changes.pipe(filter((change) => change.agentIds.includes(agentId))), (callId) => read(callId, agentId), logger),
    ticks: changes,
    // A call the desk found without its parties (another instance runs it) is read from its rows, as its changes are.
    liveCardOf: async (live, agentId) => (live.parties ? undefined : await read(live.context.callId, agentId)) ?? cardOfLive(live, agentId),
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
