import type { Observable } from 'rxjs';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import type { AriPort } from '../ari/ari-port';
import { type CallPlan, initialCallState, transition } from '../call/call-machine';
import type { CallState } from '../call/call-state';
import { resumedRecording } from '../call/recording';
import type { CallContext, CallUpdate } from '../call/call-update';
import type { CallEngine, LiveCallView } from '../engine/call-engine';
import { type PartyRows, type RowToResume, callOfRow, resumeCalls } from '../engine/resume-calls';
import type { ConsentAnnouncements, RecordingPolicies } from '../engine/call-engine-ports';
import { recordingPlanOf } from '../engine/call-intake';
import type { ServerCallRow } from './cluster-call-store';

export type { PartyRows } from '../engine/resume-calls';

/** A claimed request older than this is ended instead of started: an agent should not be rung for a request long past. */
export const STALE_REQUEST_MS = 15_000;

export interface ServerCallsDeps {
  serverId: string;
  /** The engine that runs the server's calls while this instance owns it, and the server's ARI. */
  engine: CallEngine;
  ari: AriPort;
  config: Pick<Config, 'agentRingTimeoutS' | 'targetRingTimeoutS' | 'agentConfirmDigit' | 'agentConfirmTimeoutS'>;
  logger: Logger;
  /** The legs' rows and steps of the calls taken over; without it, a call is resumed as one of two parties. */
  partyRows?: PartyRows;
  /** Told of every call this owner starts, takes over or ends unrun, with its stream (to show its status). */
  onRun(row: ServerCallRow, updates: Observable<CallUpdate>): void;
  /**
   * Each route's recording policy and consent announcement, read as a request is started: the plan the
   * intake made on another instance does not travel with the row.
   */
  recordingPolicies?: RecordingPolicies;
  consentAnnouncements?: ConsentAnnouncements;
  now?: () => number;
}

/**
 * The calls of one Asterisk server that its owner runs for the cluster, through the engine's
 * general API (run, adopt, cancel): requests another instance recorded, calls a previous owner
 * started (taken over from Asterisk's view, call/call-resume.ts), cancels recorded on rows, and
 * calls ended unrun because the server cannot be reached.
 */
export class ServerCalls {
  private exclusive: Promise<void> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly deps: ServerCallsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /**
   * Runs `step` when no other such step runs: taking the server's calls over, and claiming and
   * starting its requests, each see the other's work done, never half done.
   */
  exclusively<T>(step: () => Promise<T>): Promise<T> {
    const run = this.exclusive.then(step);
    this.exclusive = run.then(() => undefined, () => undefined);
    return run;
  }

  /**
   * Starts a request recorded for this server by another instance. One that waited past
   * STALE_REQUEST_MS is ended as failed without dialing: its agent has moved on.
   */
  async runRequested(row: ServerCallRow): Promise<void> {
    const { context, plan } = this.callOf(row);
    const waitedMs = this.now() - row.requestedAt.getTime();
    if (waitedMs > STALE_REQUEST_MS) {
      this.failRecorded(row, `the request waited ${Math.round(waitedMs / 1000)} s for its server's owner`);
      return;
    }
    const recording = await recordingPlanOf(this.deps, context.route);
    this.ran(row, this.deps.engine.run(context, recording.policy === 'off' ? plan : { ...plan, recording }));
  }

  /**
   * Ends a call recorded for this server that the engine does not run, without waiting for Asterisk:
   * a request (its server is down, or it waited too long), or a call another owner started that
   * could not be taken over because the server is unreachable. Its agent is told through `onRun`
   * like any other call's. A recording the row names is stopped (should Asterisk hear) and named
   * by the final update, so it is fetched once the server answers. False when the engine runs the
   * call (it ends it itself).
   */
  failRecorded(row: ServerCallRow, why: string): boolean {
    const { context, plan } = this.callOf(row);
    const request = row.stage === 'requested' ? 'start' : 'telephony';
    const ended = transition(withRecordingOf(row, initialCallState(plan, row.requestedAt.getTime())), { type: 'RequestFailed', request, error: why, at: this.now() });
    const view = this.deps.engine.adopt(context, ended);
    this.ran(row, view);
    return view !== undefined;
  }

  /** Cancels a call on another instance's behalf (the cancel was recorded on its row). */
  cancelRequested(row: ServerCallRow): void {
    if (row.cancelRequestedBy) this.deps.engine.cancelCall(row.id, row.cancelRequestedBy);
  }

  /** The server's calls another owner started: re-read from Asterisk and carried on (engine/resume-calls.ts). */
  async takeOver(rows: readonly ServerCallRow[]): Promise<void> {
    const { engine, ari, logger, serverId, config } = this.deps;
    const fresh = rows.filter((row): row is ServerCallRow & { stage: RowToResume['stage'] } => row.stage !== 'ended' && !engine.liveCall(row.id));
    const returnCalls = engine.returnCallResume;
    const resumed = await resumeCalls({
      ari, config, now: this.now, ...(this.deps.partyRows ? { partyRows: this.deps.partyRows } : {}), ...(returnCalls ? { returnCalls } : {}),
    }, fresh);
    for (const { row, context, resumed: transition } of resumed) {
      const adopted = engine.adopt(context, transition);
      if (!adopted) continue;
      logger.info('took over a call', { callId: row.id, stage: row.stage, now: transition.state.stage, server: serverId });
      this.ran(row, adopted);
    }
  }

  private ran(row: ServerCallRow, view: LiveCallView | undefined): void {
    if (view) this.deps.onRun(row, view.updates);
  }

  private callOf(row: ServerCallRow): { context: CallContext; plan: CallPlan } {
    return callOfRow(this.deps.config, row);
  }
}

/**
 * The recording the row says the call ran: Asterisk went on recording while unreachable, so the
 * call's end names it (stopped), and the recording pipeline fetches it once the server answers.
 */
function withRecordingOf(row: ServerCallRow, state: CallState): CallState {
  if (!row.recordingName) return state;
  return {
    ...state,
    recording: resumedRecording({
      name: row.recordingName, pausedMs: row.recordingPausedMs ?? 0,
      ...(row.recordingStartedAt ? { startedAt: row.recordingStartedAt.getTime() } : {}),
      ...(row.recordingPausedAt ? { pausedAt: row.recordingPausedAt.getTime() } : {}),
    }),
  };
}
