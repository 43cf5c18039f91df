/**
 * What became of each call the load bench placed, read from the providers' sipp message traces:
 * both legs reach the same provider (the agent's route), so every timestamp is on sipp's clock.
 */
import { type SipMessage, invitesIn } from '../spec/e2e/support/sip-trace';

/** One /call the bench sent: the agent's phone and the customer's number are the agent's own. */
export interface PlacedLoadCall {
  phone: string;
  target: string;
  /** Wall clock (Date.now()) when /call was sent to the Bot API server. */
  sentAt: number;
}

export interface LoadCallOutcome {
  /** /call sent -> the agent's INVITE at the provider, ms. */
  toAgentInviteMs?: number;
  /** The provider's 200 OK on the agent leg -> the customer's INVITE at the provider, ms. */
  gapMs?: number;
  /** The agent leg's 200 OK and the BYE Asterisk sent it: while the call held the agent's phone. */
  agentUp?: { from: number; to?: number };
  /** The customer answered (sipp's 200 OK on the customer leg, on sipp's clock). */
  connected: boolean;
  connectedAt?: number;
  /** The customer answered and hung up, and Asterisk hung the agent up: the call ran its course. */
  completed: boolean;
}

const okToInvite = (m: SipMessage) => m.dir === 'out' && m.status === 200 && m.cseqMethod === 'INVITE';

export function loadCallOutcomes(calls: readonly PlacedLoadCall[], messages: readonly SipMessage[]): LoadCallOutcome[] {
  const dialogs = new Map<string, SipMessage[]>();
  for (const m of messages) {
    const list = dialogs.get(m.callId);
    if (list) list.push(m);
    else dialogs.set(m.callId, [m]);
  }
  const invitesTo = new Map<string, SipMessage[]>();
  for (const invite of invitesIn([...messages])) {
    const user = invite.requestUser ?? '';
    const list = invitesTo.get(user);
    if (list) list.push(invite);
    else invitesTo.set(user, [invite]);
  }
  return calls.map((call) => {
    // An agent places one call at a time: its call is the first INVITE to its phone after /call.
    const agentInvite = invitesTo.get(call.phone)?.find((m) => m.at >= call.sentAt - 1);
    if (!agentInvite) return { connected: false, completed: false };
    const agentDialog = dialogs.get(agentInvite.callId) ?? [];
    const agentOk = agentDialog.find(okToInvite);
    const agentBye = agentDialog.find((m) => m.dir === 'in' && m.method === 'BYE');
    const toAgentInviteMs = agentInvite.at - call.sentAt;
    if (!agentOk) return { toAgentInviteMs, connected: false, completed: false };
    const agentUp = { from: agentOk.at, to: agentBye?.at };
    const targetInvite = invitesTo.get(call.target)?.find((m) => m.at >= agentOk.at);
    if (!targetInvite) return { toAgentInviteMs, agentUp, connected: false, completed: false };
    const targetDialog = dialogs.get(targetInvite.callId) ?? [];
    const targetOk = targetDialog.find(okToInvite);
    const hungUp = targetDialog.some((m) => m.dir === 'in' && m.status === 200 && m.cseqMethod === 'BYE');
    return {
      toAgentInviteMs, gapMs: targetInvite.at - agentOk.at, agentUp,
      connected: targetOk !== undefined, connectedAt: targetOk?.at, completed: targetOk !== undefined && hungUp && agentBye !== undefined,
    };
  });
}

/** Calls connected per second, between the first and the last customer's answer. */
export function achievedRate(outcomes: readonly LoadCallOutcome[]): number {
  const times = outcomes.flatMap((o) => (o.connectedAt === undefined ? [] : [o.connectedAt]));
  if (times.length < 2) return Number.NaN;
  return ((times.length - 1) * 1000) / (Math.max(...times) - Math.min(...times));
}

/** The most calls holding an agent's phone at once (a sweep over the answered intervals). */
export function peakConcurrent(outcomes: readonly LoadCallOutcome[]): number {
  const edges: Array<[number, number]> = [];
  for (const o of outcomes) {
    if (!o.agentUp) continue;
    edges.push([o.agentUp.from, 1]);
    if (o.agentUp.to !== undefined) edges.push([o.agentUp.to, -1]);
  }
  // At equal times an end goes before a start: a call that ends as another begins is not overlap.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let peak = 0;
  for (const [, delta] of edges) {
    now += delta;
    peak = Math.max(peak, now);
  }
  return peak;
}
