import { performance } from 'node:perf_hooks';
import { AgentHasLiveCall, type CallRecords, type CallRequestRecord } from '../engine/call-engine-ports';
import type { CallRowPatch } from '../engine/call-row-writer';

/** The two writes of a call's row: its first (before anything is dialed) and each later change. */
export type CallWrite = 'call_request' | 'call_transition';

export type WriteTimer = (write: CallWrite, seconds: number, ok: boolean) => void;

/**
 * The engine's call records with each write timed. The row writer and the engine's front door
 * write through this, so every Call row write is measured where it is made, and nothing else
 * waits for the measurement.
 */
export function timedCallRecords(calls: CallRecords, timed: WriteTimer): CallRecords {
  const time = <T>(write: CallWrite, run: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    const done = run();
    // The agent's live call refusing the row is the database working as it should, not a failed write.
    done.then(
      () => timed(write, (performance.now() - started) / 1000, true),
      (err: unknown) => timed(write, (performance.now() - started) / 1000, err instanceof AgentHasLiveCall),
    );
    return done;
  };
  return {
    recordCallRequest: (call: CallRequestRecord) => time('call_request', () => calls.recordCallRequest(call)),
    recordCallTransition: (callId: string, patch: CallRowPatch) => time('call_transition', () => calls.recordCallTransition(callId, patch)),
    liveCalls: () => calls.liveCalls(),
    latestPlacedCallOfAgent: (agentId) => calls.latestPlacedCallOfAgent(agentId),
    placingAlone: (step) => calls.placingAlone(step),
  };
}
