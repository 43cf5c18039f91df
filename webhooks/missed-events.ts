import type { Call, WebhookEndpoint } from '../entities';
import type { CallStore, WebhookDeliveryStore, WebhookEndpointStore } from '../store';
import type { NewWebhookDelivery } from '../store/webhook-delivery-store';
import { knownEndpoint, wants } from './endpoint-directory';
import { type CallEventDraft, eventBody, STAGE_EVENT_TYPES, type StageEventType, stageEventId } from './webhook-events';

export interface MissedEventsDeps {
  calls: Pick<CallStore, 'endedSince' | 'liveCalls'>;
  deliveries: Pick<WebhookDeliveryStore, 'eventTypesOfCalls' | 'enqueue'>;
  endpoints: Pick<WebhookEndpointStore, 'all'>;
}

/** A stage event's draft: one whose id the call's id decides. */
export type StageDraft = CallEventDraft & { type: StageEventType };

/** A `call.ended` event as the calls table tells it: the same facts the live event carries. */
export function endedDraftOf(call: Call): StageDraft {
  const talkSeconds = call.connectedAt && call.endedAt ? Math.round((call.endedAt.getTime() - call.connectedAt.getTime()) / 1000) : null;
  return {
    type: 'call.ended', callId: call.id, at: (call.endedAt ?? call.requestedAt).getTime(),
    data: {
      outcome: call.outcome ?? null, talkSeconds, endedBy: call.endedBy ?? null, hangupCause: call.hangupCause ?? null,
      agentId: call.onCallAgentId ?? call.agentId, customer: call.target,
    },
  };
}

/**
 * The stage events a calls row proves happened, in the order the live stream tells them: each one
 * whose step the engine stamped on the row (requested, agent ringing, customer ringing, connected,
 * ended). The agent answered once the customer's side began, whether or not the row stamped it
 * (without confirmation the machine goes straight on, as the live tracker infers too).
 */
export function stageDraftsOf(call: Call): StageDraft[] {
  const callId = call.id;
  const drafts: StageDraft[] = [
    { type: 'call.requested', callId, at: call.requestedAt.getTime(), data: { agentId: call.agentId, customer: call.target, route: call.route, callerId: call.callerId } },
  ];
  if (call.agentRingingAt) drafts.push({ type: 'call.agent_ringing', callId, at: call.agentRingingAt.getTime(), data: { agentId: call.agentId } });
  const answeredAt = call.agentAnsweredAt ?? call.targetRingingAt ?? call.connectedAt;
  if (answeredAt) drafts.push({ type: 'call.agent_answered', callId, at: answeredAt.getTime(), data: { agentId: call.agentId } });
  if (call.targetRingingAt) drafts.push({ type: 'call.customer_ringing', callId, at: call.targetRingingAt.getTime(), data: { customer: call.target } });
  // Transfers happen once connected: the agent who took the call then is the one who placed it.
  if (call.connectedAt) drafts.push({ type: 'call.connected', callId, at: call.connectedAt.getTime(), data: { agentId: call.agentId, customer: call.target } });
  if (call.stage === 'ended') drafts.push(endedDraftOf(call));
  return drafts;
}

/**
 * The outbox writes in the background, and in order, so a process that dies (SIGKILL, a lost host)
 * may take a suffix of a call's events with it. The engine writes every step to the calls table: at
 * start, for each call that ended in the last `lookbackMs` or is still live, the stage events its
 * row proves that come after the last one queued for an endpoint are queued now (only those after
 * it, so the call's order holds), with the ids the live events had. Endpoints get only what they
 * want, and only for calls begun after they were added. Returns how many rows were queued.
 */
export async function enqueueMissedEvents(deps: MissedEventsDeps, now: number, lookbackMs: number): Promise<number> {
  const endpoints = await deps.endpoints.all();
  if (endpoints.length === 0) return 0;
  const calls = [...await deps.calls.endedSince(new Date(now - lookbackMs)), ...await deps.calls.liveCalls()];
  if (calls.length === 0) return 0;
  const rows: NewWebhookDelivery[] = [];
  for (const endpoint of endpoints) {
    const known = knownEndpoint(endpoint);
    const followed = calls.filter((call) => startedAfter(call, endpoint));
    const queued = await deps.deliveries.eventTypesOfCalls(endpoint.id, followed.map((c) => c.id));
    for (const call of followed) {
      const drafts = stageDraftsOf(call);
      for (const draft of drafts.slice(toldCount(drafts, queued.get(call.id)))) {
        if (!wants(known, draft.type)) continue;
        const id = stageEventId(call.id, draft.type);
        rows.push({ endpointId: endpoint.id, eventId: id, eventType: draft.type, callId: call.id, body: eventBody(id, draft), createdAt: draft.at });
      }
    }
  }
  await deps.deliveries.enqueue(rows);
  return rows.length;
}

/**
 * How many of `drafts` (in stage order) the endpoint's queue already holds or passed: those up to the
 * latest stage queued. A queued `call.transferred` means `call.connected` was written before it;
 * other events (disposition, recording) say nothing certain about the stages, so they are not counted.
 */
function toldCount(drafts: readonly StageDraft[], queued: ReadonlySet<string> | undefined): number {
  if (!queued) return 0;
  const rank = (type: string) => STAGE_EVENT_TYPES.indexOf((type === 'call.transferred' ? 'call.connected' : type) as StageEventType);
  const latest = Math.max(-1, ...[...queued].map(rank));
  return drafts.filter((d) => rank(d.type) <= latest).length;
}

/** A call that began before its endpoint was added was never followed there. */
function startedAfter(call: Call, endpoint: WebhookEndpoint): boolean {
  return call.requestedAt.getTime() >= endpoint.createdAt.getTime();
}
