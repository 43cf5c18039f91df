import type { Config } from '../config/config';
import type { AriPort } from '../ari/ari-port';
import type { CallPlan, Transition } from '../call/call-machine';
import { type AskedAs, type RecordedCall, type RecordedLeg, idsToResume, resumeCall } from '../call/call-resume';
import type { LegId, LegRole } from '../call/call-types';
import type { CallContext } from '../call/call-update';
import { callPlanOf } from './call-intake';
import type { RecordingColumns } from './call-engine-ports';
import { readAsterisk } from './read-asterisk';
import { DEFAULT_RETURN_CALL_SETTINGS } from './return-call-intake';
import type { ReturnCallResume } from './return-call-resume';
import type { ReturnCallAgent } from '../call/call-machine';

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
  /** A return call's customer channel (Asterisk named it); absent or null for a call callbot placed. */
  customerChannelId?: string | null;
  /** The agent on the call now: for a return call still ringing, the one its phone rings for; absent or null reads as the row's agent. */
  onCallAgentId?: number | null;
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
  config: Pick<Config, 'agentRingTimeoutS' | 'targetRingTimeoutS' | 'agentConfirmDigit' | 'agentConfirmTimeoutS'> & Partial<Pick<Config, 'returnCalls'>>;
  /** Without it, every call is resumed as one of two parties. */
  partyRows?: PartyRows;
  /** Who a return call still ringing goes on to (engine/return-call-resume.ts); without it, nobody after the agent rung now. */
  returnCalls?: ReturnCallResume;
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
    const { context, plan } = callOfRow(deps.config, row, await returnCallAgentsOf(deps, row));
    const recorded = recordedOf(row, legs.get(row.id) ?? [], asked.get(row.id));
    const view = await readAsterisk(deps.ari, idsToResume(plan, recorded));
    return { row, context, resumed: resumeCall(plan, recorded, view, deps.now()) };
  }));
}

/**
 * Who a return call still ringing an agent rings, in order, from the agent rung now: without them,
 * the next agents would be unknown, and the agent rung now not answering would be a missed call.
 */
async function returnCallAgentsOf(deps: ResumeDeps, row: RowToResume): Promise<readonly ReturnCallAgent[] | undefined> {
  if (!row.customerChannelId || row.stage === 'connected' || !deps.returnCalls) return undefined;
  const ringingAgentId = row.onCallAgentId ?? row.context.agentId;
  const { ringing, next } = await deps.returnCalls.agentsAfter({
    route: row.context.route, customerNumber: row.context.target, calledNumber: row.context.callerId ?? '',
    firstAgentId: row.context.agentId, ringingAgentId,
  });
  // An agent revoked while their phone rings still rings: the call knows their phone as the row does.
  const now = ringing ?? { agentId: ringingAgentId, label: row.context.agentPhone, endpoint: row.agentEndpoint, reason: 'last_caller' as const };
  return [now, ...next];
}

/**
 * The call's context and plan as its row records them; a return call still ringing rings `agents`
 * in turn (the first is the one rung now), else only the row's agent.
 */
export function callOfRow(
  config: ResumeDeps['config'],
  row: Pick<RowToResume, 'id' | 'context' | 'agentEndpoint' | 'targetEndpoint' | 'customerChannelId'>,
  agents?: readonly ReturnCallAgent[],
): { context: CallContext; plan: CallPlan } {
  const plan = callPlanOf(config, {
    callId: row.id, route: row.context.route, agentEndpoint: row.agentEndpoint, targetEndpoint: row.targetEndpoint, callerId: row.context.callerId,
    agentId: row.context.agentId, agentLabel: row.context.agentPhone, customerLabel: row.context.target,
  });
  if (!row.customerChannelId) return { context: row.context, plan };
  // A return call: the customer's channel is Asterisk's, and the agent rung now (or talking) is the
  // first of `agents`; without them, the row's agent, and nobody after them is known.
  const settings = { ...DEFAULT_RETURN_CALL_SETTINGS, ...config.returnCalls };
  const { confirmDigit: _none, ...withoutConfirm } = plan;
  const ringing = agents?.[0];
  return {
    context: row.context,
    plan: {
      ...withoutConfirm, targetEndpoint: '',
      ...(ringing ? { agentId: ringing.agentId, agentLabel: ringing.label, agentEndpoint: ringing.endpoint } : {}),
      agentRingTimeoutS: settings.ringTimeoutS, targetRingTimeoutS: settings.ringTimeoutS, confirmTimeoutS: 0,
      returnCall: {
        customerChannelId: row.customerChannelId, customerNumber: row.context.target, calledNumber: row.context.callerId ?? '',
        agents: ringing ? agents! : [{ agentId: row.context.agentId, label: row.context.agentPhone, endpoint: row.agentEndpoint, reason: 'last_caller' }],
        missedMessage: settings.missedMessage, missedMessageTimeoutS: settings.missedMessageTimeoutS,
      },
    },
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
