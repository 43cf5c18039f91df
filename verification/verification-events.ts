import type { AriEvent } from '../ari/ari-port';
import type { VerificationEvent } from './verification-machine';

/** The verification machine's event for an ARI event on a verification call's channel. */
export function toVerificationEvent(event: AriEvent, at: number): VerificationEvent | undefined {
  switch (event.type) {
    case 'StasisStart':
      return { type: 'Answered', at };
    case 'ChannelStateChange':
      if (event.channelState === 'Up') return { type: 'Answered', at };
      if (event.channelState === 'Ringing' || event.channelState === 'Ring') return { type: 'Ringing', at };
      return undefined;
    case 'Dial':
      if (event.dialstatus === 'ANSWER') return { type: 'Answered', at };
      if (event.dialstatus === 'RINGING' || event.dialstatus === 'PROGRESS') return { type: 'Ringing', at };
      return undefined;
    case 'ChannelDestroyed':
      return { type: 'Ended', cause: event.cause, at };
    case 'ChannelDtmfReceived':
      return { type: 'Dtmf', digit: event.digit, at };
    case 'ChannelHangupRequest':
    case 'StasisEnd':
      return undefined;
  }
}
