/**
 * A connected call gaining and losing parties: cold transfer, consultation (warm transfer) and
 * conference. One operation at a time, about one added leg `P` (p3, p4, …); `A` is the owner's
 * leg (the agent answering for the call), `C` the customer (`target`). The stage stays `connected`.
 *
 * | operation        | when                          | then                                                                                     |
 * |------------------|-------------------------------|------------------------------------------------------------------------------------------|
 * | none             | TransferRequested cold        | create P (caller ID set on it), ringback to C, ring timer; step transfer_started         |
 * | none             | TransferRequested warm        | create the consult bridge, move A into it, music on hold in main (C held), create P,     |
 * |                  |                               | ringback to A, ring timer; step transfer_started                                         |
 * | none             | AddPartyRequested             | create P (conferenced), ringback to A, ring timer; step party_added                      |
 * | any              | P rings with early media      | stop ringback: the party's network (its ringback, an announcement) is heard through P's  |
 * |                  |                               | bridge instead                                                                           |
 * | any              | P enters Stasis               | P into its bridge (consult for a consultation, else main), dialed with A as caller; if   |
 * |                  |                               | A has left, P is not dialed (it would go out as Anonymous): P ends, as a failure         |
 * | cold             | P answers                     | stop ringback, hang up A; owner := P's agent; step transfer_completed                    |
 * | cold             | P fails (ends, timer, refused)| stop ringback; step transfer_failed; if A has left, C is alone: the call ends            |
 * | cold             | A leaves                      | step party_left; C keeps hearing ringback; the owner has no leg                          |
 * | consult          | P answers                     | stop ringback (A and P talk)                                                             |
 * | consult          | ConsultFinished complete      | move P to main, stop music, hang up A, destroy consult; owner := P's agent               |
 * | consult          | ConsultFinished back          | hang up P, move A to main, stop music, destroy consult                                   |
 * | consult          | ConsultFinished conference    | move A and P to main, stop music, destroy consult; P conferenced                         |
 * | consult          | P ends or fails               | as back                                                                                  |
 * | consult          | A leaves                      | P up: as complete; else the call ends                                                    |
 * | adding           | P answers                     | stop ringback; P up                                                                      |
 * | adding           | P fails                       | stop ringback; step party_left; the call goes on                                         |
 * | any              | C leaves                      | the call ends (every leg hung up)                                                        |
 * | adding, none     | another party leaves          | step party_left; the call ends when fewer than two parties remain, or when the owner    |
 * |                  |                               | left and no other agent is up (owner := that agent if one is): the customer is never    |
 * |                  |                               | left with only outside parties, unless a completed transfer passed the call to them      |
 *
 * Requests not allowed now (party-rules.ts) change nothing. Every added leg is written as it is
 * asked for, answers, changes role (a consultation completed or turned conference) and ends (PersistLeg); the first two legs are written when the call first
 * gains a party and when it ends. A failed request about P ends P, not the call.
 */
import type { BridgeName, CallEffect, CallEvent, CallState, LegState, PartyOperation, Transition } from './call-state';
import { channelIdOfLeg, partyRingbackId } from './call-ids';
import { endCall, legRecord } from './call-ending';
import { CHANNEL_GONE_GRACE_MS, TIMER_GRACE_MS } from './call-timing';
import type { ConsultEnd, LegId, LegRole, PartyPlan, PartyStep, TransferMode } from './call-types';
import { bridgeIdOf, customerOf, endedByOf, findLeg, isFirstLeg, isPresent, leg, unchanged, withLeg } from './leg-state';
import { canAddParty, canFinishConsult, canTransfer, ownerLegOf } from './party-rules';
import { goneTimer, onRequestFailed as onFirstLegRequestFailed } from './two-party';

/** The party requests always; a connected call's leg events once it has gained a party. */
export function isPartyEvent(state: CallState, event: CallEvent): boolean {
  switch (event.type) {
    case 'TransferRequested':
    case 'AddPartyRequested':
    case 'ConsultFinished':
      return true;
    case 'LegRinging':
    case 'LegAnswered':
    case 'LegEnteredStasis':
    case 'LegEnded':
    case 'LegGoneUnseen':
    case 'RequestFailed':
      return multiParty(state);
    case 'TimerExpired':
      return multiParty(state) && (event.timer.startsWith('party_') || event.timer === 'agent_gone' || event.timer === 'target_gone');
    default:
      return false;
  }
}

function multiParty(state: CallState): boolean {
  return state.stage === 'connected' && state.legs.length > 2;
}

export function onPartyEvent(state: CallState, event: CallEvent): Transition {
  switch (event.type) {
    case 'TransferRequested': return onTransferRequested(state, event.mode, event.party, event.by, event.at);
    case 'AddPartyRequested': return onAddPartyRequested(state, event.party, event.by, event.at);
    case 'ConsultFinished': return canFinishConsult(state, event.how) ? finishConsult(state, event.how, event.by, event.at) : unchanged(state);
    case 'LegRinging': return onRinging(state, event.leg, event.at, event.earlyMedia === true);
    case 'LegAnswered': return onAnswered(state, event.leg, event.at);
    case 'LegEnteredStasis': return onEnteredStasis(state, event.leg, event.at);
    case 'LegEnded': return onLeft(state, event.leg, event.cause, event.at, event.causeText ?? null);
    case 'LegGoneUnseen': return onLeft(state, event.leg, null, event.at, 'gone while no instance followed the call');
    case 'RequestFailed': return onRequestFailed(state, event);
    case 'TimerExpired': return onTimer(state, event.timer, event.at);
    default: return unchanged(state);
  }
}

function onTransferRequested(state: CallState, mode: TransferMode, party: PartyPlan, by: string, at: number): Transition {
  if (!canTransfer(state)) return unchanged(state);
  const owner = ownerLegOf(state)!;
  const customer = customerOf(state);
  if (mode === 'cold') {
    const asked = askForParty(state, party, party.target.kind === 'agent' ? 'agent' : 'conferenced', customer.channelId, at);
    const next: CallState = { ...asked.state, operation: { kind: 'cold_transfer', legId: asked.id, by } };
    return published(next, [...asked.effects, step({ kind: 'transfer_started', mode, legId: asked.id, label: party.label }, by, at)], at);
  }
  const { ids } = state;
  // The agent steps into a bridge of their own; the customer hears music while they consult.
  let next: CallState = withLeg({ ...state, bridges: [...state.bridges, 'consult'] }, owner.id, { bridge: 'consult' });
  next = withLeg(next, customer.id, { status: 'held' });
  const effects: CallEffect[] = [
    { type: 'CreateBridge', bridgeId: ids.consultBridgeId },
    { type: 'MoveToBridge', channelId: owner.channelId, from: ids.bridgeId, to: ids.consultBridgeId },
    { type: 'StartHoldMusic', bridgeId: ids.bridgeId },
  ];
  const asked = askForParty(next, party, 'consulted', owner.channelId, at);
  next = { ...asked.state, operation: { kind: 'consult', legId: asked.id, by } };
  return published(next, [...effects, ...asked.effects, step({ kind: 'transfer_started', mode, legId: asked.id, label: party.label }, by, at)], at);
}

function onAddPartyRequested(state: CallState, party: PartyPlan, by: string, at: number): Transition {
  if (!canAddParty(state)) return unchanged(state);
  const owner = ownerLegOf(state)!;
  const asked = askForParty(state, party, 'conferenced', owner.channelId, at);
  const next: CallState = { ...asked.state, operation: { kind: 'adding', legId: asked.id, by } };
  return published(next, [...asked.effects, step({ kind: 'party_added', legId: asked.id, label: party.label }, by, at)], at);
}

/** A new leg for `party`, made now and dialed once in Stasis, with ringback to `ringbackTo` while it rings. */
function askForParty(state: CallState, party: PartyPlan, role: LegRole, ringbackTo: string, at: number): { state: CallState; effects: CallEffect[]; id: LegId } {
  const { callId } = state.plan;
  const id = `p${state.nextLeg}`;
  const added: LegState = {
    id, role, channelId: channelIdOfLeg(callId, id), endpoint: party.endpoint, status: 'created', inStasis: false, bridge: null,
    label: party.label, party, requestedAt: at, ...(party.target.kind === 'agent' ? { agentId: party.target.agentId } : {}),
  };
  const playbackId = partyRingbackId(callId, id);
  const effects: CallEffect[] = [];
  // The first two legs' rows, so the record has every party from the first step on.
  if (state.legs.length === 2) for (const first of state.legs) effects.push({ type: 'PersistLeg', legId: first.id, patch: legRecord(first) });
  effects.push(
    // The call's own verified caller ID, as the customer's leg had: a party never sees the customer's number as the caller.
    { type: 'CreateLeg', leg: id, channelId: added.channelId, endpoint: party.endpoint, appArgs: `${id},${callId}`, callerId: state.plan.callerId ?? party.callerId },
    { type: 'StartRingback', channelId: ringbackTo, playbackId },
    { type: 'StartTimer', timer: `party_ring:${id}`, ms: party.ringTimeoutS * 1000 + TIMER_GRACE_MS },
    { type: 'PersistLeg', legId: id, patch: legRecord(added) },
  );
  return {
    state: { ...state, legs: [...state.legs, added], nextLeg: state.nextLeg + 1, partyRingback: { channelId: ringbackTo, playbackId } },
    effects,
    id,
  };
}

/** The bridge an added leg joins: the consultation's own while it is consulted, else the main one. */
function bridgeFor(state: CallState, id: LegId): BridgeName {
  return state.operation.kind === 'consult' && state.operation.legId === id ? 'consult' : 'main';
}

function onEnteredStasis(state: CallState, id: LegId, at: number): Transition {
  const l = findLeg(state, id);
  if (isFirstLeg(id) || !l || l.status !== 'created' || l.inStasis) return unchanged(state);
  const bridge = bridgeFor(state, id);
  const caller = ownerLegOf(state);
  if (!caller || !isPresent(caller)) {
    // Only the agent's channel carries the organisation's caller ID into a dial (Asterisk takes the
    // INVITE's From from the caller's identity): without it the party would be called as Anonymous.
    const left = onLeft(state, id, null, at, 'not dialed: no agent left on the call to present its caller ID');
    return { state: left.state, effects: [{ type: 'HangupLeg', channelId: l.channelId }, ...left.effects] };
  }
  return {
    state: withLeg(state, id, { status: 'dialing', inStasis: true, bridge }),
    effects: [
      { type: 'AddToBridge', bridgeId: bridgeIdOf(state, bridge), channelId: l.channelId },
      {
        type: 'DialLeg', leg: id, channelId: l.channelId, timeoutS: l.party?.ringTimeoutS ?? state.plan.targetRingTimeoutS,
        callerChannelId: caller.channelId,
      },
    ],
  };
}

/**
 * The party's phone rings. With early media (Dial PROGRESS: its network's own ringback or an
 * announcement), that audio reaches whoever hears callbot's ringback through the bridge the party
 * waits in (call/early-media.ts does the same for the customer): the ringback, which covered it, stops.
 */
function onRinging(state: CallState, id: LegId, at: number, earlyMedia: boolean): Transition {
  const l = findLeg(state, id);
  if (isFirstLeg(id) || !l || (l.status !== 'dialing' && l.status !== 'ringing')) return unchanged(state);
  const op = state.operation;
  const hearsParty = earlyMedia && op.kind !== 'none' && op.legId === id && l.bridge !== null && state.partyRingback !== undefined;
  const heard = earlyMedia && l.earlyMediaAt === undefined ? { earlyMediaAt: at } : {};
  if (hearsParty) return published(withoutRingback(withLeg(state, id, { status: 'ringing', ...heard })), stopPartyRingback(state), at);
  if (l.status === 'ringing') return { state: withLeg(state, id, heard), effects: [] };
  return published(withLeg(state, id, { status: 'ringing', ...heard }), [], at);
}

function onAnswered(state: CallState, id: LegId, at: number): Transition {
  const l = findLeg(state, id);
  const op = state.operation;
  if (isFirstLeg(id) || !l || (l.status !== 'dialing' && l.status !== 'ringing') || op.kind === 'none' || op.legId !== id) return unchanged(state);
  let next = withLeg(state, id, { status: 'up', answeredAt: at });
  const effects: CallEffect[] = [...stopPartyRingback(state), { type: 'CancelTimer', timer: `party_ring:${id}` }, { type: 'PersistLeg', legId: id, patch: { answeredAt: new Date(at) } }];
  next = withoutRingback(next);
  if (op.kind === 'cold_transfer') {
    const owner = ownerLegOf(next);
    if (owner) ({ state: next } = hangUp(next, owner.id, at, effects));
    next = { ...next, operation: { kind: 'none' } };
    effects.push(step({ kind: 'transfer_completed', legId: id, label: l.label }, op.by, at));
    next = passOwnership(next, leg(next, id), op.by, at, effects);
  } else if (op.kind === 'adding') {
    next = { ...next, operation: { kind: 'none' } };
  }
  return published(next, effects, at);
}

function finishConsult(state: CallState, how: ConsultEnd, by: string, at: number): Transition {
  const op = state.operation as Extract<PartyOperation, { kind: 'consult' }>;
  const consulted = leg(state, op.legId);
  const owner = ownerLegOf(state);
  const { ids } = state;
  const effects: CallEffect[] = [];
  let next: CallState = { ...state, operation: { kind: 'none' } };
  const toMain = (l: LegState) => {
    effects.push({ type: 'MoveToBridge', channelId: l.channelId, from: ids.consultBridgeId, to: ids.bridgeId });
    next = withLeg(next, l.id, { bridge: 'main' });
  };
  if (how === 'back') {
    if (consulted.status !== 'up') effects.push(...stopPartyRingback(state), { type: 'CancelTimer', timer: `party_ring:${consulted.id}` });
    if (consulted.status !== 'ended') ({ state: next } = hangUp(next, consulted.id, at, effects));
    if (owner) toMain(owner);
  } else {
    toMain(consulted);
    if (how === 'conference' && owner) toMain(owner);
  }
  next = withLeg(withoutRingback(next), 'target', { status: 'up' });
  effects.push({ type: 'StopHoldMusic', bridgeId: ids.bridgeId }, { type: 'DestroyBridge', bridgeId: ids.consultBridgeId });
  next = { ...next, bridges: next.bridges.filter((b) => b !== 'consult') };
  effects.push(step({ kind: 'consult_ended', how, legId: consulted.id }, by, at));
  if (how === 'complete') {
    if (owner) ({ state: next } = hangUp(next, owner.id, at, effects));
    next = withLeg(next, consulted.id, { role: consulted.agentId !== undefined ? 'agent' : 'conferenced' });
    effects.push({ type: 'PersistLeg', legId: consulted.id, patch: { role: leg(next, consulted.id).role } });
    effects.push(step({ kind: 'transfer_completed', legId: consulted.id, label: consulted.label }, by, at));
    next = passOwnership(next, leg(next, consulted.id), by, at, effects);
  } else if (how === 'conference') {
    next = withLeg(next, consulted.id, { role: 'conferenced' });
    effects.push({ type: 'PersistLeg', legId: consulted.id, patch: { role: 'conferenced' } });
  }
  return published(next, effects, at);
}

/**
 * A leg ended (hung up, failed, gone): what that means for the others depends on who it was and
 * on the operation under way (see the table above).
 */
function onLeft(state: CallState, id: LegId, cause: number | null, at: number, causeText: string | null): Transition {
  const l = findLeg(state, id);
  if (!l || l.status === 'ended' || l.status === 'idle') return unchanged(state);
  const hangup = { hangupCause: cause, hangupCauseText: causeText };
  if (l.role === 'customer') {
    return endCall(ended(state, id, at, cause), at, { outcome: 'completed', endedBy: 'target', ...hangup });
  }
  const op = state.operation;
  const effects: CallEffect[] = [];
  let next = ended(state, id, at, cause);
  effects.push({ type: 'PersistLeg', legId: id, patch: { endedAt: new Date(at), hangupCause: cause } });

  if (op.kind !== 'none' && op.legId === id) {
    // The party asked for ended before the operation finished.
    effects.push({ type: 'CancelTimer', timer: `party_ring:${id}` });
    if (op.kind === 'consult') {
      const back = finishConsult({ ...next, operation: op }, 'back', 'system', at);
      return { state: back.state, effects: [...effects, ...back.effects] };
    }
    if (l.status !== 'up') effects.push(...stopPartyRingback(state));
    next = withoutRingback({ ...next, operation: { kind: 'none' } });
    if (op.kind === 'cold_transfer') {
      effects.push(step({ kind: 'transfer_failed', legId: id, label: l.label }, 'system', at));
      if (!ownerLegOf(next)) return endWith(next, effects, at, { outcome: 'completed', endedBy: endedByOf(l), ...hangup, detail: 'the transfer failed after the agent had left' });
      return published(next, effects, at);
    }
    effects.push(step({ kind: 'party_left', legId: id, label: l.label }, 'system', at));
    return published(next, effects, at);
  }

  effects.push(step({ kind: 'party_left', legId: id, label: l.label }, 'system', at));
  const wasOwner = state.owner.legId === id;
  if (op.kind === 'consult' && wasOwner) {
    // The agent left mid-consultation: the customer goes to the consulted party if they answered.
    const consulted = leg(next, op.legId);
    if (consulted.status !== 'up') return endWith(next, effects, at, { outcome: 'completed', endedBy: 'agent', ...hangup });
    const completed = finishConsult(leftByAgents(next, effects), 'complete', 'system', at);
    return { state: completed.state, effects: [...effects, ...completed.effects] };
  }
  if (op.kind === 'cold_transfer') {
    // The customer waits for the party being transferred to.
    if (wasOwner) next = leftByAgents(next, effects);
    return published(next, effects, at);
  }
  if (next.legs.filter(isPresent).length < 2) return endWith(next, effects, at, { outcome: 'completed', endedBy: endedByOf(l), ...hangup });
  if (wasOwner) {
    const agent = next.legs.find((other) => isPresent(other) && other.agentId !== undefined);
    if (!agent) return endWith(next, effects, at, { outcome: 'completed', endedBy: endedByOf(l), ...hangup, detail: 'the owner left and no other agent was on the call' });
    next = passOwnership(next, agent, 'system', at, effects);
  }
  return published(next, effects, at);
}

function onRequestFailed(state: CallState, event: Extract<CallEvent, { type: 'RequestFailed' }>): Transition {
  if (event.leg === undefined || isFirstLeg(event.leg)) return onFirstLegRequestFailed(state, event);
  const l = findLeg(state, event.leg);
  if (!l || l.status === 'ended') return unchanged(state);
  if (event.channelGone) return { state, effects: [{ type: 'StartTimer', timer: goneTimer(l.id), ms: CHANNEL_GONE_GRACE_MS }] };
  // Asterisk refused to make or dial the added leg: that party is not reached, the call goes on.
  const left = onLeft(state, l.id, null, event.at, `${event.request}: ${event.error}`);
  return { state: left.state, effects: [{ type: 'HangupLeg', channelId: l.channelId }, ...left.effects] };
}

function onTimer(state: CallState, timer: string, at: number): Transition {
  if (timer === 'agent_gone' || timer === 'target_gone') return onLeft(state, timer === 'agent_gone' ? 'agent' : 'target', null, at, null);
  const [kind, id] = timer.split(':') as [string, LegId];
  const l = findLeg(state, id);
  if (!l || l.status === 'ended') return unchanged(state);
  if (kind === 'party_gone') return onLeft(state, id, null, at, null);
  // party_ring: no answer in time.
  if (l.status === 'up' || l.status === 'held') return unchanged(state);
  const left = onLeft(state, id, null, at, 'no answer within the ring timeout');
  return { state: left.state, effects: [{ type: 'HangupLeg', channelId: l.channelId }, ...left.effects] };
}

/** Hangs up a leg the call lets go of (it is ended from now on; its ChannelDestroyed changes nothing). */
function hangUp(state: CallState, id: LegId, at: number, effects: CallEffect[]): { state: CallState } {
  const l = leg(state, id);
  if (l.status === 'ended' || l.status === 'idle') return { state };
  effects.push({ type: 'HangupLeg', channelId: l.channelId }, { type: 'PersistLeg', legId: id, patch: { endedAt: new Date(at) } });
  return { state: withLeg(state, id, { status: 'ended', inStasis: false, bridge: null, endedAt: at }) };
}

function ended(state: CallState, id: LegId, at: number, cause: number | null): CallState {
  return withLeg(state, id, { status: 'ended', inStasis: false, bridge: null, endedAt: at, hangupCause: cause });
}

/** The call passes to the agent on `to`; a party that is not an agent takes the customer, but the call's owner stays who it was, with no leg. */
function passOwnership(state: CallState, to: LegState, by: string, at: number, effects: CallEffect[]): CallState {
  if (to.agentId === undefined) return leftByAgents(state, effects);
  effects.push(step({ kind: 'owner_changed', agentId: to.agentId, legId: to.id }, by, at));
  // The one-live-call rule now holds the agent who took the call, and no longer the one who left it.
  effects.push({ type: 'PersistCall', patch: { onCallAgentId: to.agentId } });
  return { ...state, owner: { agentId: to.agentId, legId: to.id } };
}

/** The owner's leg is gone and no agent took the call: the owner may place another call meanwhile. */
function leftByAgents(state: CallState, effects: CallEffect[]): CallState {
  if (state.owner.legId !== null) effects.push({ type: 'PersistCall', patch: { onCallAgentId: null } });
  return { ...state, owner: { ...state.owner, legId: null } };
}

function stopPartyRingback(state: CallState): CallEffect[] {
  return state.partyRingback ? [{ type: 'StopRingback', playbackId: state.partyRingback.playbackId }] : [];
}

function withoutRingback(state: CallState): CallState {
  const { partyRingback: _playing, ...rest } = state;
  return rest;
}

function step(s: PartyStep, by: string, at: number): CallEffect {
  return { type: 'RecordStep', step: s, by, at };
}

/** The parties changed: observers hear of it though the stage did not. */
function published(state: CallState, effects: CallEffect[], at: number): Transition {
  return { state, effects: [...effects, { type: 'PublishUpdate', stage: state.stage, at }] };
}

function endWith(state: CallState, effects: CallEffect[], at: number, ending: Parameters<typeof endCall>[2]): Transition {
  const end = endCall(withoutRingback(state), at, ending);
  return { state: end.state, effects: [...effects, ...end.effects] };
}
