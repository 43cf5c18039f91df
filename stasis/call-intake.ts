import { randomUUID } from 'node:crypto';
import { type Observable, Subject } from 'rxjs';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import { type NumberCheck, type NumberPolicy, checkDialableNumber } from '../phone/number-policy';
import type { CallPlan } from '../call/call-machine';
import type { RouteCode } from '../call/call-types';
import type { CallContext, CallUpdate } from '../call/call-update';
import { type CallAttempt, type CallRule, type RuleContext, type RuleRefusal, type RuleWait, ruleRecord } from '../rules/call-rule';
import { LimitReached, type ReachedLimit } from '../call/limit-reached';
import { type AgentDirectory, AgentHasLiveCall, type AgentRecord, type AuditTrail, type CallRecords } from './call-engine-ports';

export type CallRefusal =
  | 'not_authorized'
  | 'no_route'
  | 'no_phone'
  | 'invalid_number'
  | 'live_call_exists'
  | 'capacity'
  | 'telephony_offline'
  /** A compliance rule refused it (do-not-call, calling hours, caps): `rule` says which and why. */
  | 'rule';

export type PlaceCallResult =
  | {
    ok: true; callId: string; context: CallContext; updates: Observable<CallUpdate>;
    /**
     * False when another instance runs the call (cluster mode: the owner of its Asterisk server),
     * which then also shows its status; `updates` is then empty.
     */
    runsHere: boolean;
  }
  | {
    ok: false;
    refusal: CallRefusal;
    /** invalid_number: why the number was refused. */
    number?: Extract<NumberCheck, { ok: false }>;
    liveCallId?: string;
    /** The checked number, when it was valid. */
    target?: string;
    rule?: RuleRefusal;
  };

/** A refused request of a known agent, told once its Call row and audit event are written. */
export interface RefusedRequest {
  agentId: number;
  agentTelegramId: string;
  refusal: CallRefusal;
  /** The compliance rule that refused it, when one did. */
  rule?: RuleRefusal;
  at: number;
}

export interface CallRequest {
  agentTelegramId: string;
  targetInput: string;
  telegramChatId?: string;
  /** Told when a rule holds the request back for a moment (a route's set-up rate). */
  onWaiting?: (wait: RuleWait) => void;
}

/**
 * Where calls go once checked: this process's runner on a single instance, or the owner of an
 * Asterisk server in cluster mode. The intake asks it the questions whose answers depend on that.
 */
export interface CallPlacement {
  /** Reads what the checks below need, once per request (cluster mode: the live calls per route). */
  beforeChecks?(): Promise<void>;
  /** The agent's live call known to this process: the fast path in front of the database's own rule. */
  liveCallOfAgent(agentId: number): string | undefined;
  /** Holds the agent's slot in this process while the request is recorded; false when taken. */
  reserveAgent(agentId: number, route: RouteCode): boolean;
  releaseAgent(agentId: number): void;
  /** Calls live on the route, requests being recorded included (read again after a rule's wait). */
  liveCallsOnRoute(route: RouteCode): number;
  liveCallCount(): Promise<number>;
  /** Where a call on the route can run now: a server's id (null on a single instance), or undefined when none can. */
  serverFor(route: RouteCode): Promise<{ serverId: string | null } | undefined>;
  /** Resolves once this process's ended calls of the agent are written as ended (the database's rule would refuse the next one). */
  endedCallsWritten(agentId: number): Promise<void>;
  /** Runs the call whose row was just written. */
  start(context: CallContext, plan: CallPlan, serverId: string | null): Promise<{ updates: Observable<CallUpdate>; runsHere: boolean }>;
}

export interface CallIntakeDeps {
  config: Pick<Config, 'routes' | 'defaultCallerId' | 'defaultRegion' | 'allowedCountries'
    | 'agentRingTimeoutS' | 'targetRingTimeoutS' | 'agentConfirmDigit' | 'agentConfirmTimeoutS' | 'maxConcurrentCalls'>;
  agents: AgentDirectory;
  calls: CallRecords;
  audit: AuditTrail;
  logger: Logger;
  /** Checked in order on every request with a valid number and a route; the first refusal wins. */
  rules?: readonly CallRule[];
  now?: () => number;
}

/**
 * The front door of every call: checks and records a request, then hands it to its placement.
 * Every request leaves a trace before anything is dialed: a Call row for a known agent (refused
 * ones included) and an audit event for every refusal.
 */
export class CallIntake {
  private readonly now: () => number;
  private readonly policy: NumberPolicy;
  private readonly refused = new Subject<RefusedRequest>();

  constructor(private readonly deps: CallIntakeDeps, private readonly placement: CallPlacement) {
    this.now = deps.now ?? Date.now;
    this.policy = { defaultRegion: deps.config.defaultRegion, allowedCountries: deps.config.allowedCountries };
  }

  /** Every refused request of a known agent, after it is recorded (the abuse alerts count them). */
  get refusals(): Observable<RefusedRequest> {
    return this.refused.asObservable();
  }

  async placeCall(request: CallRequest): Promise<PlaceCallResult> {
    const { agents } = this.deps;
    const agent = await agents.activeAgentByTelegramId(request.agentTelegramId);
    if (!agent) {
      await this.deps.audit.record({ actor: request.agentTelegramId, action: 'call_refused', subject: null, details: 'not_authorized' });
      return { ok: false, refusal: 'not_authorized' };
    }
    const liveCallId = this.placement.liveCallOfAgent(agent.id);
    if (liveCallId) return this.refuse(agent, request, 'live_call_exists', { liveCallId });
    const number = checkDialableNumber(request.targetInput, this.policy);
    if (!number.ok) return this.refuse(agent, request, 'invalid_number', { number });
    if (!agent.route) return this.refuse(agent, request, 'no_route', { target: number.e164 });
    if (!agent.phone) return this.refuse(agent, request, 'no_phone');
    const attempt: CallAttempt = {
      agentId: agent.id, agentTelegramId: agent.telegramId, target: number.e164, route: agent.route, callerId: agent.callerId, at: this.now(),
    };
    await this.placement.beforeChecks?.();
    const context: RuleContext = {
      liveCallsOnRoute: (route) => this.placement.liveCallsOnRoute(route),
      waiting: (wait) => request.onWaiting?.(wait),
    };
    for (const rule of this.deps.rules ?? []) {
      const refused = await rule.check(attempt, context);
      if (refused) return this.refuse(agent, request, 'rule', { target: number.e164, rule: refused });
    }
    const server = await this.placement.serverFor(agent.route);
    if (!server) return this.refuse(agent, request, 'telephony_offline');
    if (await this.placement.liveCallCount() >= this.deps.config.maxConcurrentCalls) return this.refuse(agent, request, 'capacity');
    if (!this.placement.reserveAgent(agent.id, agent.route)) {
      return this.refuse(agent, request, 'live_call_exists', { liveCallId: this.placement.liveCallOfAgent(agent.id) });
    }
    try {
      return await this.launch(agent, agent.route, agent.phone, number.e164, request, server.serverId);
    } finally {
      this.placement.releaseAgent(agent.id);
    }
  }

  private async launch(
    agent: AgentRecord, route: RouteCode, agentPhone: string, target: string, request: CallRequest, serverId: string | null,
  ): Promise<PlaceCallResult> {
    const { config } = this.deps;
    const callId = randomUUID();
    const callerId = agent.callerId ?? config.defaultCallerId ?? null;
    const template = config.routes[route].endpointTemplate;
    const plan = callPlanOf(config, {
      callId, route, agentEndpoint: template.replace('{number}', agentPhone), targetEndpoint: template.replace('{number}', target), callerId,
    });
    await this.placement.endedCallsWritten(agent.id);
    try {
      await this.deps.calls.recordCallRequest({
        id: callId, agentId: agent.id, agentPhone, targetInput: request.targetInput.slice(0, 64), target, callerId, route,
        agentEndpoint: plan.agentEndpoint, targetEndpoint: plan.targetEndpoint, stage: 'requested', requestedAt: new Date(this.now()),
        telegramChatId: request.telegramChatId ?? null, ...(serverId !== null ? { serverId } : {}),
      });
    } catch (err) {
      // Another process on the same database placed the agent's live call: nothing was written or dialed.
      if (err instanceof AgentHasLiveCall) return this.refuse(agent, request, 'live_call_exists', { target });
      // Cluster mode: the database's count, under its lock, says a global limit would be exceeded.
      if (err instanceof LimitReached) return this.refuseOverLimit(agent, request, target, err.reached);
      throw err;
    }
    const context: CallContext = { callId, agentId: agent.id, agentTelegramId: agent.telegramId, agentPhone, target, route, callerId };
    const started = await this.placement.start(context, plan, serverId);
    return { ok: true, callId, context, ...started };
  }

  private refuseOverLimit(agent: AgentRecord, request: CallRequest, target: string, reached: ReachedLimit): Promise<PlaceCallResult> {
    switch (reached.limit) {
      case 'concurrent_calls':
        return this.refuse(agent, request, 'capacity', { target });
      case 'route_calls':
        return this.refuse(agent, request, 'rule', { target, rule: { rule: 'route_busy', route: reached.route, limit: reached.max, live: reached.live } });
      case 'number_calls':
        return this.refuse(agent, request, 'rule', { target, rule: { rule: 'number_cap', period: reached.period, limit: reached.max, placed: reached.placed } });
    }
  }

  private async refuse(
    agent: AgentRecord, request: CallRequest, refusal: CallRefusal,
    facts: { number?: Extract<NumberCheck, { ok: false }>; liveCallId?: string; target?: string; rule?: RuleRefusal } = {},
  ): Promise<PlaceCallResult> {
    const now = new Date(this.now());
    const rule = facts.rule ? `${refusal}: ${ruleRecord(facts.rule)}` : refusalRecord(refusal, facts.number);
    await this.deps.calls.recordCallRequest({
      id: randomUUID(), agentId: agent.id, agentPhone: agent.phone, targetInput: request.targetInput.slice(0, 64), target: facts.target ?? null,
      route: agent.route, callerId: agent.callerId, stage: 'ended', outcome: 'refused', detail: rule.slice(0, 512),
      requestedAt: now, endedAt: now, telegramChatId: request.telegramChatId ?? null,
    });
    await this.deps.audit.record({ actor: agent.telegramId, action: 'call_refused', subject: agent.telegramId, details: rule });
    this.refused.next({ agentId: agent.id, agentTelegramId: agent.telegramId, refusal, ...(facts.rule ? { rule: facts.rule } : {}), at: now.getTime() });
    return {
      ok: false, refusal,
      ...(facts.number ? { number: facts.number } : {}), ...(facts.liveCallId ? { liveCallId: facts.liveCallId } : {}), ...(facts.target ? { target: facts.target } : {}),
      ...(facts.rule ? { rule: facts.rule } : {}),
    };
  }
}

/** The timeouts and confirmation every call gets from the configuration, around what is the call's own. */
export function callPlanOf(
  config: Pick<Config, 'agentRingTimeoutS' | 'targetRingTimeoutS' | 'agentConfirmDigit' | 'agentConfirmTimeoutS'>,
  call: Pick<CallPlan, 'callId' | 'route' | 'agentEndpoint' | 'targetEndpoint' | 'callerId'>,
): CallPlan {
  return {
    ...call,
    agentRingTimeoutS: config.agentRingTimeoutS,
    targetRingTimeoutS: config.targetRingTimeoutS,
    confirmDigit: config.agentConfirmDigit,
    confirmTimeoutS: config.agentConfirmTimeoutS,
  };
}

/** The rule that refused a request, as the audit log and the Call row keep it: codes and facts, no wording. */
function refusalRecord(refusal: CallRefusal, number?: Extract<NumberCheck, { ok: false }>): string {
  if (!number) return refusal;
  const facts = number.facts ? Object.entries(number.facts).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' ') : '';
  return `${refusal}: ${number.refusal}${facts ? ` (${facts})` : ''}`;
}
