import type { ApiCallRequest, Call, CallRecording, WebhookEndpoint } from '../../entities';
import type { NewWebhookDelivery } from '../../store/webhook-delivery-store';
import type { OwnerChange } from '../../store/call-leg-store';
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
async function check(
  calls: { ended?: Call[]; live?: Call[]; refused?: Call[]; recordings?: CallRecording[]; requests?: ApiCallRequest[]; ownerChanges?: OwnerChange[] }, queued: Record<string, string[]>,
  endpoints = [endpoint()], window: { settleMs?: number; lastDisposition?: string } = {},
): Promise<NewWebhookDelivery[]> {
  const written: NewWebhookDelivery[] = [];
  await enqueueMissedEvents({
    calls: { endedSince: async () => [...calls.ended ?? [], ...calls.refused ?? []], liveCalls: async () => calls.live ?? [] },
    recordings: { readyOfCalls: async () => calls.recordings ?? [] },
    requests: { madeSince: async () => calls.requests ?? [] },
    apiKeys: { namesOf: async () => new Map([[3, 'hubspot']]) },
    deliveries: {
      queuedOfCalls: async (_endpointId: number, callIds: readonly string[]) => new Map(callIds.filter((id) => queued[id]).map((id) => [id, {
        eventIds: new Set(queued[id]!.map((type) => eventIdOf({ type: type as WebhookEventType, callId: id, at: 0 }) ?? type)), types: new Set(queued[id]), lastDisposition: window.lastDisposition ?? null,
        transfers: queued[id]!.filter((type) => type === 'call.transferred').length,
      }])),
      enqueue: async (rows) => { written.push(...rows); },
    },
    endpoints: { all: async () => endpoints },
    legs: { ownerChangesOf: async () => new Map(calls.ownerChanges ? [['c1', calls.ownerChanges]] : []) },
  }, { now: NOW, lookbackMs: 3_600_000, ...(window.settleMs ? { settleMs: window.settleMs } : {}) });
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

  it('given an ended call transferred twice (the audit log\'s owner changes) and queued up to its connection, then both transfers are queued before its end, from the agent before each, with the live events\' ids', async () => {
    const ended = callRow({ stage: 'ended', outcome: 'completed', agentRingingAt: at(1), targetRingingAt: at(4), connectedAt: at(6), endedAt: at(66), onCallAgentId: 11 });
    const ownerChanges = [{ agentId: 9, legId: 'p3', at: at(20) }, { agentId: 11, legId: 'p4', at: at(40) }];
    const rows = await check({ ended: [ended], ownerChanges }, { c1: ['call.requested', 'call.agent_ringing', 'call.agent_answered', 'call.customer_ringing', 'call.connected'] });
    expect(rows.map((r) => r.eventType)).toEqual(['call.transferred', 'call.transferred', 'call.ended']);
    expect(rows.map((r) => r.eventId).slice(0, 2)).toEqual([
      eventIdOf({ type: 'call.transferred', callId: 'c1', at: 0, legId: 'p3' }), eventIdOf({ type: 'call.transferred', callId: 'c1', at: 0, legId: 'p4' }),
    ]);
    expect(rows.map((r) => JSON.parse(r.body).data).slice(0, 2)).toEqual([{ fromAgentId: 7, toAgentId: 9 }, { fromAgentId: 9, toAgentId: 11 }]);
    expect(JSON.parse(rows[0]!.body).occurredAt).toBe(at(20).toISOString());
  });

  it('given a live call whose first transfer was queued (by its id), then only the second is queued', async () => {
    const live = callRow({ stage: 'connected', agentRingingAt: at(1), targetRingingAt: at(4), connectedAt: at(6) });
    const ownerChanges = [{ agentId: 9, legId: 'p3', at: at(20) }, { agentId: 11, legId: 'p4', at: at(40) }];
    const firstId = eventIdOf({ type: 'call.transferred', callId: 'c1', at: 0, legId: 'p3' })!;
    const rows = await check({ live: [live], ownerChanges }, { c1: ['call.requested', 'call.connected', firstId] });
    expect(rows.map((r) => [r.eventType, JSON.parse(r.body).data])).toEqual([['call.transferred', { fromAgentId: 9, toAgentId: 11 }]]);
  });

  it('given an ended call whose transfer was queued before the upgrade under a random id, and nothing after it, then only its end is queued: the transfer is not told twice', async () => {
    const ended = callRow({ stage: 'ended', outcome: 'completed', agentRingingAt: at(1), targetRingingAt: at(4), connectedAt: at(6), endedAt: at(66), onCallAgentId: 9 });
    const ownerChanges = [{ agentId: 9, legId: 'p3', at: at(20) }, { agentId: 11, legId: 'p4', at: at(40) }];
    const rows = await check({ ended: [ended], ownerChanges }, { c1: ['call.requested', 'call.agent_ringing', 'call.agent_answered', 'call.customer_ringing', 'call.connected', 'call.transferred'] });
    expect(rows.map((r) => [r.eventType, JSON.parse(r.body).data.toAgentId ?? null])).toEqual([['call.transferred', 11], ['call.ended', null]]);
  });

  it('given owner changes before the connection, to the same agent, or at the end, then they tell no transfer (as the live stream tells none)', async () => {
    const ended = callRow({ stage: 'ended', outcome: 'completed', agentRingingAt: at(1), targetRingingAt: at(4), connectedAt: at(6), endedAt: at(66) });
    const ownerChanges = [{ agentId: 9, legId: 'p2', at: at(5) }, { agentId: 9, legId: 'p3', at: at(20) }, { agentId: 11, legId: 'p4', at: at(66) }];
    const rows = await check({ ended: [ended], ownerChanges }, { c1: ['call.requested', 'call.connected'] });
    expect(rows.map((r) => r.eventType)).toEqual(['call.ended']);
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

  const body = (row: NewWebhookDelivery) => JSON.parse(row.body) as { id: string; type: string; callId: string; data: Record<string, unknown> };

  it('given an ended call with a kept recording and a disposition whose events are missing, then both follow its end, in time order, with the ids the live events have; the disposition\'s previous is what the endpoint was told last', async () => {
    const ended = callRow({ stage: 'ended', outcome: 'completed', connectedAt: at(6), endedAt: at(66), disposition: 'callback', dispositionAt: at(90) });
    const recording = { callId: 'c1', state: 'kept', durationMs: 60_000, bytes: 4096, createdAt: at(6) } as CallRecording;
    const rows = await check({ ended: [ended], recordings: [recording] }, { c1: ['call.requested', 'call.agent_answered', 'call.connected', 'call.ended', 'call.disposition_set'] }, [endpoint()], { lastDisposition: 'interested' });
    expect(rows.map((r) => r.eventType)).toEqual(['call.recording_ready', 'call.disposition_set']);
    expect(rows.map((r) => r.eventId)).toEqual([
      eventIdOf({ type: 'call.recording_ready', callId: 'c1', at: 0 }), eventIdOf({ type: 'call.disposition_set', callId: 'c1', at: at(90).getTime() }),
    ]);
    expect(body(rows[0]!).data).toEqual({ durationMs: 60_000, bytes: 4096 });
    expect(body(rows[1]!).data).toEqual({ disposition: 'callback', previous: 'interested', agentId: 7 });
  });

  it('given a refused request whose call.refused is missing, then it is queued with the refusal and the rule\'s record; one refused after an API request\'s tap is told as the request\'s, not again as a call', async () => {
    const refused = callRow({ id: 'r1', stage: 'ended', outcome: 'refused', detail: 'rule: do_not_call (since=2026-12-01)', requestedAt: at(10), endedAt: at(10) });
    const tapped = callRow({ id: 'r2', stage: 'ended', outcome: 'refused', detail: 'capacity', requestedAt: at(20), endedAt: at(20) });
    const request = {
      id: 'q1', keyId: 3, agentTelegramId: '700', number: '2025550123', requester: 'HubSpot', state: 'refused', callId: 'r2', createdAt: at(15),
      responseStatus: 202, responseBody: JSON.stringify({ requestId: 'q1', state: 'prompted', agent: '700', number: '+12025550123' }),
    } as ApiCallRequest;
    const rows = await check({ refused: [refused, tapped], requests: [request] }, {});
    expect(rows.map((r) => [r.callId, r.eventType])).toEqual([['r1', 'call.refused'], ['q1', 'call.api_requested'], ['q1', 'call.refused']]);
    expect(body(rows[0]!).data).toEqual({ agentId: 7, customer: '+12025550123', refusal: 'rule', rule: { record: 'do_not_call (since=2026-12-01)' } });
    expect(body(rows[1]!).data).toEqual({ requestId: 'q1', apiKey: 'hubspot', requester: 'HubSpot', agentTelegramId: '700', customer: '+12025550123', mode: 'prompt' });
    expect(body(rows[2]!).data).toMatchObject({ requestId: 'q1', refusal: 'capacity', record: 'capacity', rule: null });
  });

  it('given an API request placed at once whose call.api_placed is missing, then only call.api_placed is queued after the request already told; a declined one whose events are all queued adds nothing', async () => {
    const placed = {
      id: 'q1', keyId: 3, agentTelegramId: '700', number: '2025550123', requester: 'HubSpot', state: 'placed', callId: 'c9', createdAt: at(15), responseStatus: 202,
      responseBody: JSON.stringify({ requestId: 'q1', state: 'placed', agent: '700', number: '+12025550123', callId: 'c9' }),
    } as ApiCallRequest;
    const declined = { ...placed, id: 'q2', state: 'declined', callId: null } as ApiCallRequest;
    const rows = await check({ requests: [placed, declined] }, { q1: ['call.api_requested'], q2: ['call.api_requested', 'call.api_declined'] });
    expect(rows.map((r) => [r.callId, r.eventType])).toEqual([['q1', 'call.api_placed']]);
    expect(body(rows[0]!).data).toEqual({ requestId: 'q1', agentTelegramId: '700', placedCallId: 'c9' });
  });

  it('given a periodic check beside live outboxes, then events younger than the settling time are left to them, and the ones after such a step wait too', async () => {
    const live = callRow({ stage: 'connected', agentRingingAt: at(1), targetRingingAt: at(4), connectedAt: at(595) });
    const rows = await check({ live: [live] }, { c1: ['call.requested'] }, [endpoint()], { settleMs: 15_000 });
    expect(rows.map((r) => r.eventType)).toEqual(['call.agent_ringing', 'call.agent_answered', 'call.customer_ringing']);
  });
});
