/**
 * Calls asked for through the HTTP API (`POST /v1/calls`): checked, kept with their idempotency
 * record, then either put to the agent in Telegram (`📞 <CRM> asks you to call … [Call] [Not now]`)
 * or, for an agent who accepts them without asking, placed at once. Either way the call goes through
 * the same intake as /call, every rule checked again at dial. The Telegram side is a port (AgentSide).
 */
import { createHash, randomUUID } from 'node:crypto';
import { Observable, Subject } from 'rxjs';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import type { RuleRefusal } from '../compliance/rules/call-rule';
import { ruleRecord } from '../compliance/rules/call-rule';
import type { DncService } from '../compliance/dnc-service';
import { type PlaceCallResult, refusalRecord } from '../engine/call-intake';
import { checkDialableNumber } from '../phone/number-policy';
import type { ApiCallRequest } from '../entities';
import type { AgentStore, ApiCallRequestStore, AuditLog, SettingStore } from '../store';
import type { ApiCaller } from './api-keys';

/** The Telegram side of an integration call: the prompt, and placing it for the agent as /call does. */
export interface AgentSide {
  prompt(request: PromptedCall): Promise<void>;
  /** Places the call now for the agent, its status shown in their chat; the intake's answer. */
  placeNow(request: { requestId: string; agentTelegramId: string; number: string; requester: string }): Promise<PlaceCallResult>;
}

export interface PromptedCall {
  requestId: string;
  agentTelegramId: string;
  e164: string;
  requester: string;
}

/** What happened to a call asked for through the API: the seam the webhooks subscribe to. */
export type IntegrationCallEvent =
  | { kind: 'requested'; requestId: string; keyName: string; agentTelegramId: string; number: string; requester: string; mode: 'prompt' | 'auto'; at: Date }
  /** Refused before the agent was asked (the number, the do-not-call list), or by the intake when placed; `record` as the audit log keeps it. */
  | { kind: 'refused'; requestId?: string; keyName?: string; agentTelegramId: string; code: string; record: string; rule?: RuleRefusal; at: Date }
  | { kind: 'placed'; requestId: string; agentTelegramId: string; callId: string; at: Date }
  | { kind: 'declined'; requestId: string; agentTelegramId: string; at: Date };

export interface CallRequestBody {
  agent: string;
  number: string;
  crm?: string;
}

/** An HTTP answer: 2xx bodies, or a problem (RFC 9457) with the refusal's code and facts. */
export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export type PromptClaim =
  | { ok: true; number: string; requester: string }
  | { ok: false; why: 'unknown' | 'not_yours' | 'expired' | 'taken' };

export interface IntegrationCallsDeps {
  requests: ApiCallRequestStore;
  agents: Pick<AgentStore, 'byTelegramId'>;
  settings: SettingStore;
  audit: AuditLog;
  dnc: Pick<DncService, 'lookup'>;
  config: Pick<Config, 'defaultRegion' | 'allowedCountries'> & { api: Pick<Config['api'], 'promptTtlS'> };
  logger?: Logger;
  now?: () => number;
}

/** The settings row of an agent's "accept integration calls without asking". */
const AUTO_ACCEPT = (telegramId: string) => `integration_calls_auto:${telegramId}`;

export class IntegrationCalls {
  private readonly now: () => number;
  private readonly happened = new Subject<IntegrationCallEvent>();
  private agentSide?: AgentSide;

  constructor(private readonly deps: IntegrationCallsDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Every request, refusal, placement and Not now, as it happens. */
  get events(): Observable<IntegrationCallEvent> {
    return this.happened.asObservable();
  }

  /** The bot, once it is built (it takes the taps, so the two know each other). */
  connect(agentSide: AgentSide): void {
    this.agentSide = agentSide;
  }

  async acceptsWithoutAsking(agentTelegramId: string): Promise<boolean> {
    return (await this.deps.settings.get(AUTO_ACCEPT(agentTelegramId)))?.value === 'on';
  }

  /** The agent's /settings choice, audited. */
  async setAcceptsWithoutAsking(agentTelegramId: string, on: boolean): Promise<void> {
    await this.deps.settings.set(AUTO_ACCEPT(agentTelegramId), on ? 'on' : 'off', agentTelegramId);
    await this.deps.audit.record({ actor: agentTelegramId, action: 'integration_calls_auto', subject: agentTelegramId, details: on ? 'on' : 'off' });
  }

  /** `POST /v1/calls`: the same key and Idempotency-Key get the first answer again, for the same body only. */
  async request(caller: ApiCaller, idempotencyKey: string, body: CallRequestBody): Promise<ApiAnswer> {
    const bodyHash = createHash('sha256').update(JSON.stringify([body.agent, body.number, body.crm ?? null])).digest('hex');
    const earlier = await this.deps.requests.byIdempotencyKey(caller.id, idempotencyKey);
    if (earlier) return replayOf(earlier, bodyHash);
    const agentSide = this.agentSide;
    if (!agentSide) return problem(503, 'not_ready', 'The service is starting; try again in a moment.');
    const agent = await this.deps.agents.byTelegramId(body.agent);
    if (!agent) return this.refuseEarly(caller, body, 404, 'unknown_agent', `No agent has the Telegram id ${body.agent}.`);
    if (agent.status !== 'active') return this.refuseEarly(caller, body, 422, 'not_authorized', `The agent ${body.agent} is ${agent.status}, not active.`);
    const number = checkDialableNumber(body.number, this.deps.config);
    if (!number.ok) {
      const record = refusalRecord('invalid_number', { number });
      return this.refuseEarly(caller, body, 422, 'invalid_number', record, { number: { refusal: number.refusal, ...(number.facts ? { facts: number.facts } : {}) } });
    }
    const listed = await this.deps.dnc.lookup(number.e164);
    if (listed) {
      const rule: RuleRefusal = { rule: 'do_not_call', since: listed.since };
      return this.refuseEarly(caller, body, 422, 'rule', `rule: ${ruleRecord(rule)}`, { rule }, rule);
    }
    const requester = body.crm ?? caller.name;
    const auto = await this.acceptsWithoutAsking(agent.telegramId);
    const id = randomUUID();
    const prompted = { requestId: id, state: 'prompted', agent: agent.telegramId, number: number.e164 };
    const added = await this.deps.requests.add({
      id, keyId: caller.id, idempotencyKey, bodyHash, agentTelegramId: agent.telegramId, number: body.number, requester,
      state: auto ? 'placing' : 'prompted', responseStatus: 202, responseBody: auto ? '' : JSON.stringify(prompted),
    });
    // Another request with the same key won the insert a moment ago.
    if (!added.added) return replayOf(added.row, bodyHash);
    this.happened.next({
      kind: 'requested', requestId: id, keyName: caller.name, agentTelegramId: agent.telegramId, number: number.e164, requester, mode: auto ? 'auto' : 'prompt', at: new Date(this.now()),
    });
    await this.deps.audit.record({ actor: `api:${caller.name}`, action: 'api_call_requested', subject: agent.telegramId, details: `${number.e164} ${auto ? 'auto' : 'prompt'} ${id}` });
    if (!auto) {
      await agentSide.prompt({ requestId: id, agentTelegramId: agent.telegramId, e164: number.e164, requester });
      return { status: 202, body: prompted };
    }
    let result: PlaceCallResult | undefined;
    try {
      result = await agentSide.placeNow({ requestId: id, agentTelegramId: agent.telegramId, number: body.number, requester });
    } catch (err) {
      // Kept as refused (503 not_placed), so the key's replays do not wait for a placement that failed.
      this.deps.logger?.warn('placing an integration call failed', { requestId: id, agent: agent.telegramId, err });
    }
    return this.settle(id, agent.telegramId, result, { keyName: caller.name, answers: true });
  }

  /** A tap on a prompt's Call: the number to place, once, by its own agent, while the prompt is fresh. */
  async claimPrompt(requestId: string, agentTelegramId: string): Promise<PromptClaim> {
    const row = await this.deps.requests.byId(requestId);
    if (!row) return { ok: false, why: 'unknown' };
    if (row.agentTelegramId !== agentTelegramId) return { ok: false, why: 'not_yours' };
    if (row.state !== 'prompted') return { ok: false, why: 'taken' };
    if (this.now() - row.createdAt.getTime() > this.deps.config.api.promptTtlS * 1000) return { ok: false, why: 'expired' };
    if (!await this.deps.requests.move(requestId, 'prompted', 'placing')) return { ok: false, why: 'taken' };
    return { ok: true, number: row.number, requester: row.requester };
  }

  /** A prompt's Not now; false when it was not this agent's open prompt. */
  async decline(requestId: string, agentTelegramId: string): Promise<boolean> {
    const row = await this.deps.requests.byId(requestId);
    if (!row || row.agentTelegramId !== agentTelegramId) return false;
    if (!await this.deps.requests.move(requestId, 'prompted', 'declined')) return false;
    this.happened.next({ kind: 'declined', requestId, agentTelegramId, at: new Date(this.now()) });
    return true;
  }

  /**
   * What came of a claimed request: the call placed, or the intake's refusal. Placed at once
   * (`answers`), it is the request's HTTP answer and kept for replays; after a prompt's tap, the
   * answer already given (202 prompted) stays the one replayed.
   */
  async settle(requestId: string, agentTelegramId: string, result: PlaceCallResult | undefined, opts: { keyName?: string; answers?: boolean } = {}): Promise<ApiAnswer> {
    const at = new Date(this.now());
    const keep = (answer: ApiAnswer) => (opts.answers ? { responseStatus: answer.status, responseBody: JSON.stringify(answer.body) } : {});
    if (result?.ok) {
      const answer = { status: 202, body: { requestId, state: 'placed', agent: agentTelegramId, number: result.context.target, callId: result.callId } };
      await this.deps.requests.move(requestId, 'placing', 'placed', { callId: result.callId, ...keep(answer) });
      this.happened.next({ kind: 'placed', requestId, agentTelegramId, callId: result.callId, at });
      return answer;
    }
    const answer = result ? refusalProblem(result) : problem(503, 'not_placed', 'The call could not be placed for the agent.');
    // The refused call's row (when the intake kept one) tells the refusal again to a restart that lost its event.
    await this.deps.requests.move(requestId, 'placing', 'refused', { ...keep(answer), ...(result && !result.ok && result.callId ? { callId: result.callId } : {}) });
    this.happened.next({
      kind: 'refused', requestId, ...(opts.keyName ? { keyName: opts.keyName } : {}), agentTelegramId, code: String(answer.body.code), record: String(answer.body.detail ?? ''),
      ...(result && !result.ok && result.rule ? { rule: result.rule } : {}), at,
    });
    return answer;
  }

  private async refuseEarly(
    caller: ApiCaller, body: CallRequestBody, status: number, code: string, record: string, facts: Record<string, unknown> = {}, rule?: RuleRefusal,
  ): Promise<ApiAnswer> {
    await this.deps.audit.record({ actor: `api:${caller.name}`, action: 'api_call_refused', subject: body.agent.slice(0, 20), details: record });
    this.happened.next({ kind: 'refused', keyName: caller.name, agentTelegramId: body.agent, code, record, ...(rule ? { rule } : {}), at: new Date(this.now()) });
    return problem(status, code, record, facts);
  }
}

/**
 * The first answer again, or 409 for another body under the same key (or one still being placed). A
 * prompt's answer (202 prompted) becomes the placed call's once the agent's tap placed it, so a CRM
 * that repeats its request learns the call's id.
 */
function replayOf(row: Pick<ApiCallRequest, 'bodyHash' | 'responseStatus' | 'responseBody' | 'state' | 'callId'>, bodyHash: string): ApiAnswer {
  if (row.bodyHash !== bodyHash) {
    return problem(409, 'idempotency_key_reused', 'This Idempotency-Key was used with another body; use a new key for a new request.');
  }
  if (row.responseBody === '') return problem(409, 'request_in_progress', 'The request with this Idempotency-Key is still being placed; repeat it in a moment.');
  const first = JSON.parse(row.responseBody) as Record<string, unknown>;
  if (row.state === 'placed' && row.callId && first.state === 'prompted') return { status: 202, body: { ...first, state: 'placed', callId: row.callId } };
  return { status: row.responseStatus, body: first };
}

/** The intake's refusal as a problem: its code and facts, and its record as the audit log keeps it. */
export function refusalProblem(result: Extract<PlaceCallResult, { ok: false }>): ApiAnswer {
  const status = result.refusal === 'live_call_exists' || result.refusal === 'came_during_call' ? 409
    : result.refusal === 'capacity' || result.refusal === 'telephony_offline' ? 503 : 422;
  const facts: Record<string, unknown> = {};
  if (result.number) facts.number = { refusal: result.number.refusal, ...(result.number.facts ? { facts: result.number.facts } : {}) };
  if (result.rule) facts.rule = result.rule;
  if (result.target) facts.target = result.target;
  if (result.liveCallId) facts.liveCallId = result.liveCallId;
  return problem(status, result.refusal, refusalRecord(result.refusal, result), facts);
}

export function problem(status: number, code: string, detail: string, facts: Record<string, unknown> = {}): ApiAnswer {
  return { status, body: { type: `urn:callbot:problem:${code}`, title: TITLES[status] ?? 'Request refused', status, code, detail, ...facts } };
}

const TITLES: Record<number, string> = {
  401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 409: 'Conflict', 422: 'Refused', 503: 'Unavailable',
};
