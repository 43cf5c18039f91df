import type { Call } from '../../entities';
import type { Stores } from '../../store';

let next = 0;

/**
 * An ended call as the engine leaves it, written through the call store: by default placed at `at`,
 * answered 5 s later and ended after `talkS` seconds of talk (none: not answered).
 */
export async function endedCall(stores: Stores, agentId: number, at: Date, fields: Partial<Call> & { talkS?: number } = {}): Promise<Call> {
  const { talkS, ...rest } = fields;
  const connectedAt = talkS === undefined ? null : new Date(at.getTime() + 5000);
  const endedAt = new Date((connectedAt ?? at).getTime() + (talkS ?? 20) * 1000);
  next += 1;
  return stores.calls.recordCallRequest({
    id: `report-call-${String(next).padStart(6, '0')}`, agentId, targetInput: '+12025550123', target: '+12025550123', route: 'M',
    stage: 'ended', requestedAt: at, connectedAt, endedAt, outcome: talkS === undefined ? 'target_no_answer' : 'completed', ...rest,
  });
}
