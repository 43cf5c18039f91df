/**
 * The call events webhooks carry: their names, their JSON bodies, and how a call's updates become
 * them. No I/O here; ids and clocks come from the caller.
 */
import { createHash } from 'node:crypto';
import type { CallStage } from '../call/call-types';
import type { CallUpdate } from '../call/call-update';

export const WEBHOOK_EVENT_TYPES = [
  'call.requested',
  'call.refused',
  'call.agent_ringing',
  'call.agent_answered',
  'call.customer_ringing',
  'call.connected',
  'call.transferred',
  'call.ended',
  'call.disposition_set',
  'call.recording_ready',
  'call.api_requested',
  'call.api_placed',
  'call.api_declined',
] as const;

export type WebhookEventType = typeof WEBHOOK_EVENT_TYPES[number];

/** An event before it has an id: what happened to which call, when, and its facts. */
export interface CallEventDraft {
  type: WebhookEventType;
  callId: string;
  /** Milliseconds since the epoch. */
  at: number;
  data: Record<string, unknown>;
  /** A transfer's leg: the one the new owner answers on, which with the call's id names the transfer (a leg becomes the owner once at most). */
  legId?: string;
}

/** The JSON body every endpoint receives. */
export interface WebhookEventBody {
  id: string;
  type: WebhookEventType;
  occurredAt: string;
  callId: string;
  data: Record<string, unknown>;
}

export function eventBody(id: string, draft: CallEventDraft): string {
  const body: WebhookEventBody = { id, type: draft.type, occurredAt: new Date(draft.at).toISOString(), callId: draft.callId, data: draft.data };
  return JSON.stringify(body);
}

/**
 * The events a call has at most once each (its stages; the machine never goes back to one), in the
 * order a call passes them. Their ids are derived from the call's id, so a restart can re-derive the
 * ones a killed process lost from the calls table (missed-events.ts) under the ids the live events had.
 */
export const STAGE_EVENT_TYPES = [
  'call.requested', 'call.agent_ringing', 'call.agent_answered', 'call.customer_ringing', 'call.connected', 'call.ended',
] as const satisfies readonly WebhookEventType[];

export type StageEventType = typeof STAGE_EVENT_TYPES[number];

export function isStageEvent(type: WebhookEventType): type is StageEventType {
  return (STAGE_EVENT_TYPES as readonly WebhookEventType[]).includes(type);
}

/**
 * A call's stage event id, the same wherever and however often it is told: the id of the live event
 * and of one a restart re-derives, so a receiver that drops repeats by id keeps one. `occurrence`
 * counts from 1 (a stage happens once a call; the first keeps the id rule `call.ended` always had).
 */
export function stageEventId(callId: string, type: StageEventType, occurrence = 1): string {
  return derivedEventId(occurrence === 1 ? `${type}:${callId}` : `${type}:${callId}:${occurrence}`);
}

/** An id made from what the database keeps of an event, in a UUID's shape (version 8: made by our own rule). */
function derivedEventId(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The id of every event the database proves (missed-events.ts re-derives those a killed process lost):
 * each stage, a refusal, an API request's steps (once each for the call or request), a disposition
 * (by the moment it was chosen: choosing again is another event), the recording and a transfer (by
 * the leg that took the call, which the audit log's `call_owner_changed` row keeps). Undefined for a
 * transfer whose new owner has no leg and a request refused before it was kept (no id of its own):
 * those get a fresh id.
 */
export function eventIdOf(draft: Pick<CallEventDraft, 'type' | 'callId' | 'at' | 'legId'>): string | undefined {
  const { type, callId } = draft;
  if (isStageEvent(type)) return stageEventId(callId, type);
  switch (type) {
    case 'call.refused':
    case 'call.recording_ready':
    case 'call.api_requested':
    case 'call.api_placed':
    case 'call.api_declined':
      return derivedEventId(`${type}:${callId}`);
    case 'call.disposition_set':
      return derivedEventId(`${type}:${callId}:${draft.at}`);
    case 'call.transferred':
      return draft.legId === undefined ? undefined : derivedEventId(`${type}:${callId}:${draft.legId}`);
    default:
      return undefined;
  }
}

/** A call's `call.ended` event id (see `stageEventId`). */
export function endedEventId(callId: string): string {
  return stageEventId(callId, 'call.ended');
}

/** Event types as typed after `/webhooks add <url>`: `ended` or `call.ended`, comma- or space-separated. */
export function parseEventTypes(words: readonly string[]): { ok: true; types: WebhookEventType[] } | { ok: false; unknown: string[] } {
  const names = words.flatMap((w) => w.split(',')).map((w) => w.trim().toLowerCase()).filter(Boolean);
  const types: WebhookEventType[] = [];
  const unknown: string[] = [];
  for (const name of names) {
    const full = name.startsWith('call.') ? name : `call.${name}`;
    const type = WEBHOOK_EVENT_TYPES.find((t) => t === full);
    if (type) {
      if (!types.includes(type)) types.push(type);
    } else {
      unknown.push(name.slice(0, 40));
    }
  }
  return unknown.length > 0 ? { ok: false, unknown } : { ok: true, types };
}

/** The stages that have an event of their own; the others (dialing) are steps inside one. */
const STAGE_EVENTS: Partial<Record<CallStage, WebhookEventType>> = {
  agent_ringing: 'call.agent_ringing',
  agent_answered: 'call.agent_answered',
  target_ringing: 'call.customer_ringing',
  connected: 'call.connected',
  ended: 'call.ended',
};

/** The live stages in the order a call passes them. */
const STAGE_ORDER: readonly CallStage[] = ['requested', 'agent_dialing', 'agent_ringing', 'agent_answered', 'target_dialing', 'target_ringing', 'connected'];

/**
 * Without confirmation the machine goes from the agent's ringing straight to dialing the customer
 * (call/two-party.ts): reaching any later live stage means the agent answered.
 */
function agentAnsweredBetween(from: CallStage, to: CallStage): boolean {
  const answered = STAGE_ORDER.indexOf('agent_answered');
  const before = STAGE_ORDER.indexOf(from);
  const after = STAGE_ORDER.indexOf(to);
  return before !== -1 && before < answered && after >= answered;
}

/** Stages before the agent's phone rings: a call first seen there is new, not one taken over mid-way. */
const EARLY_STAGES: readonly CallStage[] = ['requested', 'agent_dialing'];

interface Followed {
  stage: CallStage;
  owner: number;
}

/**
 * Turns each call's stream of updates into its events: one per stage that has one, `call.requested`
 * when a call is first seen early, and `call.transferred` when the agent who answers for a connected
 * call changes. A call first seen mid-way is told from the stage it is at. A repeated update of the
 * same stage says nothing new.
 */
export class CallEventTracker {
  private readonly calls = new Map<string, Followed>();

  /**
   * Whether `update` is the first one seen of a call taken over mid-way: the instance before may have
   * died before it queued the call's earlier events (ask before `eventsOf`, which starts following it).
   */
  takesOver(update: CallUpdate): boolean {
    return !this.calls.has(update.context.callId) && !EARLY_STAGES.includes(update.stage);
  }

  eventsOf(update: CallUpdate): CallEventDraft[] {
    const { context } = update;
    const callId = context.callId;
    const drafts: CallEventDraft[] = [];
    const followed = this.calls.get(callId);
    const owner = update.ownerAgentId ?? followed?.owner ?? context.agentId;
    let stageIsNew: boolean;
    if (!followed) {
      const isNew = EARLY_STAGES.includes(update.stage);
      if (isNew) {
        drafts.push({
          type: 'call.requested', callId, at: update.at,
          data: { agentId: context.agentId, customer: context.target, route: context.route, callerId: context.callerId },
        });
      } else if (update.stage !== 'agent_answered' && agentAnsweredBetween('agent_ringing', update.stage)) {
        drafts.push({ type: 'call.agent_answered', callId, at: update.at, data: { agentId: context.agentId } });
      }
      // A call first seen mid-way (taken over) is told from the stage it is at: the catch-up queued
      // before it may have read the row before this stage was stamped on it, and a stage's id is
      // fixed, so the queue keeps one of the two.
      stageIsNew = true;
    } else {
      // Only a connected call is transferred: before that, a new agent is a return call passing to the next one in line.
      if (owner !== followed.owner && !update.final && followed.stage === 'connected') {
        const legId = update.ownerLegId ?? undefined;
        drafts.push({ type: 'call.transferred', callId, at: update.at, data: { fromAgentId: followed.owner, toAgentId: owner }, ...(legId ? { legId } : {}) });
      }
      stageIsNew = followed.stage !== update.stage;
      if (stageIsNew && update.stage !== 'agent_answered' && agentAnsweredBetween(followed.stage, update.stage)) {
        drafts.push({ type: 'call.agent_answered', callId, at: update.at, data: { agentId: context.agentId } });
      }
    }
    const type = STAGE_EVENTS[update.stage];
    if (type && stageIsNew) drafts.push({ type, callId, at: update.at, data: stageData(update, owner) });
    if (update.final) this.calls.delete(callId);
    else this.calls.set(callId, { stage: update.stage, owner });
    return drafts;
  }
}

function stageData(update: CallUpdate, owner: number): Record<string, unknown> {
  const { context } = update;
  switch (update.stage) {
    case 'agent_ringing':
    case 'agent_answered':
      return { agentId: context.agentId };
    case 'target_ringing':
      return { customer: context.target };
    case 'connected':
      return { agentId: owner, customer: context.target };
    case 'ended':
      return {
        outcome: update.outcome ?? null, talkSeconds: update.talkSeconds ?? null, endedBy: update.endedBy ?? null,
        hangupCause: update.hangupCause ?? null, agentId: owner, customer: context.target,
      };
    default:
      return {};
  }
}
