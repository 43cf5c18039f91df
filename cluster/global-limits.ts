import type { Config } from '../config/config';
import type { CallRecords } from '../engine/call-engine-ports';
import type { CallStore } from '../store/call-store';

type GlobalLimitSettings = Pick<Config, 'maxConcurrentCalls' | 'routeLimits' | 'callCaps'>;

/**
 * The call records the cluster's intake writes through: a live request is recorded only if the
 * concurrent-call, route and per-number limits still hold with it, counted by the database under one
 * lock for every instance. The rules' own checks before it stay, as the quick answer.
 */
export function withinGlobalLimits(config: GlobalLimitSettings, calls: CallStore): CallRecords {
  return {
    recordCallRequest: (row) => {
      if (row.stage === 'ended' || !row.route || !row.target) return calls.recordCallRequest(row);
      return calls.recordCallRequestWithinLimits({ ...row, route: row.route, target: row.target }, {
        maxConcurrent: config.maxConcurrentCalls,
        routeMax: config.routeLimits[row.route].maxCalls,
        numberPerDay: config.callCaps.numberPerDay,
        numberPer7Days: config.callCaps.numberPer7Days,
      });
    },
    recordCallTransition: (id, patch) => calls.recordCallTransition(id, patch),
    liveCalls: () => calls.liveCalls(),
    latestPlacedCallOfAgent: (agentId) => calls.latestPlacedCallOfAgent(agentId),
    // Not under the recording's lock: the recording takes it itself, on its own connection.
    placingAlone: (step) => step(),
  };
}
