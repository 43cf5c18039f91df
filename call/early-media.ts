/**
 * Early media: the customer's network answers the dial with audio of its own before the customer
 * answers (183 Session Progress, or 180, with SDP; ARI's Dial PROGRESS): its ringback, or an
 * announcement such as "the number you called is not in service". The customer's channel waits in
 * the call's bridge while it is dialed (docs/target-created-in-bridge.md), so that audio reaches the
 * agent through the bridge once callbot's own ringback, which covers it, is stopped. Without early
 * media nothing changes: the agent hears `tone:ring` until the answer.
 */
import type { CallEffect, CallState, Transition } from './call-state';
import { leg } from './leg-state';

/**
 * `ringing` is what the machine decided for the leg's ringing; on the customer's first early media
 * it also stops the ringback and remembers when, for the status message. Under the consent policy
 * the customer is dialed outside the bridge, so the agent could not hear its network: the ringback stays.
 */
export function withEarlyMedia(before: CallState, ringing: Transition, at: number): Transition {
  const { state } = ringing;
  if (state.earlyMediaAt !== undefined || (state.stage !== 'target_dialing' && state.stage !== 'target_ringing')) return ringing;
  if (leg(state, 'target').bridge !== 'main') return ringing;
  const effects: CallEffect[] = [...ringing.effects];
  if (state.ringbackPlaying) effects.push({ type: 'StopRingback', playbackId: state.ids.ringbackId });
  // A 180 then a 183 leaves the stage as it was: the status message still hears of it.
  if (state.stage === before.stage) effects.push({ type: 'PublishUpdate', stage: state.stage, at });
  return { state: { ...state, earlyMediaAt: at, ringbackPlaying: false }, effects };
}

/** Whether the agent should hear callbot's ringback: not once the customer's network plays its own. */
export function wantsRingback(state: CallState): boolean {
  return state.earlyMediaAt === undefined;
}
