/**
 * A call taken over from another instance (cluster mode): its owner stopped, and the next owner of
 * the Asterisk server knows only what the Call row (and its legs' rows) recorded and what Asterisk
 * shows now. This rebuilds the machine's state from both, then lets the machine decide what
 * follows, so a taken-over call obeys the same rules as any other: a connected call keeps talking,
 * a leg that went away meanwhile ends the call with the outcome that leg's state gives (or, for a
 * party the call gained, what that party's leaving means), and the ring and confirmation timers run
 * on from where the first owner started them.
 *
 * A connected call that gained parties is rebuilt from its legs' rows and Asterisk's bridges:
 *
 *   what the rows and Asterisk say                               the rebuilt state
 *   ───────────────────────────────────────────────────────────  ──────────────────────────────────────────────
 *   a leg's row ended / answered / neither                       ended / up / dialing (ringing when its channel
 *                                                                rings, created when it is in no bridge)
 *   a leg's channel among a bridge's members                     in that bridge, in Stasis
 *   the consult bridge exists                                    a consultation about the last consulted leg
 *                                                                (live whatever its row says: Asterisk's view
 *                                                                says whether it is gone); the customer held,
 *                                                                with the music the main bridge still plays
 *   no consult bridge, an added leg neither answered nor ended   the operation that asked for it (its step when
 *                                                                known; else an agent's leg or a call whose
 *                                                                agent left is a cold transfer, any other an
 *                                                                adding); its ringback still plays and its ring
 *                                                                timer runs on
 *   a consulted leg neither answered nor ended, not the one      its consultation cannot go on without its
 *   the consult bridge is about                                  bridge: that party is hung up
 *   a consulted leg up, not the one the consult bridge is about  its consultation ended (a row keeps the role a
 *                                                                leg was asked in): completed (an agent's leg,
 *                                                                the first agent gone) or a conference
 *   the owner                                                    the first agent's leg that is up, else the last
 *                                                                agent who answered (with no leg), else the
 *                                                                Call row's agent
 *
 * Then Asterisk's view is read back (read-back.ts) into the events nobody heard, and the machine
 * decides: the consulted party gone ends the consultation (back to the customer), the customer
 * gone ends the call, a party that answered meanwhile completes a cold transfer, and so on.
 *
 * A call whose row names a recording carries it on as the row last said (recording, or paused):
 * Asterisk goes on recording the bridge, so the call's end stops it and its final update names it.
 */
import { type CallEffect, type CallOwner, type CallPlan, type CallState, type LegState, type PartyOperation, TIMER_GRACE_MS, type Transition, initialCallState, transition } from './call-machine';
import { findLeg, isFirstLeg, leg, withLeg } from './leg-state';
import { channelIdOfLeg, channelOfLeg, partyRingbackId } from './call-ids';
import type { CallStage, LegId, LegName, LegRole } from './call-types';
import { type AsteriskView, idsToRead, readBack } from './read-back';
import { type RecordedRecording, resumedRecording } from './recording';

/** How an added leg was asked for, as its step recorded it (transfer_started cold or warm, party_added). */
export type AskedAs = 'cold_transfer' | 'consult' | 'adding';

/** A leg's row (the call_legs table): who, in what role, and when; what it does not say is left out. */
export interface RecordedLeg {
  legId: LegId;
  role?: LegRole;
  label?: string;
  agentId?: number;
  number?: string;
  requestedAt?: number;
  answeredAt?: number;
  endedAt?: number;
  /** From the leg's step, when it was read: tells a cold transfer to a number from an added party. */
  askedAs?: AskedAs;
}

/** What the Call row says of the call: how far it got, and when; and its legs' rows once it gained a party. */
export interface RecordedCall {
  stage: Exclude<CallStage, 'ended'>;
  requestedAt: number;
  agentRingingAt?: number;
  agentAnsweredAt?: number;
  targetRingingAt?: number;
  connectedAt?: number;
  /** The call's legs' rows, in the order the call asked for them; none for a call of two parties. */
  legs?: readonly RecordedLeg[];
  /** The recording the row says runs (or is paused) in Asterisk: the resumed call carries it on, and its end stops it. */
  recording?: RecordedRecording;
}

type LegStatus = LegState['status'];

/** How far each leg had got at each recorded stage (before Asterisk's view is applied). */
const LEGS_AT: Record<RecordedCall['stage'], { agent: LegStatus; target: LegStatus; targetDialed: boolean }> = {
  // A claimed request may have sent its originate, or not: Asterisk's view decides.
  requested: { agent: 'dialing', target: 'created', targetDialed: false },
  agent_dialing: { agent: 'dialing', target: 'created', targetDialed: false },
  agent_ringing: { agent: 'ringing', target: 'created', targetDialed: false },
  agent_answered: { agent: 'up', target: 'created', targetDialed: false },
  target_dialing: { agent: 'up', target: 'dialing', targetDialed: true },
  target_ringing: { agent: 'up', target: 'ringing', targetDialed: true },
  connected: { agent: 'up', target: 'up', targetDialed: true },
};

/** The ids of what Asterisk must be asked about before `recorded` can be resumed (see resumeCall). */
export function idsToResume(plan: CallPlan, recorded: RecordedCall): { channelIds: string[]; bridgeIds: string[] } {
  if (!gainedParties(recorded)) return idsToRead(recordedState(plan, recorded, new Set()));
  // Every leg the rows know of, ended or not (a row may lag behind Asterisk), and both bridges.
  const ids = initialCallState(plan, recorded.requestedAt).ids;
  const legIds = new Set<LegId>(['agent', 'target', ...recorded.legs.map((l) => l.legId)]);
  return {
    channelIds: [...legIds].map((id) => channelIdOfLeg(plan.callId, id)),
    bridgeIds: [ids.bridgeId, ids.consultBridgeId],
  };
}

export function resumeCall(plan: CallPlan, recorded: RecordedCall, view: AsteriskView, now: number): Transition {
  let state: CallState;
  const effects: CallEffect[] = [];
  if (gainedParties(recorded)) {
    ({ state } = multiLegState(plan, recorded, view, now, effects));
  } else {
    const bridged = new Set(Object.values(view.bridges).flatMap((bridge) => bridge?.members ?? []));
    state = recordedState(plan, recorded, bridged);
    effects.push(...timersRunningOn(state, now));
    if (state.stage !== recorded.stage) effects.push({ type: 'PersistCall', patch: { stage: state.stage } });
  }
  if (recorded.recording) state = { ...state, recording: resumedRecording(recorded.recording) };
  // The events Asterisk would have sent while no instance listened, in the order they would have come.
  for (const event of readBack(state, view, false, now)) {
    const next = transition(state, event);
    state = next.state;
    effects.push(...next.effects);
  }
  return { state, effects };
}

/** A connected call with legs the first two did not have: rebuilt from its legs' rows (see the table above). */
function gainedParties(recorded: RecordedCall): recorded is RecordedCall & { legs: readonly RecordedLeg[] } {
  return recorded.stage === 'connected' && (recorded.legs ?? []).some((l) => !isFirstLeg(l.legId));
}

/**
 * The state of a call of more than two legs as its rows and Asterisk's bridges say (the table
 * above); pushes the effects the rebuilding itself decides: timers running on, a party hung up.
 */
function multiLegState(
  plan: CallPlan, recorded: RecordedCall & { legs: readonly RecordedLeg[] }, view: AsteriskView, now: number, effects: CallEffect[],
): { state: CallState } {
  const base = initialCallState(plan, recorded.requestedAt);
  const { ids } = base;
  const members = (bridgeId: string) => new Set(view.bridges[bridgeId]?.members ?? []);
  const inMain = members(ids.bridgeId);
  const inConsult = members(ids.consultBridgeId);
  const consultBridge = view.bridges[ids.consultBridgeId] != null;
  const rowOf = (id: LegId) => recorded.legs.find((l) => l.legId === id);

  const added = recorded.legs.filter((l) => !isFirstLeg(l.legId));
  const firstTwo = base.legs.map((first): LegState => {
    const row = rowOf(first.id);
    const answeredAt = row?.answeredAt ?? (first.id === 'agent' ? recorded.agentAnsweredAt : recorded.connectedAt);
    return {
      ...first,
      ...(row?.role ? { role: row.role } : {}),
      ...(row?.label ? { label: row.label } : {}),
      status: row?.endedAt !== undefined ? 'ended' : 'up',
      ...(row?.requestedAt !== undefined ? { requestedAt: row.requestedAt } : {}),
      ...(answeredAt !== undefined ? { answeredAt } : {}),
      ...(row?.endedAt !== undefined ? { endedAt: row.endedAt } : {}),
    };
  });
  const asked = added.map((row): LegState => ({
    id: row.legId,
    role: row.role ?? 'conferenced',
    channelId: channelIdOfLeg(plan.callId, row.legId),
    // Not recorded: the channel exists already, and the call never makes it again.
    endpoint: '',
    status: row.endedAt !== undefined ? 'ended' : row.answeredAt !== undefined ? 'up' : 'dialing',
    inStasis: false,
    bridge: null,
    label: row.label ?? row.number ?? row.legId,
    ...(row.agentId !== undefined ? { agentId: row.agentId } : {}),
    ...(row.requestedAt !== undefined ? { requestedAt: row.requestedAt } : {}),
    ...(row.answeredAt !== undefined ? { answeredAt: row.answeredAt } : {}),
    ...(row.endedAt !== undefined ? { endedAt: row.endedAt } : {}),
  }));

  let state: CallState = {
    ...base,
    stage: 'connected',
    legs: [...firstTwo, ...asked],
    bridges: consultBridge ? ['main', 'consult'] : ['main'],
    nextLeg: Math.max(2, ...added.map((l) => Number(l.legId.slice(1)) || 0)) + 1,
    targetDialed: true,
    times: timesOf(recorded),
  };

  const operation = operationOf(state, added, consultBridge);
  if (operation.kind !== 'none') {
    const opLeg = leg(state, operation.legId);
    // The operation's party is live whatever its row says: Asterisk's view says whether it is gone.
    if (opLeg.status === 'ended') {
      const { endedAt: _endedAt, ...live } = opLeg;
      state = { ...state, legs: state.legs.map((l) => (l.id === opLeg.id ? { ...live, status: opLeg.answeredAt !== undefined ? 'up' : 'dialing' } : l)) };
    }
  }
  // Each live leg is where Asterisk shows it; a party not yet answered rings when its channel does.
  for (const l of state.legs) {
    if (l.status === 'ended') continue;
    const bridge = inConsult.has(l.channelId) ? 'consult' : inMain.has(l.channelId) ? 'main' : null;
    const rings = view.channels[l.channelId]?.state === 'Ringing';
    const status = l.status !== 'dialing' ? l.status : rings ? 'ringing' : bridge === null ? 'created' : 'dialing';
    state = withLeg(state, l.id, { bridge, inStasis: bridge !== null, status });
  }
  state = { ...state, owner: ownerOf(state, plan, operation) };

  if (operation.kind === 'consult') {
    state = { ...state, operation };
    const customer = leg(state, 'target');
    // The customer waits on hold: Asterisk goes on playing the main bridge's music until the consultation ends.
    if (customer.status === 'up') state = withLeg(state, 'target', { status: 'held' });
  } else if (operation.kind !== 'none') {
    state = { ...state, operation };
  }
  if (operation.kind !== 'none') {
    const opLeg = leg(state, operation.legId);
    if (opLeg.status !== 'up') {
      const ringbackTo = operation.kind === 'cold_transfer' ? leg(state, 'target') : ownerLegOf(state);
      if (ringbackTo) state = { ...state, partyRingback: { channelId: ringbackTo.channelId, playbackId: partyRingbackId(plan.callId, opLeg.id) } };
      const ringS = opLeg.agentId !== undefined ? plan.agentRingTimeoutS : plan.targetRingTimeoutS;
      const left = Math.max(0, ringS * 1000 + TIMER_GRACE_MS - (now - (opLeg.requestedAt ?? recorded.requestedAt)));
      effects.push({ type: 'StartTimer', timer: `party_ring:${opLeg.id}`, ms: left });
    }
  }
  for (const l of state.legs) {
    const consulting = state.operation.kind === 'consult' && state.operation.legId === l.id;
    if (l.role !== 'consulted' || consulting || l.status === 'ended') continue;
    if (l.status === 'up') {
      // An earlier consultation ended, completed (the agent left) or as a conference: the role its end gave.
      const completed = findLeg(state, 'agent')?.status === 'ended' && l.agentId !== undefined;
      state = withLeg(state, l.id, { role: completed ? 'agent' : 'conferenced' });
      continue;
    }
    // A consulted party left over from a consultation whose bridge is gone: nobody can talk to them.
    effects.push({ type: 'HangupLeg', channelId: l.channelId }, { type: 'PersistLeg', legId: l.id, patch: { endedAt: new Date(now) } });
    state = withLeg(state, l.id, { status: 'ended', inStasis: false, bridge: null, endedAt: now });
  }
  return { state };
}

/** The operation under way (the table above): the consultation its bridge shows, or the one that asked for an unanswered party. */
function operationOf(state: CallState, added: readonly RecordedLeg[], consultBridge: boolean): PartyOperation {
  const by = 'system';
  if (consultBridge) {
    const consulted = [...added].reverse().find((l) => l.askedAs === 'consult' || (l.askedAs === undefined && l.role === 'consulted'));
    return consulted ? { kind: 'consult', legId: consulted.legId, by } : { kind: 'none' };
  }
  const pending = [...added].reverse().find((l) => l.endedAt === undefined && l.answeredAt === undefined);
  if (!pending || pending.role === 'consulted' || pending.askedAs === 'consult') return { kind: 'none' };
  const agentLeft = findLeg(state, 'agent')?.status === 'ended';
  const kind = pending.askedAs ?? (pending.role === 'agent' || agentLeft ? 'cold_transfer' : 'adding');
  return { kind, legId: pending.legId, by };
}

/** Who answers for the call (the table above). */
function ownerOf(state: CallState, plan: CallPlan, operation: PartyOperation): CallOwner {
  const pending = operation.kind === 'none' ? undefined : operation.legId;
  const agents = state.legs.filter((l) => l.agentId !== undefined && l.id !== pending);
  const up = agents.find((l) => l.status === 'up');
  if (up) return { agentId: up.agentId!, legId: up.id };
  const answered = [...agents].reverse().find((l) => l.answeredAt !== undefined);
  return { agentId: answered?.agentId ?? plan.agentId, legId: null };
}

function ownerLegOf(state: CallState): LegState | undefined {
  const id = state.owner.legId;
  return id === null ? undefined : findLeg(state, id);
}

function timesOf(recorded: RecordedCall): CallState['times'] {
  return {
    requestedAt: recorded.requestedAt,
    ...(recorded.agentRingingAt !== undefined ? { agentRingingAt: recorded.agentRingingAt } : {}),
    ...(recorded.agentAnsweredAt !== undefined ? { agentAnsweredAt: recorded.agentAnsweredAt } : {}),
    ...(recorded.targetRingingAt !== undefined ? { targetRingingAt: recorded.targetRingingAt } : {}),
    ...(recorded.connectedAt !== undefined ? { connectedAt: recorded.connectedAt } : {}),
  };
}

/** The machine's state as the row recorded it; a leg counts in Stasis when it is in one of the call's bridges. */
function recordedState(plan: CallPlan, recorded: RecordedCall, bridged: ReadonlySet<string>): CallState {
  const base = initialCallState(plan, recorded.requestedAt);
  const legs = LEGS_AT[recorded.stage];
  const legState = (id: LegName, status: LegStatus): Partial<LegState> => {
    const inStasis = bridged.has(channelOfLeg(base.ids, id));
    return { status, inStasis, bridge: inStasis ? 'main' : null };
  };
  const withLegs = withLeg(withLeg(base, 'agent', legState('agent', legs.agent)), 'target', legState('target', legs.target));
  if (base.returnCall) return returnCallRecorded(withLegs, recorded);
  return {
    ...withLegs,
    stage: recorded.stage === 'requested' ? 'agent_dialing' : recorded.stage,
    bridges: ['main'],
    targetDialed: legs.targetDialed,
    // The ringback plays from the target's dial until the target answers; stopping one that ended is harmless.
    ringbackPlaying: legs.targetDialed && legs.target !== 'up',
    times: timesOf(recorded),
  };
}

/**
 * A return call (call/return-call.ts) as its row says: connected, a call like any other; before
 * that, the customer's channel still rings in Stasis outside the bridge while the plan's first agent
 * (the one rung now) is rung; the plan's next agents follow if they do not answer.
 */
function returnCallRecorded(state: CallState, recorded: RecordedCall): CallState {
  const times = timesOf(recorded);
  if (recorded.stage === 'connected') {
    const { returnCall: _progress, ...connected } = state;
    return { ...connected, stage: 'connected', bridges: ['main'], times };
  }
  const ringing = withLeg(state, 'target', { status: 'ringing', inStasis: true, bridge: null });
  return { ...ringing, stage: recorded.stage === 'agent_ringing' ? 'agent_ringing' : 'agent_dialing', bridges: ['main'], times };
}

/** The machine's timers for the stage, with what is left of them since the first owner started them. */
function timersRunningOn(state: CallState, now: number): CallEffect[] {
  const { plan, times } = state;
  const left = (fullMs: number, since: number) => Math.max(0, fullMs - (now - since));
  const timers: CallEffect[] = [];
  if (leg(state, 'agent').status === 'dialing' || leg(state, 'agent').status === 'ringing') {
    // A return call rings its agents one after another: the one ringing now has rung since the row's
    // agentRingingAt, not since the customer's call came in (a placed call's agent is its first).
    const ringingSince = state.returnCall && state.stage === 'agent_ringing' && times.agentRingingAt !== undefined ? times.agentRingingAt : times.requestedAt;
    timers.push({ type: 'StartTimer', timer: 'agent_ring', ms: left(plan.agentRingTimeoutS * 1000 + TIMER_GRACE_MS, ringingSince) });
  }
  const answeredAt = times.agentAnsweredAt ?? times.requestedAt;
  if (state.stage === 'agent_answered') {
    timers.push({ type: 'StartTimer', timer: 'confirm', ms: left(plan.confirmTimeoutS * 1000, answeredAt) });
  }
  if (state.targetDialed && leg(state, 'target').status !== 'up') {
    timers.push({ type: 'StartTimer', timer: 'target_ring', ms: left(plan.targetRingTimeoutS * 1000 + TIMER_GRACE_MS, answeredAt) });
  }
  return timers;
}
