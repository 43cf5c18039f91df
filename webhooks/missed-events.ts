import type { ApiCallRequest, Call, CallRecording, WebhookEndpoint } from '../entities';
import type { ApiCallRequestStore, ApiKeyStore, CallLegStore, CallRecordingStore, CallStore, WebhookDeliveryStore, WebhookEndpointStore } from '../store';
import type { NewWebhookDelivery, QueuedOfCall } from '../store/webhook-delivery-store';
import type { OwnerChange } from '../store/call-leg-store';
import { type RuleRefusal, ruleRecord } from '../compliance/rules/call-rule';
import { knownEndpoint, wants } from './endpoint-directory';
import { type CallEventDraft, eventBody, eventIdOf, type StageEventType } from './webhook-events';

export interface MissedEventsDeps {
  calls: Pick<CallStore, 'endedSince' | 'liveCalls'>;
  recordings: Pick<CallRecordingStore, 'readyOfCalls'>;
  requests: Pick<ApiCallRequestStore, 'madeSince'>;
  apiKeys: Pick<ApiKeyStore, 'namesOf'>;
  deliveries: Pick<WebhookDeliveryStore, 'queuedOfCalls' | 'enqueue'>;
  endpoints: Pick<WebhookEndpointStore, 'all'>;
  legs: Pick<CallLegStore, 'ownerChangesOf'>;
}

/** Which rows a check reads: those of the last `lookbackMs`, and of them only events older than `settleMs` (a live outbox writes those first). */
export interface CheckWindow {
  now: number;
  lookbackMs: number;
  settleMs?: number;
  /** API requests are read further back: their agent's tap (or Not now) comes up to a prompt's lifetime later. */
  requestsLookbackMs?: number;
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
export function stageDraftsOf(call: Call, ownerChanges: readonly OwnerChange[] = []): CallEventDraft[] {
  const callId = call.id;
  const drafts: CallEventDraft[] = [
    { type: 'call.requested', callId, at: call.requestedAt.getTime(), data: { agentId: call.agentId, customer: call.target, route: call.route, callerId: call.callerId } },
  ];
  if (call.agentRingingAt) drafts.push({ type: 'call.agent_ringing', callId, at: call.agentRingingAt.getTime(), data: { agentId: call.agentId } });
  const answeredAt = call.agentAnsweredAt ?? call.targetRingingAt ?? call.connectedAt;
  if (answeredAt) drafts.push({ type: 'call.agent_answered', callId, at: answeredAt.getTime(), data: { agentId: call.agentId } });
  if (call.targetRingingAt) drafts.push({ type: 'call.customer_ringing', callId, at: call.targetRingingAt.getTime(), data: { customer: call.target } });
  // Transfers happen once connected: the agent who took the call then is the one who placed it.
  if (call.connectedAt) drafts.push({ type: 'call.connected', callId, at: call.connectedAt.getTime(), data: { agentId: call.agentId, customer: call.target } });
  if (call.connectedAt) drafts.push(...transferDraftsOf(call, call.connectedAt.getTime(), ownerChanges));
  if (call.stage === 'ended') drafts.push(endedDraftOf(call));
  return drafts;
}

/**
 * The transfers the audit log's owner changes prove, as the live tracker tells them: each change of
 * a connected call to another agent, from the one before (the placer first); none at the call's end
 * (its final update tells no transfer).
 */
function transferDraftsOf(call: Call, connectedAt: number, changes: readonly OwnerChange[]): CallEventDraft[] {
  const endedAt = call.stage === 'ended' ? call.endedAt?.getTime() ?? Infinity : Infinity;
  const drafts: CallEventDraft[] = [];
  let owner = call.agentId;
  for (const change of changes) {
    const at = change.at.getTime();
    if (at >= endedAt) break;
    if (at > connectedAt && change.agentId !== owner) {
      drafts.push({ type: 'call.transferred', callId: call.id, at, data: { fromAgentId: owner, toAgentId: change.agentId }, legId: change.legId });
    }
    owner = change.agentId;
  }
  return drafts;
}

/** A refused request's `call.refused`: the refusal's code and record as the row keeps them (the rule's facts are not kept apart from its record). */
export function refusedDraftOf(call: Call): CallEventDraft {
  const { refusal, record } = refusalIn(call.detail ?? '');
  return {
    type: 'call.refused', callId: call.id, at: call.requestedAt.getTime(),
    data: { agentId: call.agentId, customer: call.target, refusal, rule: refusal === 'rule' ? { record: record.replace(/^rule: /, '') } : null },
  };
}

/** The refusal code leads the record the intake keeps (`rule: do_not_call …`, `capacity`, `invalid_number: …`). */
function refusalIn(detail: string): { refusal: string; record: string } {
  return { refusal: /^[a-z_]+/.exec(detail)?.[0] ?? 'refused', record: detail };
}

/** The chosen disposition: `previous` is what the endpoint was last told (the row keeps only the latest choice). */
function dispositionDraftOf(call: Call, queued: QueuedOfCall | undefined): CallEventDraft[] {
  if (!call.disposition || !call.dispositionAt) return [];
  return [{
    type: 'call.disposition_set', callId: call.id, at: call.dispositionAt.getTime(),
    data: { disposition: call.disposition, previous: queued?.lastDisposition ?? null, agentId: call.onCallAgentId ?? call.agentId },
  }];
}

function recordingDraftOf(call: Call, recording: CallRecording | undefined): CallEventDraft[] {
  if (!recording) return [];
  const at = Math.max(recording.createdAt.getTime(), call.endedAt?.getTime() ?? 0);
  return [{ type: 'call.recording_ready', callId: call.id, at, data: { durationMs: recording.durationMs ?? 0, bytes: recording.bytes ?? 0 } }];
}

/**
 * An API request's events as its row tells them: asked for, then placed, declined or refused.
 * `occurredAt` is when the request was kept (the row keeps no time of its later steps).
 */
export function requestDraftsOf(request: ApiCallRequest, keyName: string | null, refusedCall: Call | undefined): CallEventDraft[] {
  const requestId = request.id;
  const at = request.createdAt.getTime();
  const answer = parsed(request.responseBody);
  const mode = answer?.state === 'prompted' ? 'prompt' : 'auto';
  const customer = typeof answer?.number === 'string' ? answer.number : request.number;
  const drafts: CallEventDraft[] = [{
    type: 'call.api_requested', callId: requestId, at,
    data: { requestId, apiKey: keyName, requester: request.requester, agentTelegramId: request.agentTelegramId, customer, mode },
  }];
  const agentTelegramId = request.agentTelegramId;
  if (request.state === 'placed') drafts.push({ type: 'call.api_placed', callId: requestId, at, data: { requestId, agentTelegramId, placedCallId: request.callId } });
  if (request.state === 'declined') drafts.push({ type: 'call.api_declined', callId: requestId, at, data: { requestId, agentTelegramId } });
  if (request.state === 'refused') {
    // Placed at once, the refusal is the request's kept answer; after a tap, the refused call's row tells it.
    const problem = typeof answer?.code === 'string' ? answer : undefined;
    const told = problem
      ? { refusal: String(problem.code), record: String(problem.detail ?? '') }
      : refusalIn(refusedCall?.detail ?? 'not_placed');
    const rule = problem?.rule as RuleRefusal | undefined;
    drafts.push({
      type: 'call.refused', callId: requestId, at,
      data: {
        requestId, apiKey: keyName, agentTelegramId, refusal: told.refusal, record: told.record,
        rule: rule ? { ...rule, record: ruleRecord(rule) } : told.refusal === 'rule' ? { record: told.record.replace(/^rule: /, '') } : null,
      },
    });
  }
  return drafts;
}

function parsed(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return value !== null && typeof value === 'object' ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What the database proves of one call (or API request): `steps` in the order they happened, of which
 * only those after the latest one queued are re-derived (so the order holds); then `after`, the
 * events that follow a call's end (its recording, its disposition), each re-derived when missing.
 */
interface Chain {
  id: string;
  startedAt: number;
  steps: CallEventDraft[];
  after: (queued: QueuedOfCall | undefined) => CallEventDraft[];
}

/**
 * The outbox writes in the background, and in order, so a process that dies (SIGKILL, a lost host)
 * may take a suffix of a call's events with it. Everything those events tell is in the database:
 * the calls row (stages, refusal, disposition), the recording's row and the API request's row. For
 * each call that ended (or was refused, or asked for through the API) in the window or is still
 * live, the events its rows prove that the endpoint's queue lacks are queued now, under the ids the
 * live events have: a step only after the last one queued (so the call's order holds), an event after
 * the call's end when it is missing. The queue keeps one row per event and endpoint, so a check
 * beside a live outbox (or another instance's check) adds nothing twice. Endpoints get only what they
 * want, and only for calls begun after they were added. Returns how many rows were queued.
 */
export async function enqueueMissedEvents(deps: MissedEventsDeps, window: CheckWindow): Promise<number> {
  const endpoints = await deps.endpoints.all();
  if (endpoints.length === 0) return 0;
  const chains = await chainsIn(deps, window);
  return enqueueChains(deps, endpoints, chains, window.now - (window.settleMs ?? 0));
}

export type CallCatchUpDeps = Omit<MissedEventsDeps, 'calls' | 'requests' | 'apiKeys'> & { calls: Pick<CallStore, 'byId'> };

/**
 * One call's events its rows prove that the queue lacks, queued now under the live ids (as
 * `enqueueMissedEvents` does for a window): what an instance that took the call over mid-way asks
 * before it queues the call's next events, so the stages the instance before it lost keep their place.
 * Returns how many rows were queued.
 */
export async function enqueueMissedEventsOfCall(deps: CallCatchUpDeps, callId: string, now: number): Promise<number> {
  const endpoints = await deps.endpoints.all();
  if (endpoints.length === 0) return 0;
  const call = await deps.calls.byId(callId);
  if (!call || call.outcome === 'refused') return 0;
  const ended = call.stage === 'ended';
  const [recordings, ownerChanges] = await Promise.all([
    ended ? deps.recordings.readyOfCalls([call.id]) : Promise.resolve([]),
    call.connectedAt ? deps.legs.ownerChangesOf([call.id]) : Promise.resolve(new Map<string, OwnerChange[]>()),
  ]);
  return enqueueChains(deps, endpoints, [callChainOf(call, ownerChanges.get(call.id), recordings[0])], now);
}

/** Queues, for each endpoint, what each chain proves and the endpoint's queue lacks, of events up to `settledBy`. */
async function enqueueChains(
  deps: Pick<MissedEventsDeps, 'deliveries'>, endpoints: readonly WebhookEndpoint[], chains: readonly Chain[], settledBy: number,
): Promise<number> {
  if (chains.length === 0) return 0;
  const rows: NewWebhookDelivery[] = [];
  for (const endpoint of endpoints) {
    const known = knownEndpoint(endpoint);
    const followed = chains.filter((chain) => startedAfter(chain, endpoint));
    const queued = await deps.deliveries.queuedOfCalls(endpoint.id, followed.map((c) => c.id));
    for (const chain of followed) {
      const told = withQueuedTransfers(chain.steps, queued.get(chain.id));
      const steps = chain.steps.slice(toldCount(chain.steps, told));
      const settled = steps.slice(0, firstUnsettled(steps, settledBy));
      const missing = [...settled, ...(settled.length === steps.length ? chain.after(told) : [])]
        .filter((draft) => draft.at <= settledBy && !told?.eventIds.has(idOf(draft)));
      for (const draft of missing) {
        if (!wants(known, draft.type)) continue;
        const id = idOf(draft);
        rows.push({ endpointId: endpoint.id, eventId: id, eventType: draft.type, callId: chain.id, body: eventBody(id, draft), createdAt: draft.at });
      }
    }
  }
  await deps.deliveries.enqueue(rows);
  return rows.length;
}

/** A placed call's chain: its stages, then (once ended) its recording and disposition. */
function callChainOf(call: Call, ownerChanges: readonly OwnerChange[] | undefined, recording: CallRecording | undefined): Chain {
  return {
    id: call.id, startedAt: call.requestedAt.getTime(), steps: stageDraftsOf(call, ownerChanges),
    after: (queued) => (call.stage === 'ended' ? [...recordingDraftOf(call, recording), ...dispositionDraftOf(call, queued)].sort((a, b) => a.at - b.at) : []),
  };
}

async function chainsIn(deps: MissedEventsDeps, window: CheckWindow): Promise<Chain[]> {
  const since = new Date(window.now - window.lookbackMs);
  const [over, live, requests] = await Promise.all([
    deps.calls.endedSince(since), deps.calls.liveCalls(),
    deps.requests.madeSince(new Date(window.now - Math.max(window.lookbackMs, window.requestsLookbackMs ?? 0))),
  ]);
  const ended = over.filter((call) => call.stage === 'ended' && call.outcome !== 'refused');
  const refused = over.filter((call) => call.outcome === 'refused');
  const recordings = new Map((await deps.recordings.readyOfCalls(ended.map((c) => c.id))).map((r) => [r.callId, r]));
  const ownerChanges = await deps.legs.ownerChangesOf([...ended, ...live].filter((c) => c.connectedAt).map((c) => c.id));
  const keyNames = await deps.apiKeys.namesOf(requests.map((r) => r.keyId));
  const refusedById = new Map(refused.map((c) => [c.id, c]));
  // A request refused after its agent's tap is told once, as the request's refusal.
  const toldAsRequests = new Set(requests.map((r) => r.callId).filter((id): id is string => id !== null));
  const chains: Chain[] = [];
  for (const call of [...ended, ...live]) {
    chains.push(callChainOf(call, ownerChanges.get(call.id), recordings.get(call.id)));
  }
  for (const call of refused) {
    if (!toldAsRequests.has(call.id)) chains.push({ id: call.id, startedAt: call.requestedAt.getTime(), steps: [refusedDraftOf(call)], after: () => [] });
  }
  for (const request of requests) {
    const refusedCall = request.callId ? refusedById.get(request.callId) : undefined;
    chains.push({ id: request.id, startedAt: request.createdAt.getTime(), steps: requestDraftsOf(request, keyNames.get(request.keyId) ?? null, refusedCall), after: () => [] });
  }
  return chains;
}

function idOf(draft: CallEventDraft): string {
  const id = eventIdOf(draft);
  if (!id) throw new Error(`a ${draft.type} event was re-derived, yet the database does not decide its id; only events the database proves are re-derived`);
  return id;
}

/**
 * How many of `steps` (in order) the endpoint's queue already holds or passed: those up to the
 * latest one queued. A queued `call.transferred` means `call.connected` was written before it; the
 * events after a call's end say nothing certain about its stages (another instance may tell them).
 */
function toldCount(steps: readonly CallEventDraft[], queued: QueuedOfCall | undefined): number {
  if (!queued) return 0;
  let told = 0;
  steps.forEach((step, i) => {
    if (queued.eventIds.has(idOf(step)) || (step.type === 'call.connected' && queued.types.has('call.transferred'))) told = i + 1;
  });
  return told;
}

/**
 * The queue as the chain reads it: its first transfers count as queued when as many transfers are
 * queued, under whatever ids. A call's transfers are queued in the order they happened, and those
 * queued before transfers had ids of their own carry random ones: without this, each would be
 * queued again under its derived id.
 */
function withQueuedTransfers(steps: readonly CallEventDraft[], queued: QueuedOfCall | undefined): QueuedOfCall | undefined {
  if (!queued || queued.transfers === 0) return queued;
  const transfers = steps.filter((step) => step.type === 'call.transferred').slice(0, queued.transfers);
  if (transfers.every((step) => queued.eventIds.has(idOf(step)))) return queued;
  return { ...queued, eventIds: new Set([...queued.eventIds, ...transfers.map(idOf)]) };
}

/** The index of the first step too recent to re-derive (a live outbox may be writing it): the ones after it wait too. */
function firstUnsettled(steps: readonly CallEventDraft[], settledBy: number): number {
  const index = steps.findIndex((step) => step.at > settledBy);
  return index === -1 ? steps.length : index;
}

/** A call that began before its endpoint was added was never followed there. */
function startedAfter(chain: Chain, endpoint: WebhookEndpoint): boolean {
  return chain.startedAt >= endpoint.createdAt.getTime();
}
