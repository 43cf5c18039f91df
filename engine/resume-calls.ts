import type { Config } from '../config/config';
import type { AriPort } from '../ari/ari-port';
import type { CallPlan, Transition } from '../call/call-machine';
import { type AskedAs, type RecordedCall, type RecordedLeg, idsToResume, resumeCall } from '../call/call-resume';
import { callIds } from '../call/call-ids';
import type { LegId, LegRole } from '../call/call-types';
import type { CallContext } from '../call/call-update';
import { callPlanOf } from './call-intake';
import type { RecordingColumns } from './call-engine-ports';
import { readAsterisk } from './read-asterisk';

/** A live call's row as the process that ran it left it: who calls whom, where, and how far it got. */
export interface RowToResume extends RecordingColumns {
  id: string;
  context: CallContext;
  agentEndpoint: string;
  targetEndpoint: string;
  stage: RecordedCall['stage'];
  requestedAt: Date;
  agentRingingAt: Date | null;
  agentAnsweredAt: Date | null;
  targetRingingAt: Date | null;
  connectedAt: Date | null;
  /**
   * Set for a customer's return call that was connected: the pool number they called. Its customer's
   * channel was named by Asterisk, not derived from the call id: it is found in the call's bridge.
   */
  returnCall?: { calledNumber: string };
}

/** A leg's row (the call_legs table) as resuming reads it. */
export interface LegRow {
  legId: string;
  role: LegRole | null;
  label: string | null;
  agentId: number | null;
  number: string | null;
  requestedAt: Date | null;
  answeredAt: Date | null;
  endedAt: Date | null;
}

/** What a process resuming calls reads of them beyond their rows: their legs, and how each added one was asked for. */
export interface PartyRows {
  legsOf(callIds: readonly string[]): Promise<Map<string, LegRow[]>>;
  askedAs(callIds: readonly string[]): Promise<Map<string, Map<LegId, AskedAs>>>;
}

export interface ResumeDeps {
  ari: AriPort;
  config: Pick<Config, 'agentRingTimeoutS' | 'targetRingTimeoutS' | 'agentConfirmDigit' | 'agentConfirmTimeoutS'>;
  /** Without it, every call is resumed as one of two parties. */
  partyRows?: PartyRows;
  now: () => number;
}

/** A call read back from Asterisk and its rows: what the engine adopts (CallEngine.adopt). */
export interface ResumedCall<R extends RowToResume = RowToResume> {
  row: R;
  context: CallContext;
  resumed: Transition;
}

/**
 * Reads what Asterisk shows of each call a previous process ran (its first two legs and, for a
 * call that gained parties, every leg its rows name) and rebuilds the call's state from its rows
 * and that view (call/call-resume.ts): the machine then decides whether it goes on or ends. Used
 * alike by a single instance's start-up and by a cluster's take-over of a server.
 */
export async function resumeCalls<R extends RowToResume>(deps: ResumeDeps, rows: readonly R[]): Promise<ResumedCall<R>[]> {
  // Every leg and bridge of a call that gained parties is read, so its legs' rows are read first.
  const ids = rows.map((row) => row.id);
  const [legs, asked] = deps.partyRows && ids.length > 0
    ? await Promise.all([deps.partyRows.legsOf(ids), deps.partyRows.askedAs(ids)])
    : [new Map<string, LegRow[]>(), new Map<string, Map<LegId, AskedAs>>()];
  return Promise.all(rows.map(async (row) => {
    const { context, plan: planOfRow } = callOfRow(deps.config, row);
    const plan = row.returnCall ? await returnCallPlanOf(deps.ari, planOfRow, row.returnCall) : planOfRow;
    const recorded = recordedOf(row, legs.get(row.id) ?? [], asked.get(row.id));
    const view = await readAsterisk(deps.ari, idsToResume(plan, recorded));
    return { row, context, resumed: resumeCall(plan, recorded, view, deps.now()) };
  }));
}

/** The call's context and plan as its row records them. */
export function callOfRow(
  config: ResumeDeps['config'],
  row: Pick<RowToResume, 'id' | 'context' | 'agentEndpoint' | 'targetEndpoint'>,
): { context: CallContext; plan: CallPlan } {
  return {
    context: row.context,
    plan: callPlanOf(config, {
      callId: row.id, route: row.context.route, agentEndpoint: row.agentEndpoint, targetEndpoint: row.targetEndpoint, callerId: row.context.callerId,
      agentId: row.context.agentId, agentLabel: row.context.agentPhone, customerLabel: row.context.target,
    }),
  };
}

/**
 * A connected return call's plan: its customer's channel is the member of the call's bridge that is
 * none of the call's own legs (`<callId>-…`). When the bridge or the customer is gone, the plan names
 * none, and Asterisk's view ends the call as one whose customer left.
 */
async function returnCallPlanOf(ari: AriPort, plan: CallPlan, returnCall: { calledNumber: string }): Promise<CallPlan> {
  const bridge = await ari.getBridge(callIds(plan.callId).bridgeId);
  const customerChannelId = bridge?.channelIds.find((id) => !id.startsWith(`${plan.callId}-`));
  if (customerChannelId === undefined) return plan;
  return {
    ...plan,
    // Who was rung and the missed-call message belong to the steps before it connected, which are over.
    returnCall: { customerChannelId, customerNumber: plan.customerLabel ?? '', calledNumber: returnCall.calledNumber, agents: [], missedMessage: '', missedMessageTimeoutS: 0 },
  };
}

function recordedOf(row: RowToResume, legs: readonly LegRow[], asked: ReadonlyMap<LegId, AskedAs> | undefined): RecordedCall {
  const recorded: RecordedCall = { stage: row.stage, requestedAt: row.requestedAt.getTime() };
  if (row.agentRingingAt) recorded.agentRingingAt = row.agentRingingAt.getTime();
  if (row.agentAnsweredAt) recorded.agentAnsweredAt = row.agentAnsweredAt.getTime();
  if (row.targetRingingAt) recorded.targetRingingAt = row.targetRingingAt.getTime();
  if (row.connectedAt) recorded.connectedAt = row.connectedAt.getTime();
  if (legs.length > 0) recorded.legs = legs.map((l) => recordedLegOf(l, asked?.get(l.legId)));
  if (row.recordingName) {
    recorded.recording = {
      name: row.recordingName,
      ...(row.recordingStartedAt ? { startedAt: row.recordingStartedAt.getTime() } : {}),
      pausedMs: row.recordingPausedMs ?? 0,
      ...(row.recordingPausedAt ? { pausedAt: row.recordingPausedAt.getTime() } : {}),
    };
  }
  return recorded;
}

function recordedLegOf(row: LegRow, askedAs: AskedAs | undefined): RecordedLeg {
  return {
    legId: row.legId,
    ...(row.role !== null ? { role: row.role } : {}),
    ...(row.label !== null ? { label: row.label } : {}),
    ...(row.agentId !== null ? { agentId: row.agentId } : {}),
    ...(row.number !== null ? { number: row.number } : {}),
    ...(row.requestedAt !== null ? { requestedAt: row.requestedAt.getTime() } : {}),
    ...(row.answeredAt !== null ? { answeredAt: row.answeredAt.getTime() } : {}),
    ...(row.endedAt !== null ? { endedAt: row.endedAt.getTime() } : {}),
    ...(askedAs !== undefined ? { askedAs } : {}),
  };
}
