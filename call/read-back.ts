/**
 * What Asterisk shows of a call, read back into the machine's events: the one path for every time
 * the app could not follow a call's events and must catch up from Asterisk's present view. Whether
 * the call was followed until the gap decides what a gone channel means:
 * - followed (the event socket dropped and reconnected): the app saw everything up to the gap,
 *   so a leg gone meanwhile simply ended, with a cause nobody heard;
 * - not followed (a call taken over from a stopped instance, on a server owner's start-up or any
 *   later connect): nothing says when or how the leg went, so the machine decides what a leg gone
 *   unseen means (LegGoneUnseen). A single instance's start-up reads nothing back: it ends the rows
 *   a previous process left live as interrupted (engine/reconcile.ts).
 *
 *   the call / its leg (live: not idle, not ended)   Asterisk shows               events
 *   ──────────────────────────────────────────────   ──────────────────────────   ─────────────────────────────────────────
 *   the call has ended                               anything                     none
 *   leg idle (not asked for yet) or ended            anything                     none
 *   live leg                                         channel gone, followed       LegEnded (cause null, "gone while ARI was disconnected")
 *   live leg                                         channel gone, not followed   LegGoneUnseen
 *   leg dialing                                      channel Ringing (or Ring)    LegRinging (its event was missed)
 *   live leg, not up                                 channel Up                   LegAnswered
 *   live leg, not in Stasis                          channel in Stasis            LegEnteredStasis (after LegAnswered)
 *   live leg, up / in Stasis                         the same                     none
 *   live leg                                         channel not read             none
 *   a bridge the call asked for                      bridge gone                  RequestFailed 'bridge' (both modes; ends a live call as failed)
 *   a bridge the call asked for                      bridge present               none, whichever members it lists: a
 *                                                                                 leg the state counts in it is there or
 *                                                                                 its AddToBridge still answers for it
 *   a bridge the call asked for                      bridge not read              none
 *
 * Order: the legs in the call's order, each leg's events as listed; then the bridges. A channel's
 * other states (Down, or Ringing once the leg is past dialing) say nothing the machine does not know
 * already. The take-over builds
 * its legs' Stasis flags from the bridge's members before reading back (call-resume.ts).
 */
import { callBridges, callEnded, callLegs } from './call-legs';
import type { CallEvent, CallState } from './call-machine';

/** One channel as Asterisk lists it now; null when it is gone. */
export interface ChannelView {
  state: string;
  inStasis: boolean;
}

/** One bridge as Asterisk lists it now; null when it is gone. */
export interface BridgeView {
  members: readonly string[];
}

/** What Asterisk said of the call's channels and bridges, by id; an id not read is left out. */
export interface AsteriskView {
  channels: Readonly<Record<string, ChannelView | null>>;
  bridges: Readonly<Record<string, BridgeView | null>>;
}

/** The events `view` stands for (see the table above), at `at`; `followed`: the app followed the call until the gap. */
export function readBack(state: CallState, view: AsteriskView, followed: boolean, at: number): CallEvent[] {
  if (callEnded(state)) return [];
  const events: CallEvent[] = [];
  for (const leg of callLegs(state)) {
    if (leg.status === 'idle' || leg.status === 'ended') continue;
    const channel = view.channels[leg.channelId];
    if (channel === undefined) continue;
    if (channel === null) {
      events.push(followed
        ? { type: 'LegEnded', leg: leg.legId, cause: null, causeText: 'gone while ARI was disconnected', at }
        : { type: 'LegGoneUnseen', leg: leg.legId, at });
      continue;
    }
    // A leg that rang while nobody followed it (a restart before its ringing was written, events lost in a gap).
    if ((channel.state === 'Ringing' || channel.state === 'Ring') && leg.status === 'dialing') events.push({ type: 'LegRinging', leg: leg.legId, at });
    if (channel.state === 'Up' && leg.status !== 'up') events.push({ type: 'LegAnswered', leg: leg.legId, at });
    if (channel.inStasis && !leg.inStasis) events.push({ type: 'LegEnteredStasis', leg: leg.legId, at });
  }
  for (const bridgeId of callBridges(state)) {
    if (view.bridges[bridgeId] !== null) continue;
    const error = followed ? 'the bridge was gone when ARI reconnected' : 'the bridge was gone when the call was taken over';
    events.push({ type: 'RequestFailed', request: 'bridge', error, at });
  }
  return events;
}

/** The ids whose view readBack needs: every live leg's channel and every bridge of the call. */
export function idsToRead(state: CallState): { channelIds: string[]; bridgeIds: string[] } {
  if (callEnded(state)) return { channelIds: [], bridgeIds: [] };
  return {
    channelIds: callLegs(state).filter((l) => l.status !== 'idle' && l.status !== 'ended').map((l) => l.channelId),
    bridgeIds: [...callBridges(state)],
  };
}
