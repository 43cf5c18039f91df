import { type Observable, filter, map } from 'rxjs';
import type { Logger } from '../config/logger';
import type { CallChange } from '../engine/call-desk';

/**
 * The calls' changes as the database announces them (the calls_changed trigger, migration
 * 1768100000000, and call_legs_changed, migration 1768350000000): each notification's payload
 * names the call and its agents. A payload that does not
 * read as one is logged and skipped; the Mini App's periodic wallboard read covers what it missed.
 */
export function callChangesOf(payloads: Observable<string>, logger: Logger): Observable<CallChange> {
  return payloads.pipe(
    map((payload) => {
      const change = parsed(payload);
      if (!change) logger.warn('a call change notification was not understood; skipped', { payload: payload.slice(0, 200) });
      return change;
    }),
    filter((change): change is CallChange => change !== undefined),
  );
}

function parsed(payload: string): CallChange | undefined {
  try {
    const value = JSON.parse(payload) as { callId?: unknown; agentIds?: unknown };
    if (typeof value.callId !== 'string' || !Array.isArray(value.agentIds)) return undefined;
    return { callId: value.callId, agentIds: value.agentIds.filter((id): id is number => typeof id === 'number') };
  } catch {
    return undefined;
  }
}
