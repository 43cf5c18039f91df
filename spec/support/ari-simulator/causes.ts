/**
 * Q.850 hangup causes as Asterisk 18 names them (main/channel.c), the `reason` words of
 * DELETE /channels/{id}, and how main/dial.c turns a cause into a Dial event's `dialstatus`.
 */

export const CAUSE = {
  UNKNOWN: 0,
  UNALLOCATED: 1,
  NO_ROUTE_DESTINATION: 3,
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  CALL_REJECTED: 21,
  ANSWERED_ELSEWHERE: 26,
  INVALID_NUMBER_FORMAT: 28,
  NORMAL_UNSPECIFIED: 31,
  /** Also the value ChannelHangupRequest reports for an ARI hangup: the AST_SOFTHANGUP_EXPLICIT flag, with soft: true. */
  SOFTHANGUP_EXPLICIT: 32,
  CONGESTION: 34,
  NETWORK_OUT_OF_ORDER: 38,
  BEARERCAPABILITY_NOTAVAIL: 58,
  INTERWORKING: 127,
} as const;

const CAUSE_TEXT: ReadonlyMap<number, string> = new Map([
  [0, 'Unknown'],
  [1, 'Unallocated (unassigned) number'],
  [2, 'No route to specified transmit network'],
  [3, 'No route to destination'],
  [6, 'Channel unacceptable'],
  [7, 'Call awarded and being delivered in an established channel'],
  [16, 'Normal Clearing'],
  [17, 'User busy'],
  [18, 'No user responding'],
  [19, 'User alerting, no answer'],
  [20, 'Subscriber absent'],
  [21, 'Call Rejected'],
  [22, 'Number changed'],
  [23, 'Redirected to new destination'],
  [26, 'Answered elsewhere'],
  [27, 'Destination out of order'],
  [28, 'Invalid number format'],
  [29, 'Facility rejected'],
  [30, 'Response to STATus ENQuiry'],
  [31, 'Normal, unspecified'],
  [34, 'Circuit/channel congestion'],
  [38, 'Network out of order'],
  [41, 'Temporary failure'],
  [42, 'Switching equipment congestion'],
  [43, 'Access information discarded'],
  [44, 'Requested channel not available'],
  [50, 'Facility not subscribed'],
  [52, 'Outgoing call barred'],
  [54, 'Incoming call barred'],
  [57, 'Bearer capability not authorized'],
  [58, 'Bearer capability not available'],
  [65, 'Bearer capability not implemented'],
  [66, 'Channel not implemented'],
  [69, 'Facility not implemented'],
  [81, 'Invalid call reference value'],
  [88, 'Incompatible destination'],
  [95, 'Invalid message unspecified'],
  [96, 'Mandatory information element is missing'],
  [97, 'Message type nonexist.'],
  [98, 'Wrong message'],
  [99, 'Info. element nonexist or not implemented'],
  [100, 'Invalid information element contents'],
  [101, 'Message not compatible with call state'],
  [102, 'Recover on timer expiry'],
  [111, 'Protocol error, unspecified'],
  [127, 'Interworking, unspecified'],
]);

/** ast_cause2str(): unknown numbers read "Unknown", as in Asterisk. */
export function causeText(cause: number): string {
  return CAUSE_TEXT.get(cause) ?? 'Unknown';
}

/** The `reason` words DELETE /channels/{id} accepts in 18.9 and the cause each sets. */
const HANGUP_REASONS: ReadonlyMap<string, number> = new Map([
  ['normal', CAUSE.NORMAL_CLEARING],
  ['busy', CAUSE.USER_BUSY],
  ['congestion', CAUSE.CONGESTION],
  ['no_answer', CAUSE.NO_ANSWER],
  ['timeout', CAUSE.NO_USER_RESPONSE],
  ['rejected', CAUSE.CALL_REJECTED],
  ['unallocated', CAUSE.UNALLOCATED],
  ['normal_unspecified', CAUSE.NORMAL_UNSPECIFIED],
  ['number_incomplete', CAUSE.INVALID_NUMBER_FORMAT],
  ['codec_mismatch', CAUSE.BEARERCAPABILITY_NOTAVAIL],
  ['interworking', CAUSE.INTERWORKING],
  ['failure', CAUSE.NETWORK_OUT_OF_ORDER],
  ['answered_elsewhere', CAUSE.ANSWERED_ELSEWHERE],
]);

export function hangupReasonCause(reason: string): number | undefined {
  return HANGUP_REASONS.get(reason);
}

/** ast_hangup_cause_to_dial_status(): what an originate's final Dial event says for a cause. */
export function dialStatusForCause(cause: number): string {
  switch (cause) {
    case CAUSE.USER_BUSY:
      return 'BUSY';
    case CAUSE.CONGESTION:
      return 'CONGESTION';
    case CAUSE.NO_ROUTE_DESTINATION:
    case 20: // AST_CAUSE_UNREGISTERED (subscriber absent)
      return 'CHANUNAVAIL';
    default:
      return 'NOANSWER';
  }
}

/**
 * The SIP response chan_pjsip maps to each cause a far end's failure gives (hangup_sip2cause, read
 * backwards), which 22 reports as `tech_cause`: the lab provider's 486, 404 and 503, a 403 refusal,
 * and the 480 of a leg that rang out (captures agent-busy, target-notfound, target-noanswer).
 */
const SIP_CODE: ReadonlyMap<number, number> = new Map([
  [CAUSE.USER_BUSY, 486],
  [CAUSE.UNALLOCATED, 404],
  [CAUSE.CONGESTION, 503],
  [CAUSE.CALL_REJECTED, 403],
  [CAUSE.NO_ANSWER, 480],
]);

export function sipCodeForCause(cause: number): number | undefined {
  return SIP_CODE.get(cause);
}
