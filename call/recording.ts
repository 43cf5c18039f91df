/**
 * The call's recording: the main bridge is recorded from the moment the customer is joined with the
 * agent until the call ends (transfers and conferences happen in that bridge, so they are recorded
 * whole). With the route's policy `consent`, the customer first hears the announcement on their own
 * channel, outside the bridge, while the agent hears ringback.
 *
 * | policy  | when                                    | then                                                                           |
 * |---------|-----------------------------------------|--------------------------------------------------------------------------------|
 * | on      | the customer answers (in the bridge)    | connected; StartRecording                                                      |
 * | consent | the customer's channel enters Stasis    | it is NOT put in the bridge; dialed alone                                      |
 * | consent | the customer answers                    | PlayAnnouncement to the customer, announcement timer; the agent keeps ringback |
 * | consent | the announcement finished (or its timer)| the customer joins the bridge, ringback stops: connected; StartRecording      |
 * | consent | it could not be played                  | joined all the same, not recorded: the recording `failed`, with words          |
 * | consent | the customer hangs up meanwhile         | the call ends as a hang-up on answering (two-party.ts); nothing was recorded   |
 * | any     | RecordingPauseRequested, recording      | PauseRecording; paused                                                         |
 * | any     | RecordingPauseRequested, paused         | UnpauseRecording; the paused time added up                                     |
 * | any     | Asterisk refuses record                 | `failed` with Asterisk's words; the call goes on                               |
 * | any     | Asterisk refuses pause / unpause        | the status stays what it was, with Asterisk's words                            |
 * | any     | Asterisk ends the recording on its own  | `stopped` (RecordingFinished) or `failed` (RecordingFailed)                    |
 * | any     | the call ends                           | StopRecording (before the bridge goes); `stopped` at the call's end            |
 *
 * A recording never ends or holds up the call: every failure here only changes what the view says.
 */
import type { CallEffect, CallEvent, CallRecordPatch, CallState, RecordingState, Transition } from './call-state';
import type { RecordingView } from './call-types';
import { unchanged, withLeg } from './leg-state';

/** What the customer hears before being recorded when the route's own announcement was never recorded (Asterisk's core sounds). */
export const DEFAULT_CONSENT_ANNOUNCEMENT = 'sound:conf-now-recording';

/** The longest the customer's announcement may play before they are joined anyway (its PlaybackFinished lost). */
export const ANNOUNCEMENT_MAX_MS = 5 * 60_000;

export type RecordingEvent = Extract<CallEvent, { type: 'PlaybackFinished' | 'RecordingEnded' | 'RecordingRequestFailed' | 'RecordingPauseRequested' }>;

export function isRecordingEvent(event: CallEvent): event is RecordingEvent {
  return event.type === 'PlaybackFinished' || event.type === 'RecordingEnded' || event.type === 'RecordingRequestFailed'
    || event.type === 'RecordingPauseRequested' || (event.type === 'TimerExpired' && event.timer === 'announcement');
}

/** The customer is joined only after the announcement: their channel waits outside the bridge until then. */
export function announcesFirst(state: CallState): boolean {
  return state.plan.recording?.policy === 'consent';
}

/** The recording the joined call starts with under the policy `on` (consent starts it in `join`). */
export function recordOnJoin(state: CallState, at: number): { state: CallState; effects: CallEffect[] } {
  if (state.plan.recording?.policy !== 'on') return { state, effects: [] };
  return startRecording(state, at);
}

/** The customer answered under `consent`: they hear the announcement alone; the agent keeps hearing ringback. */
export function announce(state: CallState, at: number): { state: CallState; effects: CallEffect[] } {
  const { ids } = state;
  return {
    state: { ...state, announcing: true },
    effects: [
      { type: 'CancelTimer', timer: 'target_ring' },
      { type: 'PlayAnnouncement', channelId: ids.targetChannelId, playbackId: ids.announcementId, media: state.plan.recording?.announcement ?? DEFAULT_CONSENT_ANNOUNCEMENT },
      { type: 'StartTimer', timer: 'announcement', ms: ANNOUNCEMENT_MAX_MS },
      // The stage stays as it was; the status message says the customer is hearing the announcement.
      { type: 'PublishUpdate', stage: state.stage, at },
    ],
  };
}

export function onRecordingEvent(state: CallState, event: RecordingEvent | Extract<CallEvent, { type: 'TimerExpired' }>): Transition {
  switch (event.type) {
    case 'PlaybackFinished':
      if (!state.announcing || event.playbackId !== state.ids.announcementId) return unchanged(state);
      return join(state, event.at, event.failed ? 'Asterisk could not play the consent announcement' : undefined);
    case 'TimerExpired':
      return state.announcing ? join(state, event.at) : unchanged(state);
    case 'RecordingRequestFailed':
      return onRequestFailed(state, event);
    case 'RecordingEnded':
      return onEnded(state, event.name, event.failure, event.at);
    case 'RecordingPauseRequested':
      return event.pause ? pause(state, event.at) : unpause(state, event.at);
  }
}

/**
 * The announcement is over: the customer joins the agent, and the recording starts unless consent
 * was not asked. The recorder goes into the bridge first and the customer after it, so the
 * recording holds the customer's first words.
 */
function join(state: CallState, at: number, notAnnounced?: string): Transition {
  const { ids } = state;
  let next: CallState = {
    ...withLeg(state, 'target', { bridge: 'main' }), announcing: false, stage: 'connected', ringbackPlaying: false, times: { ...state.times, connectedAt: at },
  };
  const stopRingback: CallEffect[] = state.ringbackPlaying ? [{ type: 'StopRingback', playbackId: ids.ringbackId }] : [];
  const effects: CallEffect[] = [{ type: 'CancelTimer', timer: 'announcement' }];
  const persist: CallEffect = { type: 'PersistCall', patch: { stage: 'connected', connectedAt: new Date(at) } };
  if (notAnnounced !== undefined) {
    next = { ...next, recording: { name: ids.recordingName, status: 'failed', pausedMs: 0, failure: `${notAnnounced}; the call is not recorded` } };
    effects.push({ type: 'AddToBridge', bridgeId: ids.bridgeId, channelId: ids.targetChannelId }, ...stopRingback, persist);
    return { state: next, effects };
  }
  const started = startRecording(next, at);
  effects.push(
    ...stopRingback, ...started.effects,
    { type: 'AddToBridge', bridgeId: ids.bridgeId, channelId: ids.targetChannelId, afterRecording: true },
    { ...persist, patch: { ...persist.patch, ...recordingPatch(started.state.recording) } },
  );
  return { state: started.state, effects };
}

function startRecording(state: CallState, at: number): { state: CallState; effects: CallEffect[] } {
  const { ids } = state;
  return {
    state: { ...state, recording: { name: ids.recordingName, status: 'recording', startedAt: at, pausedMs: 0 } },
    effects: [{ type: 'StartRecording', bridgeId: ids.bridgeId, name: ids.recordingName }],
  };
}

function pause(state: CallState, at: number): Transition {
  const r = state.recording;
  if (state.stage !== 'connected' || r?.status !== 'recording') return unchanged(state);
  return persisted(withRecording(state, { ...withoutFailure(r), status: 'paused', pausedAt: at }), [{ type: 'PauseRecording', name: r.name }], at);
}

function unpause(state: CallState, at: number): Transition {
  const r = state.recording;
  if (state.stage !== 'connected' || r?.status !== 'paused') return unchanged(state);
  return persisted(withRecording(state, resumed(withoutFailure(r), at)), [{ type: 'UnpauseRecording', name: r.name }], at);
}

function onRequestFailed(state: CallState, event: Extract<CallEvent, { type: 'RecordingRequestFailed' }>): Transition {
  if (event.request === 'announce') {
    // A customer who hung up is the call's end, which their ChannelDestroyed brings.
    if (!state.announcing || event.channelGone) return unchanged(state);
    return join(state, event.at, `Asterisk refused to play the consent announcement (${event.error})`);
  }
  const r = state.recording;
  if (!r || state.stage === 'ended' || r.status === 'failed' || r.status === 'stopped') return unchanged(state);
  let next: RecordingState;
  if (event.request === 'record') next = { ...r, status: 'failed', failure: `Asterisk refused to record: ${event.error}` };
  // Asterisk kept doing what it did: the view says so, and why.
  else if (event.request === 'pause') next = { ...resumed(r, event.at), failure: `Asterisk refused to pause: ${event.error}` };
  else next = { ...r, status: 'paused', pausedAt: event.at, failure: `Asterisk refused to resume: ${event.error}` };
  return persisted(withRecording(state, next), [], event.at);
}

function onEnded(state: CallState, name: string, failure: string | undefined, at: number): Transition {
  const r = state.recording;
  if (!r || r.name !== name || state.stage === 'ended' || (r.status !== 'recording' && r.status !== 'paused')) return unchanged(state);
  const stopped = resumed(r, at);
  const next: RecordingState = failure !== undefined
    ? { ...stopped, status: 'failed', stoppedAt: at, failure: `Asterisk stopped the recording: ${failure}` }
    : { ...stopped, status: 'stopped', stoppedAt: at };
  return persisted(withRecording(state, next), [], at);
}

/** The call ends: a running recording is stopped before its bridge is destroyed, and its view closed. */
export function stopRecordingAtEnd(state: CallState, at: number): { recording?: RecordingState; effects: CallEffect[] } {
  const r = state.recording;
  if (!r) return { effects: [] };
  if (r.status !== 'recording' && r.status !== 'paused') return { recording: r, effects: [] };
  return { recording: { ...resumed(r, at), status: 'stopped', stoppedAt: at }, effects: [{ type: 'StopRecording', name: r.name }] };
}

/**
 * What the Call row keeps of the recording while the call runs, for a restart or a take-over to
 * resume it (call-resume.ts): its name and pause state; a failed one leaves nothing to resume.
 */
export function recordingPatch(r: RecordingState | undefined): CallRecordPatch {
  if (!r) return {};
  if (r.status === 'failed') return { recordingName: null, recordingStartedAt: null, recordingPausedMs: null, recordingPausedAt: null };
  return {
    recordingName: r.name,
    recordingStartedAt: r.startedAt !== undefined ? new Date(r.startedAt) : null,
    recordingPausedMs: r.pausedMs,
    recordingPausedAt: r.pausedAt !== undefined ? new Date(r.pausedAt) : null,
  };
}

/** What the Call row recorded of the call's recording, as resuming reads it back (call-resume.ts). */
export interface RecordedRecording {
  name: string;
  startedAt?: number;
  pausedMs: number;
  /** Set while paused. */
  pausedAt?: number;
}

/** The recording a resumed call carries on: still running in Asterisk, or paused there, as its row last said. */
export function resumedRecording(recorded: RecordedRecording): RecordingState {
  return {
    name: recorded.name,
    status: recorded.pausedAt !== undefined ? 'paused' : 'recording',
    ...(recorded.startedAt !== undefined ? { startedAt: recorded.startedAt } : {}),
    pausedMs: recorded.pausedMs,
    ...(recorded.pausedAt !== undefined ? { pausedAt: recorded.pausedAt } : {}),
  };
}

/** What a call update says of the recording. */
export function recordingView(r: RecordingState): RecordingView {
  return {
    name: r.name,
    status: r.status,
    ...(r.startedAt !== undefined ? { startedAt: r.startedAt } : {}),
    ...(r.stoppedAt !== undefined ? { stoppedAt: r.stoppedAt } : {}),
    pausedMs: r.pausedMs,
    ...(r.failure !== undefined ? { failure: r.failure } : {}),
  };
}

/** Whether the call's agent may pause or resume its recording now, and which of the two. */
export function recordingToggle(state: CallState): 'pause' | 'resume' | undefined {
  if (state.stage !== 'connected') return undefined;
  if (state.recording?.status === 'recording') return 'pause';
  if (state.recording?.status === 'paused') return 'resume';
  return undefined;
}

/** Running again from `at`: the pause so far is added up. */
function resumed(r: RecordingState, at: number): RecordingState {
  const { pausedAt, ...rest } = r;
  if (pausedAt === undefined) return r;
  return { ...rest, status: 'recording', pausedMs: r.pausedMs + Math.max(0, at - pausedAt) };
}

function withoutFailure(r: RecordingState): RecordingState {
  const { failure: _failure, ...rest } = r;
  return rest;
}

function withRecording(state: CallState, recording: RecordingState): CallState {
  return { ...state, recording };
}

/** Published, and written to the Call row so a resumed call carries the recording as it is now. */
function persisted(state: CallState, effects: CallEffect[], at: number): Transition {
  return { state, effects: [...effects, { type: 'PersistCall', patch: recordingPatch(state.recording) }, { type: 'PublishUpdate', stage: state.stage, at }] };
}
