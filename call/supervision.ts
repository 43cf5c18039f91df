/**
 * A supervisor following a live call, as a pure machine of its own beside the call's:
 * `supervisionTransition(state, event) -> { state, effects }`. The supervisor's phone is rung over
 * the call's route; on answer they hear the call without being heard (listen), speak to the agent
 * only (whisper) or join the call as a party (barge), and switch between these without re-dialing.
 *
 * Listen and whisper go through an ARI snoop channel on the agent's leg (`spy=both`; whisper adds
 * `whisper=out`, the audio Asterisk sends the agent), bridged with the supervisor in a bridge of
 * the supervision's own; barge puts the supervisor in the call's bridge. So the call's machine never
 * hears of a supervisor: the supervisor leaving never ends the call, and the call ending
 * (CallEnded) ends the supervision.
 *
 * | stage    | when                         | then                                                                              |
 * |----------|------------------------------|-----------------------------------------------------------------------------------|
 * | ringing  | SupervisionStarted           | originate the supervisor's leg, ring timer                                        |
 * | ringing  | supervisor enters Stasis     | (answered) listen/whisper: create our bridge, supervisor in it, snoop the agent;  |
 * |          |                              | barge: supervisor into the call's bridge. Stage active                            |
 * | active   | snoop enters Stasis          | snoop into our bridge                                                             |
 * | active   | ModeRequested listen↔whisper | hang up the snoop, snoop again with the new whisper direction                     |
 * | active   | ModeRequested → barge        | hang up the snoop, move the supervisor into the call's bridge, destroy ours       |
 * | active   | ModeRequested barge →        | create our bridge, move the supervisor into it, snoop the agent                   |
 * | any      | supervisor's leg ends        | ended (supervisor_left): hang up the snoop, destroy our bridge                    |
 * | any      | the current snoop ends       | ended (agent_left): the agent's leg is gone                                       |
 * | any      | CallEnded, EndRequested,     | ended: hang up the supervisor and the snoop, destroy our bridge                   |
 * |          | ring timer, RequestFailed    |                                                                                   |
 *
 * Every ending records the session once (RecordSession: who, which call, the modes in order, how long).
 */

export type SupervisionMode = 'listen' | 'whisper' | 'barge';

export const SUPERVISION_MODES: readonly SupervisionMode[] = ['listen', 'whisper', 'barge'];

export type SupervisionStage = 'ringing' | 'active' | 'ended';

/** Why a supervision ended. */
export type SupervisionEnd = 'call_ended' | 'supervisor_left' | 'supervisor_no_answer' | 'agent_left' | 'ended_by_supervisor' | 'failed';

export interface SupervisionPlan {
  supervisionId: string;
  callId: string;
  /** The supervisor's Telegram id, for the record. */
  supervisorTelegramId: string;
  /** The supervisor's phone over the call's route. */
  endpoint: string;
  callerId: string | null;
  ringTimeoutS: number;
  /** The agent's leg the snoop listens on, and the call's bridge a barge joins. */
  agentChannelId: string;
  callBridgeId: string;
  mode: SupervisionMode;
}

/** The Asterisk ids of one supervision, named after it so that reconciliation knows them as ours. */
export interface SupervisionIds {
  supervisorChannelId: string;
  bridgeId: string;
}

export function supervisionIds(supervisionId: string): SupervisionIds {
  return { supervisorChannelId: `${supervisionId}-supervisor`, bridgeId: `${supervisionId}-listen` };
}

/** The n-th snoop channel of a supervision: a mode switch makes a new one, so a late event of the old one is told apart. */
export function snoopChannelId(supervisionId: string, n: number): string {
  return `${supervisionId}-snoop${n}`;
}

/**
 * The Stasis app's arguments of a supervision's channels: which supervision, of which call, by whom.
 * Asterisk keeps them on the channel, so a process that starts after a crash can still audit a
 * supervision it finds left over (supervisionOfAppData).
 */
export function supervisionAppArgs(plan: Pick<SupervisionPlan, 'supervisionId' | 'callId' | 'supervisorTelegramId'>): string {
  return `supervision,${plan.supervisionId},${plan.callId},${plan.supervisorTelegramId}`;
}

/** Whose supervision a channel's `appData` (`app,supervision,<id>,<call>,<supervisor>`) says it belongs to, if it says. */
export function supervisionOfAppData(appData: string): { supervisionId: string; callId: string; supervisorTelegramId: string } | undefined {
  const [, tag, supervisionId, callId, supervisorTelegramId] = appData.split(',');
  if (tag !== 'supervision' || !supervisionId || !callId || !supervisorTelegramId) return undefined;
  return { supervisionId, callId, supervisorTelegramId };
}

export interface ModeSpan {
  mode: SupervisionMode;
  /** Epoch ms the mode began (the supervisor's answer for the first). */
  at: number;
}

export interface SupervisionState {
  plan: SupervisionPlan;
  ids: SupervisionIds;
  stage: SupervisionStage;
  mode: SupervisionMode;
  supervisor: { status: 'dialing' | 'up' | 'ended' };
  /** The current snoop channel, while listening or whispering. */
  snoop?: { channelId: string; inStasis: boolean };
  /** The number of snoop channels asked for so far. */
  snoops: number;
  /** Our bridge exists (asked for and not destroyed). */
  ownBridge: boolean;
  /** The modes in the order the supervisor used them, from the answer on. */
  modes: readonly ModeSpan[];
  requestedAt: number;
  answeredAt?: number;
  endedAt?: number;
  end?: SupervisionEnd;
  detail?: string;
}

export type SupervisionEvent =
  | { type: 'SupervisionStarted'; at: number }
  | { type: 'ChannelEnteredStasis'; channelId: string; at: number }
  | { type: 'ChannelEnded'; channelId: string; at: number }
  | { type: 'ModeRequested'; mode: SupervisionMode; at: number }
  /** The supervisor pressed Leave. */
  | { type: 'EndRequested'; at: number }
  /** The call supervised has ended. */
  | { type: 'CallEnded'; at: number }
  | { type: 'RingTimerExpired'; at: number }
  | { type: 'RequestFailed'; request: string; error: string; at: number };

/** One supervision, as the audit log keeps it. */
export interface SupervisionRecord {
  supervisionId: string;
  callId: string;
  supervisorTelegramId: string;
  modes: readonly SupervisionMode[];
  /** Whole seconds from the supervisor's answer to the end; null when they never answered. */
  seconds: number | null;
  end: SupervisionEnd;
  detail?: string;
}

export type SupervisionTimer = 'ring';

export type SupervisionEffect =
  | { type: 'OriginateSupervisor'; channelId: string; endpoint: string; callerId: string | null; timeoutS: number; appArgs: string }
  | { type: 'CreateBridge'; bridgeId: string }
  | { type: 'Snoop'; snoopChannelId: string; targetChannelId: string; whisper: 'none' | 'out'; appArgs: string }
  | { type: 'AddToBridge'; bridgeId: string; channelId: string }
  | { type: 'MoveToBridge'; channelId: string; from: string; to: string }
  | { type: 'HangupChannel'; channelId: string }
  | { type: 'DestroyBridge'; bridgeId: string }
  | { type: 'StartTimer'; timer: SupervisionTimer; ms: number }
  | { type: 'CancelTimer'; timer: SupervisionTimer }
  | { type: 'RecordSession'; record: SupervisionRecord }
  /** The supervision changed (answered, mode, ended): the supervisor's message follows it. */
  | { type: 'PublishSupervision'; at: number };

export interface SupervisionTransition {
  state: SupervisionState;
  effects: SupervisionEffect[];
}

/** Ours is a safety net behind Asterisk's own originate timeout. */
const RING_GRACE_MS = 5000;

export function initialSupervisionState(plan: SupervisionPlan, requestedAt: number): SupervisionState {
  return {
    plan, ids: supervisionIds(plan.supervisionId), stage: 'ringing', mode: plan.mode, supervisor: { status: 'dialing' },
    snoops: 0, ownBridge: false, modes: [], requestedAt,
  };
}

export function supervisionTransition(state: SupervisionState, event: SupervisionEvent): SupervisionTransition {
  if (state.stage === 'ended') return { state, effects: [] };
  switch (event.type) {
    case 'SupervisionStarted': return onStarted(state);
    case 'ChannelEnteredStasis': return onEnteredStasis(state, event.channelId, event.at);
    case 'ChannelEnded': return onChannelEnded(state, event.channelId, event.at);
    case 'ModeRequested': return onModeRequested(state, event.mode, event.at);
    case 'EndRequested': return end(state, event.at, 'ended_by_supervisor');
    case 'CallEnded': return end(state, event.at, 'call_ended');
    case 'RingTimerExpired': return state.stage === 'ringing' ? end(state, event.at, 'supervisor_no_answer') : { state, effects: [] };
    case 'RequestFailed': return end(state, event.at, 'failed', `${event.request}: ${event.error}`);
  }
}

/** Whether a mode switch to `mode` is possible now. */
export function canSwitchTo(state: SupervisionState, mode: SupervisionMode): boolean {
  return state.stage === 'active' && state.mode !== mode;
}

function onStarted(state: SupervisionState): SupervisionTransition {
  const { plan, ids } = state;
  return {
    state,
    effects: [
      {
        type: 'OriginateSupervisor', channelId: ids.supervisorChannelId, endpoint: plan.endpoint, callerId: plan.callerId,
        timeoutS: plan.ringTimeoutS, appArgs: supervisionAppArgs(plan),
      },
      { type: 'StartTimer', timer: 'ring', ms: plan.ringTimeoutS * 1000 + RING_GRACE_MS },
    ],
  };
}

function onEnteredStasis(state: SupervisionState, channelId: string, at: number): SupervisionTransition {
  const { ids, plan } = state;
  if (channelId === ids.supervisorChannelId && state.stage === 'ringing') {
    // An originated channel enters Stasis once answered.
    let next: SupervisionState = { ...state, stage: 'active', supervisor: { status: 'up' }, answeredAt: at, modes: [{ mode: state.mode, at }] };
    const effects: SupervisionEffect[] = [{ type: 'CancelTimer', timer: 'ring' }];
    if (state.mode === 'barge') {
      effects.push({ type: 'AddToBridge', bridgeId: plan.callBridgeId, channelId: ids.supervisorChannelId });
    } else {
      const snooped = snoop({ ...next, ownBridge: true }, state.mode);
      next = snooped.state;
      effects.push(
        { type: 'CreateBridge', bridgeId: ids.bridgeId },
        { type: 'AddToBridge', bridgeId: ids.bridgeId, channelId: ids.supervisorChannelId },
        ...snooped.effects,
      );
    }
    return { state: next, effects: [...effects, { type: 'PublishSupervision', at }] };
  }
  if (state.snoop && channelId === state.snoop.channelId && !state.snoop.inStasis && state.ownBridge) {
    return {
      state: { ...state, snoop: { ...state.snoop, inStasis: true } },
      effects: [{ type: 'AddToBridge', bridgeId: ids.bridgeId, channelId }],
    };
  }
  return { state, effects: [] };
}

/** A new snoop channel on the agent's leg; whispering speaks in the direction Asterisk sends the agent (`out`). */
function snoop(state: SupervisionState, mode: 'listen' | 'whisper'): SupervisionTransition {
  const n = state.snoops + 1;
  const channelId = snoopChannelId(state.plan.supervisionId, n);
  return {
    state: { ...state, snoops: n, snoop: { channelId, inStasis: false } },
    effects: [{
      type: 'Snoop', snoopChannelId: channelId, targetChannelId: state.plan.agentChannelId, whisper: mode === 'whisper' ? 'out' : 'none',
      appArgs: supervisionAppArgs(state.plan),
    }],
  };
}

function onModeRequested(state: SupervisionState, mode: SupervisionMode, at: number): SupervisionTransition {
  if (!canSwitchTo(state, mode)) return { state, effects: [] };
  const { ids, plan } = state;
  const effects: SupervisionEffect[] = [];
  let next: SupervisionState = { ...state, mode, modes: [...state.modes, { mode, at }] };
  if (state.snoop) effects.push({ type: 'HangupChannel', channelId: state.snoop.channelId });
  const { snoop: _old, ...withoutSnoop } = next;
  next = withoutSnoop;
  if (mode === 'barge') {
    effects.push(
      { type: 'MoveToBridge', channelId: ids.supervisorChannelId, from: ids.bridgeId, to: plan.callBridgeId },
      { type: 'DestroyBridge', bridgeId: ids.bridgeId },
    );
    next = { ...next, ownBridge: false };
  } else {
    if (state.mode === 'barge') {
      effects.push(
        { type: 'CreateBridge', bridgeId: ids.bridgeId },
        { type: 'MoveToBridge', channelId: ids.supervisorChannelId, from: plan.callBridgeId, to: ids.bridgeId },
      );
      next = { ...next, ownBridge: true };
    }
    const snooped = snoop(next, mode);
    next = snooped.state;
    effects.push(...snooped.effects);
  }
  return { state: next, effects: [...effects, { type: 'PublishSupervision', at }] };
}

function onChannelEnded(state: SupervisionState, channelId: string, at: number): SupervisionTransition {
  if (channelId === state.ids.supervisorChannelId) {
    const gone: SupervisionState = { ...state, supervisor: { status: 'ended' } };
    return end(gone, at, state.stage === 'ringing' ? 'supervisor_no_answer' : 'supervisor_left');
  }
  // Only the current snoop: an old one, hung up by a mode switch, ends as asked.
  if (state.snoop && channelId === state.snoop.channelId) {
    const { snoop: _gone, ...rest } = state;
    return end(rest, at, 'agent_left');
  }
  return { state, effects: [] };
}

/** Lets go of everything the supervision made in Asterisk; the call's own bridge and legs are the call's. */
function end(state: SupervisionState, at: number, why: SupervisionEnd, detail?: string): SupervisionTransition {
  const { ids, plan } = state;
  const effects: SupervisionEffect[] = [{ type: 'CancelTimer', timer: 'ring' }];
  if (state.supervisor.status !== 'ended') effects.push({ type: 'HangupChannel', channelId: ids.supervisorChannelId });
  if (state.snoop) effects.push({ type: 'HangupChannel', channelId: state.snoop.channelId });
  if (state.ownBridge) effects.push({ type: 'DestroyBridge', bridgeId: ids.bridgeId });
  const { snoop: _snoop, ...rest } = state;
  const next: SupervisionState = {
    ...rest, stage: 'ended', supervisor: { status: 'ended' }, ownBridge: false, endedAt: at, end: why, ...(detail ? { detail } : {}),
  };
  const record: SupervisionRecord = {
    supervisionId: plan.supervisionId, callId: plan.callId, supervisorTelegramId: plan.supervisorTelegramId,
    modes: state.modes.map((m) => m.mode),
    seconds: state.answeredAt === undefined ? null : Math.round((at - state.answeredAt) / 1000),
    end: why, ...(detail ? { detail } : {}),
  };
  effects.push({ type: 'RecordSession', record }, { type: 'PublishSupervision', at });
  return { state: next, effects };
}

/** How reconciliation recognises a supervision's channels and bridge among everything Asterisk lists. */
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
export const SUPERVISION_CHANNEL_ID = new RegExp(`^${UUID}-(supervisor|snoop\\d+)$`);
export const SUPERVISION_BRIDGE_ID = new RegExp(`^${UUID}-listen$`);
