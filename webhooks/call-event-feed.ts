import { randomUUID } from 'node:crypto';
import type { Observable, Subscription } from 'rxjs';
import type { IntegrationCallEvent } from '../api/integration-calls';
import type { CallUpdate } from '../call/call-update';
import type { Logger } from '../config/logger';
import type { RefusedRequest } from '../engine/call-engine';
import { ruleRecord } from '../compliance/rules/call-rule';
import type { DispositionChosen } from '../after-call/after-call-types';
import type { RecordingKept } from '../recording/recording-types';
import { CallEventTracker, type CallEventDraft } from './webhook-events';

/** Where call events come from: the engine's (or the cluster desk's) streams, after-call work and the recording pipeline. */
export interface CallEventSources {
  updates: Observable<CallUpdate>;
  refusals?: Observable<RefusedRequest>;
  dispositions?: Observable<DispositionChosen>;
  recordings?: Observable<RecordingKept>;
  /** Calls asked for through the HTTP API: requested, refused (before any call existed, too), placed, declined. */
  integration?: Observable<IntegrationCallEvent>;
}

/**
 * The thin adapter between the call streams and the outbox: each source's values become events,
 * added synchronously (the outbox writes them later), so the engine's reaction to an ARI event
 * never waits on webhooks.
 */
/**
 * `catchUp` is told of a call first seen mid-way (taken over from another instance), before any of
 * its events is added: the outbox then queues what the database proves of the call first.
 */
export function followCallEvents(
  sources: CallEventSources, add: (draft: CallEventDraft) => void, logger: Logger, catchUp?: (callId: string) => void,
): Subscription[] {
  const tracker = new CallEventTracker();
  const guarded = <T>(what: string, handle: (value: T) => void) => (value: T) => {
    try {
      handle(value);
    } catch (err) {
      logger.error('a call event was not queued for the webhooks', { what, err });
    }
  };
  const subscriptions = [sources.updates.subscribe(guarded('update', (update: CallUpdate) => {
    if (catchUp && tracker.takesOver(update)) catchUp(update.context.callId);
    for (const draft of tracker.eventsOf(update)) add(draft);
  }))];
  if (sources.refusals) {
    subscriptions.push(sources.refusals.subscribe(guarded('refusal', (refused: RefusedRequest) => {
      // An HTTP API request's refusal is told once, under the request's id (call.refused of the request).
      if (!refused.callId || refused.apiRequestId) return;
      add({
        type: 'call.refused', callId: refused.callId, at: refused.at,
        data: {
          agentId: refused.agentId, customer: refused.target ?? null, refusal: refused.refusal,
          rule: refused.rule ? { ...refused.rule, record: ruleRecord(refused.rule) } : null,
        },
      });
    })));
  }
  if (sources.dispositions) {
    subscriptions.push(sources.dispositions.subscribe(guarded('disposition', (chosen: DispositionChosen) => add({
      type: 'call.disposition_set', callId: chosen.callId, at: chosen.at,
      data: { disposition: chosen.disposition, previous: chosen.previous, agentId: chosen.agentId },
    }))));
  }
  if (sources.recordings) {
    subscriptions.push(sources.recordings.subscribe(guarded('recording', (kept: RecordingKept) => add({
      type: 'call.recording_ready', callId: kept.callId, at: kept.at, data: { durationMs: kept.durationMs, bytes: kept.bytes },
    }))));
  }
  if (sources.integration) {
    subscriptions.push(sources.integration.subscribe(guarded('integration', (event: IntegrationCallEvent) => add(integrationEvent(event)))));
  }
  return subscriptions;
}

/**
 * An API request's event. A request's events share its id where a call's events carry the call's, so
 * they reach each endpoint in order (requested, then placed, declined or refused); a request refused
 * before it was kept has no id, and its one event gets a fresh one.
 */
export function integrationEvent(event: IntegrationCallEvent): CallEventDraft {
  const at = event.at.getTime();
  switch (event.kind) {
    case 'requested':
      return {
        type: 'call.api_requested', callId: event.requestId, at,
        data: { requestId: event.requestId, apiKey: event.keyName, requester: event.requester, agentTelegramId: event.agentTelegramId, customer: event.number, mode: event.mode },
      };
    case 'placed':
      return { type: 'call.api_placed', callId: event.requestId, at, data: { requestId: event.requestId, agentTelegramId: event.agentTelegramId, placedCallId: event.callId } };
    case 'declined':
      return { type: 'call.api_declined', callId: event.requestId, at, data: { requestId: event.requestId, agentTelegramId: event.agentTelegramId } };
    case 'refused':
      return {
        type: 'call.refused', callId: event.requestId ?? randomUUID(), at,
        data: {
          requestId: event.requestId ?? null, apiKey: event.keyName ?? null, agentTelegramId: event.agentTelegramId, refusal: event.code, record: event.record,
          rule: event.rule ? { ...event.rule, record: ruleRecord(event.rule) } : null,
        },
      };
  }
}
