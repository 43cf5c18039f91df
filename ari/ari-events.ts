/**
 * Reading ARI's events, in one place: a WebSocket message becomes an AriEvent (only the events and
 * fields the engine reads), and an AriEvent becomes the call machine's event for the leg that owns
 * the channel (or a verification call's event). Asterisk's view re-read after a gap is read back by
 * call/read-back.ts.
 */
import type { CallEvent } from '../call/call-machine';
import type { LegId } from '../call/call-types';
import type { AriChannelEvent, AriEvent, AriMediaEvent, ChannelState } from './ari-port';

/** One ARI event from a WebSocket message: a JSON object, or why it is not one. */
export function readAriEvent(data: Buffer): { event: Record<string, unknown> } | { unreadable: string } {
  let event: unknown;
  try {
    event = JSON.parse(data.toString('utf8'));
  } catch {
    return { unreadable: 'message is not JSON' };
  }
  if (event === null || typeof event !== 'object' || Array.isArray(event)) return { unreadable: 'message is not a JSON object' };
  return { event: event as Record<string, unknown> };
}

const TYPE_KEY = Buffer.from('"type":');
const QUOTE = 0x22;
const SPACE = 0x20;

/**
 * An event's type read from its raw text without parsing it, or undefined when it cannot be seen.
 * No object inside an ARI event has a "type" key (bridges say bridge_type), and a quote inside a
 * JSON string is escaped, so the first `"type":` in the text is the event's own.
 */
export function peekEventType(data: Buffer): string | undefined {
  const key = data.indexOf(TYPE_KEY);
  if (key < 0) return undefined;
  let start = key + TYPE_KEY.length;
  while (data[start] === SPACE) start += 1;
  if (data[start] !== QUOTE) return undefined;
  const end = data.indexOf(QUOTE, start + 1);
  if (end < 0 || end - start > 64) return undefined;
  return data.toString('latin1', start + 1, end);
}

interface RawEvent {
  type?: string;
  channel?: { id?: string; state?: string; caller?: { number?: string } };
  peer?: { id?: string };
  args?: string[];
  dialstatus?: string;
  cause?: number;
  cause_txt?: string;
  soft?: boolean;
  digit?: string;
  playback?: { id?: string; state?: string };
  recording?: { name?: string; cause?: string };
}

/**
 * The event types the adapter reads; the rest (ChannelVarset alone is 20 of a call's ~50 events)
 * are dropped before JSON.parse when their type can be seen in the raw text.
 */
export const READ_EVENTS: ReadonlySet<string> = new Set([
  'StasisStart', 'StasisEnd', 'ChannelStateChange', 'Dial', 'ChannelHangupRequest', 'ChannelDestroyed', 'ChannelDtmfReceived',
  'ApplicationReplaced',
  // The consent announcement's end and the call's recording (call/recording.ts).
  'PlaybackFinished', 'RecordingStarted', 'RecordingFinished', 'RecordingFailed',
]);

/** Keeps only the events and fields the engine reads. */
export function toAriEvent(raw: unknown): AriEvent | undefined {
  const e = raw as RawEvent;
  const channelId = e.channel?.id;
  switch (e.type) {
    case 'StasisStart':
      if (!channelId) return undefined;
      return {
        type: 'StasisStart', channelId, channelState: (e.channel?.state ?? 'Unknown') as ChannelState, args: e.args ?? [],
        // An inbound call's caller (the customer calling back); empty for channels we made without one.
        ...(e.channel?.caller?.number ? { callerNumber: e.channel.caller.number } : {}),
      };
    case 'StasisEnd':
      return channelId ? { type: 'StasisEnd', channelId } : undefined;
    case 'ChannelStateChange':
      return channelId ? { type: 'ChannelStateChange', channelId, channelState: (e.channel?.state ?? 'Unknown') as ChannelState } : undefined;
    case 'Dial':
      return e.peer?.id ? { type: 'Dial', channelId: e.peer.id, dialstatus: e.dialstatus ?? '' } : undefined;
    case 'ChannelHangupRequest':
      return channelId ? { type: 'ChannelHangupRequest', channelId, cause: e.cause ?? null, soft: e.soft === true } : undefined;
    case 'ChannelDestroyed':
      return channelId ? { type: 'ChannelDestroyed', channelId, cause: e.cause ?? null, causeText: e.cause_txt ?? null } : undefined;
    case 'ChannelDtmfReceived':
      return channelId && e.digit ? { type: 'ChannelDtmfReceived', channelId, digit: e.digit } : undefined;
    case 'PlaybackFinished':
      return e.playback?.id ? { type: 'PlaybackFinished', playbackId: e.playback.id, failed: e.playback.state === 'failed' } : undefined;
    case 'RecordingStarted':
    case 'RecordingFinished':
      return e.recording?.name ? { type: e.type, name: e.recording.name } : undefined;
    case 'RecordingFailed':
      return e.recording?.name ? { type: 'RecordingFailed', name: e.recording.name, cause: e.recording.cause ?? null } : undefined;
    default:
      return undefined;
  }
}

/** The machine's event for an ARI event about one of the call's playbacks or its recording; undefined for what it does not read. */
export function toMediaCallEvent(event: AriMediaEvent, at: number): CallEvent | undefined {
  switch (event.type) {
    case 'PlaybackFinished':
      return { type: 'PlaybackFinished', playbackId: event.playbackId, failed: event.failed, at };
    case 'RecordingFinished':
      return { type: 'RecordingEnded', name: event.name, at };
    case 'RecordingFailed':
      return { type: 'RecordingEnded', name: event.name, failure: event.cause ?? 'no cause given', at };
    case 'RecordingStarted':
      return undefined;
  }
}

/**
 * The machine's event for an ARI event on a leg's channel; undefined for what the machine does not read.
 * `inbound`: the channel came in through the dialplan (a return call's customer). Hung up, it leaves
 * the app (ChannelHangupRequest, StasisEnd) and Asterisk sends its ChannelDestroyed to no app (seen
 * on 18.9-cert4): for such a channel the hangup is its end.
 */
export function toCallEvent(event: AriChannelEvent, leg: LegId, at: number, inbound = false): CallEvent | undefined {
  switch (event.type) {
    case 'StasisStart':
      return { type: 'LegEnteredStasis', leg, at };
    case 'ChannelStateChange':
      if (event.channelState === 'Up') return { type: 'LegAnswered', leg, at };
      if (event.channelState === 'Ringing' || event.channelState === 'Ring') return { type: 'LegRinging', leg, at };
      return undefined;
    case 'Dial':
      if (event.dialstatus === 'ANSWER') return { type: 'LegAnswered', leg, at };
      if (event.dialstatus === 'RINGING') return { type: 'LegRinging', leg, at };
      // 183 (or 180) with SDP: the far end's network sends audio before the answer. The bundle's trunks
      // ignore a 183 without SDP (ignore_183_without_sdp), so PROGRESS means there is audio to hear.
      if (event.dialstatus === 'PROGRESS') return { type: 'LegRinging', leg, at, earlyMedia: true };
      return undefined;
    case 'ChannelDestroyed':
      return { type: 'LegEnded', leg, cause: event.cause, causeText: event.causeText, at };
    case 'ChannelDtmfReceived':
      return { type: 'DtmfReceived', leg, digit: event.digit, at };
    case 'ChannelHangupRequest':
      return inbound && !event.soft ? { type: 'LegEnded', leg, cause: event.cause, causeText: null, at } : undefined;
    case 'StasisEnd':
      return inbound ? { type: 'LegEnded', leg, cause: null, causeText: null, at } : undefined;
  }
}
