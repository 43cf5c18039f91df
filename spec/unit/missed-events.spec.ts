import type { Call, WebhookEndpoint } from '../../entities';
import type { NewWebhookDelivery } from '../../store/webhook-delivery-store';
import { enqueueMissedEvents } from '../../webhooks/missed-events';
import { eventIdOf, stageEventId, type WebhookEventType } from '../../webhooks/webhook-events';

const NOW = Date.parse('2026-12-06T10:00:00Z');
const at = (seconds: number) => new Date(NOW - 600_000 + seconds * 1000);

function callRow(fields: Partial<Call>): Call {
  return {
    id: 'c1', agentId: 7, onCallAgentId: 7, target: '+12025550123', route: 'M', callerId: '+15551234567', stage: 'connected',
    outcome: null, endedBy: null, hangupCause: null, requestedAt: at(0), agentRingingAt: null, agentAnsweredAt: null,
    targetRingingAt: null, connectedAt: null, endedAt: null, ...fields,
  } as Call;
}

function endpoint(fields: Partial<WebhookEndpoint> = {}): WebhookEndpoint {
  return { id: 1, url: 'http://127.0.0.1:9/hooks', secret: 'whsec_x', events: null, createdBy: '1', createdAt: new Date(NOW - 3_600_000), ...fields } as WebhookEndpoint;
}

/** The start's check over one calls table and one queue, in memory; the rows it queued. */
async function check(calls: { ended?: Call[]; live?: Call[] }, queued: Record<string, string[]>, endpoints = [endpoint()]): Promise<NewWebhookDelivery[]> {
  const written: NewWebhookDelivery[] = [];
  await enqueueMissedEvents({
    calls: { endedSince: async () => calls.ended ?? [], liveCalls: async () => calls.live ?? [], refusedSince: async () => [] },
    recordings: { readyOfCalls: async () => [] },
    requests: { madeSince: async () => [] },
    apiKeys: { namesOf: async () => new Map() },
    deliveries: {
      queuedOfCalls: async (_endpointId: number, callIds: readonly string[]) => new Map(callIds.filter((id) => queued[id]).map((id) => [id, {
        eventIds: new Set(queued[id]!.map((type) => eventIdOf({ type: type as WebhookEventType, callId: id, at: 0 }) ?? type)), types: new Set(queued[id]), lastDisposition: null,
      }])),
      enqueue: async (rows) => { written.push(...rows); },
    },
    endpoints: { all: async () => endpoints },
  }, { now: NOW, lookbackMs: 3_600_000 });
  return written;
}

describe('the events a restart re-derives from the calls table', () => {
  it('given a live call whose row shows the customer ringing and whose queue ends at the agent\'s ringing, then the agent\'s answer and the customer\'s ringing are queued after it, with the live events\' ids', async () => {
    const live = callRow({ stage: 'target_ringing', agentRingingAt: at(1), agentAnsweredAt: at(3), targetRingingAt: at(4) });
    const rows = await check({ live: [live] }, { c1: ['call.requested', 'call.agent_ringing'] });
    expect(rows.map((r) => r.eventType)).toEqual(['call.agent_answered', 'call.customer_ringing']);
    expect(rows.map((r) => r.eventId)).toEqual([stageEventId('c1', 'call.agent_answered'), stageEventId('c1', 'call.customer_ringing')]);
    expect(JSON.parse(rows[1]!.body)).toMatchObject({ id: rows[1]!.eventId, type: 'call.customer_ringing', occurredAt: at(4).toISOString(), data: { customer: '+12025550123' } });
  });

  it('given an ended call whose transfer was queued, then only its end is queued: nothing before the last event written', async () => {
    const ended = callRow({ stage: 'ended', outcome: 'completed', agentRingingAt: at(1), targetRingingAt: at(4), connectedAt: at(6), endedAt: at(66), onCallAgentId: 9 });
    const rows = await check({ ended: [ended] }, { c1: ['call.requested', 'call.transferred'] });
    expect(rows.map((r) => r.eventType)).toEqual(['call.ended']);
    expect(JSON.parse(rows[0]!.body).data).toMatchObject({ outcome: 'completed', talkSeconds: 60, agentId: 9 });
  });

  it('given an ended call with nothing queued, then its whole sequence is queued in order; an agent\'s answer the row did not stamp is proved by the customer\'s ringing', async () => {
    const ended = callRow({ stage: 'ended', outcome: 'completed', agentRingingAt: at(1), targetRingingAt: at(4), connectedAt: at(6), endedAt: at(66) });
    const rows = await check({ ended: [ended] }, {});
    expect(rows.map((r) => r.eventType)).toEqual(['call.requested', 'call.agent_ringing', 'call.agent_answered', 'call.customer_ringing', 'call.connected', 'call.ended']);
    expect(rows.map((r) => r.createdAt)).toEqual([0, 1, 4, 4, 6, 66].map((s) => at(s).getTime()));
  });

  it('given a call whose end was queued, or an endpoint added after the call began, or one that wants only ends, then only what the endpoint is owed is queued', async () => {
    const ended = callRow({ stage: 'ended', outcome: 'completed', connectedAt: at(6), endedAt: at(66) });
    expect(await check({ ended: [ended] }, { c1: ['call.ended'] })).toEqual([]);
    expect(await check({ ended: [ended] }, {}, [endpoint({ createdAt: at(30) })])).toEqual([]);
    expect((await check({ ended: [ended] }, { c1: ['call.requested'] }, [endpoint({ events: 'call.ended' })])).map((r) => r.eventType)).toEqual(['call.ended']);
  });
});
