/**
 * The order a call's ARI requests must keep. The runner sends each request as soon as the machine
 * asks for it, without waiting for earlier answers, except where a request needs an earlier one of
 * the same call: these rules say which, and what happens when that one failed.
 */
import type { CallEffect } from './call-machine';
import { isConsultBridge } from './call-ids';

/** A request of one call that later requests can wait for. */
export type RequestKey =
  | { kind: 'make'; channelId: string }
  | { kind: 'join'; channelId: string }
  | { kind: 'bridge' }
  | { kind: 'consult' }
  | { kind: 'ringback' }
  | { kind: 'hold_music' }
  | { kind: 'recording' };

export type AriRequestEffect = Extract<CallEffect, {
  type: 'OriginateLeg' | 'CreateLeg' | 'DialLeg' | 'CreateBridge' | 'AddToBridge' | 'MoveToBridge' | 'StartRingback' | 'StopRingback'
    | 'StartHoldMusic' | 'StopHoldMusic' | 'HangupLeg' | 'DestroyBridge'
    | 'PlayAnnouncement' | 'StartRecording' | 'PauseRecording' | 'UnpauseRecording' | 'StopRecording'
    | 'RingLeg' | 'AnswerLeg';
}>;

/**
 * `after`: the request goes once those have settled (the ones the call asked for; the rest are not
 * waited for). `onFailure`: `send` anyway (the later request's own answer decides), or `skip` it
 * (an earlier failure already decides the call).
 */
export interface Prerequisite {
  after: readonly RequestKey[];
  onFailure: 'send' | 'skip';
}

/** The main bridge, or the consultation's. */
function bridgeKey(bridgeId: string): RequestKey {
  return isConsultBridge(bridgeId) ? { kind: 'consult' } : { kind: 'bridge' };
}

/** The key later requests name this request by, if any can wait for it. */
export function requestKeyOf(effect: AriRequestEffect): RequestKey | undefined {
  switch (effect.type) {
    case 'OriginateLeg':
    case 'CreateLeg': return { kind: 'make', channelId: effect.channelId };
    case 'CreateBridge': return bridgeKey(effect.bridgeId);
    // A move is a join too: a ringback or dial of that channel waits for it.
    case 'AddToBridge':
    case 'MoveToBridge': return { kind: 'join', channelId: effect.channelId };
    // One ringback plays at a time (the target's, or one added leg's): a stop names the latest start.
    case 'StartRingback': return { kind: 'ringback' };
    case 'StartHoldMusic': return { kind: 'hold_music' };
    case 'StartRecording': return { kind: 'recording' };
    default: return undefined;
  }
}

export function prerequisiteOf(effect: AriRequestEffect): Prerequisite | undefined {
  switch (effect.type) {
    // A channel can only join a bridge that exists.
    // A customer joining after the consent announcement waits for the recorder (which waits for the bridge).
    case 'AddToBridge': return effect.afterRecording ? { after: [{ kind: 'recording' }], onFailure: 'send' } : { after: [bridgeKey(effect.bridgeId)], onFailure: 'send' };
    case 'MoveToBridge': return { after: [bridgeKey(effect.to)], onFailure: 'send' };
    // Only in the bridge does Asterisk run the dial at once; if the join failed, its error ends the call (or the added leg).
    case 'DialLeg': return { after: [{ kind: 'join', channelId: effect.channelId }], onFailure: 'skip' };
    case 'StartRingback': return { after: [{ kind: 'join', channelId: effect.channelId }], onFailure: 'send' };
    case 'StopRingback': return { after: [{ kind: 'ringback' }], onFailure: 'send' };
    case 'StopHoldMusic': return { after: [{ kind: 'hold_music' }], onFailure: 'send' };
    // A hangup racing its own originate would find nothing and leave the new channel behind; nor
    // does it race the channel's join into a bridge, which Asterisk runs on the channel's own thread.
    case 'HangupLeg': return { after: [{ kind: 'make', channelId: effect.channelId }, { kind: 'join', channelId: effect.channelId }], onFailure: 'send' };
    case 'DestroyBridge': return { after: [bridgeKey(effect.bridgeId)], onFailure: 'send' };
    // A bridge is recorded once it exists; a recording that never started has nothing to pause or stop.
    case 'StartRecording': return { after: [bridgeKey(effect.bridgeId)], onFailure: 'skip' };
    case 'PauseRecording':
    case 'UnpauseRecording':
    case 'StopRecording': return { after: [{ kind: 'recording' }], onFailure: 'skip' };
    default: return undefined;
  }
}

/** One string per key, for the runner's map of requests in flight. */
export function requestKeyName(key: RequestKey): string {
  return 'channelId' in key ? `${key.kind}:${key.channelId}` : key.kind;
}
