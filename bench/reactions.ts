/** Pairs the simulator's marks into reactions: from an event sent to the request the app sent for it. */
import { DIAL_HOLD_MS } from '../call/call-machine';
import type { HandedKey, ReactionPath, WrittenKey } from './app-tap';
import type { MarkPairs, SimMarks } from './sim-protocol';
import { intervals, ms, summarize, type Summary } from './stats';

/**
 * BENCH_TAIL=1 prints each reaction's six slowest samples with the epoch ms their event was sent:
 * samples of several rows at the same moment are one stall (a GC pause, the VM), not the app's handling.
 */
const TAIL = process.env.BENCH_TAIL === '1';

const onlyLeg = (pairs: MarkPairs, leg: 'agent' | 'target'): MarkPairs => pairs.filter(([id]) => id.endsWith(`-${leg}`));
const callOf = (channelId: string): string => channelId.replace(/-(agent|target)$/, '');

export interface Reaction {
  name: string;
  summary: Summary;
  unpaired: number;
  /** Each paired interval with the app's keys for it, for BENCH_SPLIT. */
  paths: ReactionPath[];
}

/** The app-side marks between a `from` id and its `to` key (see app-tap.ts). */
type AppKeys = (fromId: string, toKey: string) => { handed: HandedKey; written: WrittenKey };

function reaction(name: string, from: MarkPairs, to: MarkPairs, key: (id: string) => string | undefined, appKeys: AppKeys): Reaction {
  const r = intervals(from, to, key);
  const later = new Map(to);
  const paths: ReactionPath[] = [];
  for (const [id, sentAt] of from) {
    const toKey = key(id);
    const parsedAt = toKey === undefined ? undefined : later.get(toKey);
    if (toKey !== undefined && parsedAt !== undefined && parsedAt >= sentAt) paths.push({ sentAt, parsedAt, ...appKeys(id, toKey) });
  }
  if (TAIL) {
    const slowest = paths.map((x) => [x.parsedAt - x.sentAt, x.sentAt] as const).sort((a, b) => b[0] - a[0]).slice(0, 6);
    process.stdout.write(`slowest of ${name}: ${slowest.map(([v, t]) => `${ms(v)} ms at ${t.toFixed(0)}`).join(', ')}\n`);
  }
  return { name, summary: summarize(r.values), unpaired: r.unpaired + r.negative, paths };
}

const same = (id: string): string => id;

/** ChannelDestroyed of the leg that ended first (not by the app's own DELETE) → DELETE of the other leg. */
export function teardownReaction(marks: SimMarks): Reaction {
  return reaction('ChannelDestroyed (one leg) → DELETE other leg', firstGoneByFarEnd(marks), marks.deleteChannel, otherLeg,
    (gone, other) => ({ handed: `ChannelDestroyed:${gone}`, written: `hangup:${other}` }));
}

/** Per call, the ChannelDestroyed of the leg that ended first, if the app did not end it itself. */
function firstGoneByFarEnd(marks: SimMarks): MarkPairs {
  const deleted = new Map(marks.deleteChannel);
  const firstGone = new Map<string, [string, number]>();
  for (const [channelId, t] of marks.channelDestroyed) {
    const call = callOf(channelId);
    const seen = firstGone.get(call);
    if (seen === undefined || t < seen[1]) firstGone.set(call, [channelId, t]);
  }
  return [...firstGone.values()].filter(([channelId]) => !deleted.has(channelId));
}

const otherLeg = (channelId: string): string => (channelId.endsWith('-agent') ? `${callOf(channelId)}-target` : `${callOf(channelId)}-agent`);

/**
 * Per agent channel, when the app may add it: once it is in Stasis and the call's hold for the
 * target's dial is over (DIAL_HOLD_MS after the dial was asked, or the target's first progress if
 * sooner; the call machine's holdAfterDial). The dial is asked on the agent's answer, so "answer sent + hold"
 * is a lower bound of when the hold ends: the reaction measured from it is never flattered.
 */
function agentJoinTriggers(marks: SimMarks): MarkPairs {
  const answeredAt = new Map(marks.agentAnswer);
  const progressAt = new Map(marks.targetProgress);
  return onlyLeg(marks.stasisStart, 'agent').map(([channel, inStasisAt]) => {
    const call = callOf(channel);
    const holdEnds = Math.min((answeredAt.get(call) ?? -Infinity) + DIAL_HOLD_MS, progressAt.get(call) ?? Infinity);
    return [channel, Math.max(inStasisAt, holdEnds)];
  });
}

const stasisToAdd: AppKeys = (channel) => ({ handed: `StasisStart:${channel}`, written: `addChannel:${channel}` });

/** The agent's addChannel from its StasisStart alone: it includes the call's hold for the dial. */
export function agentJoinFromStasis(marks: SimMarks): Reaction {
  return reaction('agent StasisStart → addChannel(agent), with the hold for the dial', onlyLeg(marks.stasisStart, 'agent'), marks.addChannel, same,
    stasisToAdd);
}

export function setupReactions(marks: SimMarks): Reaction[] {
  return [
    reaction('agent answer → POST target dial', marks.agentAnswer, marks.targetDial, same,
      (call) => ({ handed: `answer:${call}-agent`, written: `dial:${call}-target` })),
    // BENCH_SPLIT's "in" for this row runs from the StasisStart, so it includes the hold.
    reaction('agent in Stasis, hold over → addChannel(agent)', agentJoinTriggers(marks), marks.addChannel, same, stasisToAdd),
    reaction('target StasisStart → addChannel(target)', onlyLeg(marks.stasisStart, 'target'), marks.addChannel, same, stasisToAdd),
    reaction('target answer → DELETE ringback playback', marks.targetAnswer, marks.stopPlayback, same,
      (call) => ({ handed: `answer:${call}-target`, written: `stopPlayback:${call}-ringback` })),
  ];
}
