/**
 * The IPC protocol between the engine benchmark (the app's process) and the ARI simulator it runs
 * in a child process (sim-process.ts). Only control messages cross it; every timing mark is taken
 * and kept inside the simulator's process and handed over in bulk between phases, so IPC never
 * sits between an event and the request it causes.
 */

/** What a far end does with the INVITE of one leg. */
export type LegBehaviour =
  | { kind: 'answer'; ringMs: number; hangupAfterMs?: number }
  /** The k-th INVITE of this leg (k = 0, 1, …) answers at `startEpochMs + k * stepMs`. */
  | { kind: 'answer-at'; startEpochMs: number; stepMs: number; hangupAfterMs?: number }
  | { kind: 'ring-forever' };

export type SimCommand =
  | { kind: 'far-end'; agent: LegBehaviour; target: LegBehaviour }
  /** The far end sends BYE on each channel, the i-th at i * spreadMs / n after the command. */
  | { kind: 'hangup'; channelIds: string[]; spreadMs: number }
  /** Hands over the marks taken since the last `marks` and starts a new window. */
  | { kind: 'marks' }
  | { kind: 'channel-count' }
  /** Forget every channel, bridge and log (only between phases, with no call live). */
  | { kind: 'reset' }
  | { kind: 'stop' };

export interface SimRequest {
  id: number;
  command: SimCommand;
}

/** Epoch-based times (performance.timeOrigin + performance.now()), in ms with µs resolution. */
export type MarkPairs = Array<[id: string, t: number]>;

export interface SimMarks {
  /** By call id: the first of the agent leg's ChannelStateChange Up and Dial ANSWER, as sent. */
  agentAnswer: MarkPairs;
  /** By call id: the same for the target leg. */
  targetAnswer: MarkPairs;
  /** By channel id: StasisStart as sent. */
  stasisStart: MarkPairs;
  /** By channel id: ChannelDestroyed as sent. */
  channelDestroyed: MarkPairs;
  /** By call id: the target's dial (POST /ari/channels/<call>-target/dial) as it arrived. */
  targetDial: MarkPairs;
  /** By call id: the target's first progress event after its dial (ringing, answer or ChannelDestroyed) as sent. */
  targetProgress: MarkPairs;
  /** By channel id: POST /ari/bridges/{id}/addChannel as it arrived. */
  addChannel: MarkPairs;
  /** By call id: DELETE /ari/playbacks/<call>-ringback as it arrived. */
  stopPlayback: MarkPairs;
  /** By channel id: the first DELETE /ari/channels/{id} as it arrived. */
  deleteChannel: MarkPairs;
  /** Far-end answers whose slot had already passed when the INVITE arrived (answer-at only). */
  lateAnswers: number;
  eventsSent: number;
  requestsReceived: number;
  /** The simulator process's own load over the window, to show it was not the bottleneck. */
  sim: { cpuMs: number; wallMs: number; loopDelayP99Ms: number; loopDelayMaxMs: number };
}

export type SimResult =
  | { kind: 'ok' }
  | { kind: 'marks'; marks: SimMarks }
  | { kind: 'channel-count'; count: number };

export type SimMessage =
  | { kind: 'ready'; url: string; username: string; password: string }
  | { kind: 'reply'; id: number; result: SimResult }
  | { kind: 'error'; id: number; message: string };

/** Agent phones are +1555…, targets anything else: how the child tells the legs apart. */
export const AGENT_PHONE_PREFIX = '+1555';
