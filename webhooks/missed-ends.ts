import type { Call, WebhookEndpoint } from '../entities';
import type { CallStore, WebhookDeliveryStore, WebhookEndpointStore } from '../store';
import type { NewWebhookDelivery } from '../store/webhook-delivery-store';
import { knownEndpoint, wants } from './endpoint-directory';
import { type CallEventDraft, endedEventId, eventBody } from './webhook-events';

export interface MissedEndsDeps {
  calls: Pick<CallStore, 'endedSince'>;
  deliveries: Pick<WebhookDeliveryStore, 'callsWithEvent' | 'enqueue'>;
  endpoints: Pick<WebhookEndpointStore, 'all'>;
}

/** A `call.ended` event as the calls table tells it: the same facts the live event carries. */
export function endedDraftOf(call: Call): CallEventDraft {
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
 * The outbox writes in the background, so a process that dies (SIGKILL, a lost host) may take the
 * last moments' events with it. The calls table is written by the engine at every step: at start,
 * each call that ended in the last `lookbackMs` and whose `call.ended` is not queued for an endpoint
 * that wants it (and existed when the call began) gets it queued now, with the id the live event
 * would have had. Returns how many rows were queued.
 */
export async function enqueueMissedEnds(deps: MissedEndsDeps, now: number, lookbackMs: number): Promise<number> {
  const endpoints = await deps.endpoints.all();
  if (endpoints.length === 0) return 0;
  const ended = await deps.calls.endedSince(new Date(now - lookbackMs));
  if (ended.length === 0) return 0;
  const rows: NewWebhookDelivery[] = [];
  for (const endpoint of endpoints) {
    if (!wants(knownEndpoint(endpoint), 'call.ended')) continue;
    const followed = ended.filter((call) => startedAfter(call, endpoint));
    const told = await deps.deliveries.callsWithEvent(endpoint.id, 'call.ended', followed.map((c) => c.id));
    for (const call of followed) {
      if (told.has(call.id)) continue;
      const draft = endedDraftOf(call);
      rows.push({ endpointId: endpoint.id, eventId: endedEventId(call.id), eventType: draft.type, callId: call.id, body: eventBody(endedEventId(call.id), draft), createdAt: draft.at });
    }
  }
  await deps.deliveries.enqueue(rows);
  return rows.length;
}

/** A call that began before its endpoint was added was never followed there. */
function startedAfter(call: Call, endpoint: WebhookEndpoint): boolean {
  return call.requestedAt.getTime() >= endpoint.createdAt.getTime();
}
