import { randomUUID } from 'node:crypto';
import { type Observable, Subject } from 'rxjs';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import type { NumberCheck } from '../phone/number-policy';
import type { CallPlan, RecordingPlan } from '../call/call-machine';
import type { RecordingPolicy } from '../call/call-types';
import type { ConsentAnnouncements, RecordingPolicies } from './call-engine-ports';
import type { RouteCode } from '../call/call-types';
import type { CallContext, CallUpdate } from '../call/call-update';
import { type CallAttempt, type CallRule, type HoldContext, type RuleRefusal, type RuleWait, ruleRecord } from '../compliance/rules/call-rule';
import { type DialChecks, dialChecksOf, endpointOf } from './dial-checks';
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
  | 'rule'
  /** Handled more than CALL_REQUEST_MAX_AGE_MS after it was sent: the agent has moved on. */
  | 'stale'
  /** It arrived while the agent's previous call was live or being placed, and that call has ended since. */
  | 'came_during_call'
  /** The agent's route or phone changed while the request waited for its turn. */
  | 'settings_changed'
  /** The agent was revoked or suspended while the request waited: the admin's action tells them. */
  | 'stopped';

/**
 * Why an agent's waiting requests were ended: revoked or suspended here, or found no longer
 * authorized while waiting (another instance's admin acted).
 */
export type StopReason = 'revoked' | 'suspended' | 'access_ended';

/** How often a waiting request reads its agent again, so a revoke on another instance ends it too. */
const WAITING_AGENT_READ_MS = 500;

/** A call request handled later than this after it was sent is refused: one tapped twenty times in a second wanted one call, and now. */
export const CALL_REQUEST_MAX_AGE_MS = 10_000;

export type PlaceCallResult =
  | {
    ok: true; callId: string; context: CallContext; updates: Observable<CallUpdate>;
    /**
     * False when another instance runs the call (cluster mode: the owner of its Asterisk server),
     * which then also shows its status; `updates` is then empty.
     */
    runsHere: boolean;
  }
  | ({
    ok: false; refusal: CallRefusal;
    /** The refused request's Call row (a refusal before any row, e.g. of an unknown agent, has none). */
    callId?: string;
  } & RefusalFacts);

/** What a refusal says beside its code. */
export interface RefusalFacts {
  /** invalid_number: why the number was refused. */
  number?: Extract<NumberCheck, { ok: false }>;
  liveCallId?: string;
  /** The checked number, when it was valid. */
  target?: string;
  rule?: RuleRefusal;
  /** stale: how old the request was, in seconds. */
  ageS?: number;
  stopped?: StopReason;
}

/** A refused request of a known agent, told once its Call row and audit event are written. */
export interface RefusedRequest {
  /** The refused request's Call row (absent for a party refused on a live call: no row of its own). */
  callId?: string;
  /** The checked number, when it was valid. */
  target?: string;
  agentId: number;
  agentTelegramId: string;
  refusal: CallRefusal;
  /** The compliance rule that refused it, when one did. */
  rule?: RuleRefusal;
  /** The HTTP API request it was placed for (its refusal is that request's event). */
  apiRequestId?: string;
  at: number;
}

export interface CallRequest {
  agentTelegramId: string;
  targetInput: string;
  telegramChatId?: string;
  /** Told when a rule holds the request back for a moment (a route's set-up rate). */
  onWaiting?: (wait: RuleWait) => void;
  /**
   * When this process received the request (the bot: as Telegram's update arrived, before it
   * queued behind the chat's earlier ones). A request is judged by what was true then.
   */
  receivedAt?: number;
  /** When the user sent it by Telegram's clock, to the second (the update's `date`). */
  sentAt?: number;
  /** The HTTP API request this call is placed for: its refusal is told as the request's (api/integration-calls.ts), not as a call's too. */
  apiRequestId?: string;
}

/**
 * Where calls go once checked: this process's runner, or whatever a layer on top puts in its place
 * (cluster mode: the owner of an Asterisk server). The intake asks it the questions whose answers
 * depend on that. `W` is where one call goes, as the placement chose it: its fields are added to the
 * call's first record (nothing on a single instance).
 */
export interface CallPlacement<W extends object> {
  /** Reads what the checks below need, once per request, one request at a time (cluster mode: the live calls per route). */
  beforeChecks?(): Promise<void>;
  /** The agent's live call known to this process: the fast path in front of the database's own rule. */
  liveCallOfAgent(agentId: number): string | undefined;
  /** Holds the agent's slot in this process while the request is recorded; false when taken. */
  reserveAgent(agentId: number, route: RouteCode): boolean;
  releaseAgent(agentId: number): void;
  /** Calls live on the route, requests being recorded included (read again after a rule's wait). */
  liveCallsOnRoute(route: RouteCode): number;
  liveCallCount(): Promise<number>;
  /** Where a call on the route can run now, or undefined when nowhere can. */
  whereFor(route: RouteCode): Promise<W | undefined>;
  /** Resolves once this process's ended calls of the agent are written as ended (the database's rule would refuse the next one). */
  endedCallsWritten(agentId: number): Promise<void>;
  /** Runs the call whose row was just written. */
  start(context: CallContext, plan: CallPlan, where: W): Promise<{ updates: Observable<CallUpdate>; runsHere: boolean }>;
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
  /** The route's recording policy, read as each call is placed; without it every call gets `defaultRecordingPolicy`. */
  recordingPolicies?: RecordingPolicies;
  /** The announcement a `consent` route plays the customer first; without it (or none recorded) Asterisk's default sound. */
  consentAnnouncements?: ConsentAnnouncements;
  /** The policy when no RecordingPolicies is given; `off` by default. */
  defaultRecordingPolicy?: RecordingPolicy;
  now?: () => number;
}

/**
 * The front door of every call: checks and records a request, then hands it to its placement.
 * Every request leaves a trace before anything is dialed: a Call row for a known agent (refused
 * ones included) and an audit event for every refusal.
 */
export class CallIntake<W extends object> {
  private readonly now: () => number;
  /** The number policy and the rules, the same a party brought into a call passes (dial-checks.ts). */
  private readonly checks: DialChecks;
  private readonly refused = new Subject<RefusedRequest>();
  /** Requests being checked, waiting or recorded, by agent: revoke and suspend end them. */
  private readonly inFlight = new Map<string, Set<{ controller: AbortController; placing: Promise<PlaceCallResult> }>>();
  /** The end of the last serialized decision: the next one starts after it. */
  private turn: Promise<void> = Promise.resolve();

  constructor(private readonly deps: CallIntakeDeps, private readonly placement: CallPlacement<W>) {
    this.now = deps.now ?? Date.now;
    this.checks = dialChecksOf(deps);
  }

  /** Every refused request of a known agent, after it is recorded (the abuse alerts count them). */
  get refusals(): Observable<RefusedRequest> {
    return this.refused.asObservable();
  }

  /** Checks the request, waits for its turn if a rule says so, checks it again and records it, then hands it to its placement. */
  placeCall(request: CallRequest): Promise<PlaceCallResult> {
    const controller = new AbortController();
    const placing = this.place(request, controller);
    const flight = { controller, placing };
    const flights = this.inFlight.get(request.agentTelegramId) ?? new Set();
    flights.add(flight);
    this.inFlight.set(request.agentTelegramId, flights);
    const done = () => {
      flights.delete(flight);
      if (flights.size === 0 && this.inFlight.get(request.agentTelegramId) === flights) this.inFlight.delete(request.agentTelegramId);
    };
    placing.then(done, done);
    return placing;
  }

  /**
   * Ends the agent's requests at once (revoked or suspended): one waiting for its turn is refused
   * without dialing. Resolves once each of them is refused or placed, so that a call placed just
   * before is live, for the caller to end.
   */
  async stopRequestsOf(agentTelegramId: string, why: StopReason): Promise<void> {
    const flights = [...(this.inFlight.get(agentTelegramId) ?? [])];
    for (const flight of flights) flight.controller.abort(why);
    await Promise.allSettled(flights.map((flight) => flight.placing));
  }

  private async place(request: CallRequest, controller: AbortController): Promise<PlaceCallResult> {
    const { agents } = this.deps;
    const { signal } = controller;
    const agent = await agents.activeAgentByTelegramId(request.agentTelegramId);
    if (!agent) {
      await this.deps.audit.record({ actor: request.agentTelegramId, action: 'call_refused', subject: null, details: 'not_authorized' });
      return { ok: false, refusal: 'not_authorized' };
    }
    const age = this.ageOf(request);
    if (age.ms > CALL_REQUEST_MAX_AGE_MS) {
      if (!age.byReceipt) {
        // Only Telegram's clock says it is old: a server clock running ahead would refuse every request.
        this.deps.logger.warn('call request refused as stale by its Telegram date; if every request is, check this server\'s clock (NTP)', {
          agent: agent.telegramId, ageS: Math.round(age.ms / 1000),
        });
      }
      return this.refuse(agent, request, 'stale', { ageS: Math.round(age.ms / 1000) });
    }
    const liveCallId = this.placement.liveCallOfAgent(agent.id);
    if (liveCallId) return this.refuse(agent, request, 'live_call_exists', { liveCallId });
    const number = this.checks.number(request.targetInput);
    if (!number.ok) return this.refuse(agent, request, 'invalid_number', { number });
    if (!agent.route) return this.refuse(agent, request, 'no_route', { target: number.e164 });
    if (!agent.phone) return this.refuse(agent, request, 'no_phone');
    const target = number.e164;
    const attempt: CallAttempt = {
      agentId: agent.id, agentTelegramId: agent.telegramId, target, route: agent.route, callerId: agent.callerId, at: this.now(),
    };
    const held = await this.watchingAgent(agent.telegramId, controller, () => this.holdBack(attempt, request, signal));
    if (held) return this.refuse(agent, request, 'rule', { target, rule: held });
    if (signal.aborted) return this.refuse(agent, request, 'stopped', { target, stopped: signal.reason as StopReason });
    await this.placement.endedCallsWritten(agent.id);
    const decided = await this.oneAtATime(() => this.decide(agent, target, request, signal));
    if (!decided.placed) return this.refuseAfterChecks(agent, request, target, decided.refused);
    try {
      const started = await this.placement.start(decided.context, decided.plan, decided.where);
      return { ok: true, callId: decided.context.callId, context: decided.context, ...started };
    } finally {
      this.placement.releaseAgent(agent.id);
    }
  }

  /** The rules that hold a request back (a route's set-up rate), each run once, before the checks that decide it. */
  private async holdBack(attempt: CallAttempt, request: CallRequest, signal: AbortSignal): Promise<RuleRefusal | undefined> {
    const context: HoldContext = {
      checkedBeforeHolding: async () => {
        await this.placement.beforeChecks?.();
        return this.checkRules(attempt);
      },
      waiting: (wait) => request.onWaiting?.(wait),
      signal,
    };
    return this.checks.holdBack(attempt, context);
  }

  /**
   * While a request is held back, its agent is read again every WAITING_AGENT_READ_MS: one revoked
   * or suspended where stopRequestsOf cannot reach (another instance) ends the wait as well.
   */
  private async watchingAgent<T>(agentTelegramId: string, controller: AbortController, step: () => Promise<T>): Promise<T> {
    const timer = setInterval(() => {
      this.deps.agents.activeAgentByTelegramId(agentTelegramId).then((agent) => {
        if (!agent) controller.abort('access_ended' satisfies StopReason);
      }, (err: unknown) => this.deps.logger.warn('reading a waiting request\'s agent failed; it is checked again when its turn comes', { err }));
    }, WAITING_AGENT_READ_MS);
    timer.unref();
    try {
      return await step();
    } finally {
      clearInterval(timer);
    }
  }

  private checkRules(attempt: CallAttempt): Promise<RuleRefusal | undefined> {
    return this.checks.firstRefusal(attempt, { liveCallsOnRoute: (route) => this.placement.liveCallsOnRoute(route) });
  }

  /**
   * The decision to place the call and its record, one request at a time (and, on PostgreSQL, one
   * process at a time): the agent as the database holds it now, every rule, the capacity, then the
   * Call row, so no two requests both pass a limit that only one of them fits.
   */
  private async decide(agent: AgentRecord, target: string, request: CallRequest, signal: AbortSignal): Promise<Decision<W>> {
    const now = await this.deps.agents.activeAgentByTelegramId(agent.telegramId);
    if (signal.aborted) return { placed: false, refused: { refusal: 'stopped', stopped: signal.reason as StopReason } };
    if (!now) return { placed: false, refused: { refusal: 'not_authorized' } };
    if (!now.route || !now.phone || now.route !== agent.route || now.phone !== agent.phone) return { placed: false, refused: { refusal: 'settings_changed' } };
    if (request.receivedAt !== undefined) {
      const latest = await this.deps.calls.latestPlacedCallOfAgent(agent.id);
      if (latest && (latest.endedAt === null || latest.endedAt.getTime() > request.receivedAt)) {
        return { placed: false, refused: { refusal: latest.endedAt === null ? 'live_call_exists' : 'came_during_call' } };
      }
    }
    const route = now.route;
    await this.placement.beforeChecks?.();
    const rule = await this.checkRules({ agentId: now.id, agentTelegramId: now.telegramId, target, route, callerId: now.callerId, at: this.now() });
    if (rule) return { placed: false, refused: { refusal: 'rule', rule } };
    const where = await this.placement.whereFor(route);
    if (!where) return { placed: false, refused: { refusal: 'telephony_offline' } };
    if (await this.placement.liveCallCount() >= this.deps.config.maxConcurrentCalls) return { placed: false, refused: { refusal: 'capacity' } };
    if (!this.placement.reserveAgent(now.id, route)) return { placed: false, refused: { refusal: 'live_call_exists', liveCallId: this.placement.liveCallOfAgent(now.id) } };
    let decided: Decision<W>;
    try {
      decided = await this.record(now, route, now.phone, target, request, where);
    } catch (err) {
      this.placement.releaseAgent(now.id);
      throw err;
    }
    if (!decided.placed) this.placement.releaseAgent(now.id);
    return decided;
  }

  private async record(
    agent: AgentRecord, route: RouteCode, agentPhone: string, target: string, request: CallRequest, where: W,
  ): Promise<Decision<W>> {
    const { config } = this.deps;
    const callId = randomUUID();
    const callerId = agent.callerId ?? config.defaultCallerId ?? null;
    const recording = await this.recordingOf(route);
    const plan: CallPlan = {
      ...callPlanOf(config, {
        callId, route, agentEndpoint: endpointOf(config.routes, route, agentPhone), targetEndpoint: endpointOf(config.routes, route, target), callerId,
        agentId: agent.id, agentLabel: agent.displayName || agentPhone, customerLabel: target,
      }),
      ...(recording.policy !== 'off' ? { recording } : {}),
    };
    try {
      await this.deps.calls.recordCallRequest({
        id: callId, agentId: agent.id, onCallAgentId: agent.id, agentPhone, targetInput: request.targetInput.slice(0, 64), target, callerId, route,
        agentEndpoint: plan.agentEndpoint, targetEndpoint: plan.targetEndpoint, stage: 'requested', requestedAt: new Date(this.now()),
        telegramChatId: request.telegramChatId ?? null, ...where,
      });
    } catch (err) {
      // Another process on the same database placed the agent's live call: nothing was written or dialed.
      if (err instanceof AgentHasLiveCall) return { placed: false, refused: { refusal: 'live_call_exists' } };
      // Cluster mode: the database's count, under its lock, says a global limit would be exceeded.
      if (err instanceof LimitReached) return { placed: false, refused: overLimit(err.reached) };
      throw err;
    }
    const context: CallContext = { callId, agentId: agent.id, agentTelegramId: agent.telegramId, agentPhone, target, route, callerId };
    return { placed: true, context, plan, where };
  }

  private recordingOf(route: RouteCode): Promise<RecordingPlan> {
    return recordingPlanOf(this.deps, route);
  }

  /** This process's requests one after another, and, when the database can, every process's. */
  private oneAtATime<T>(step: () => Promise<T>): Promise<T> {
    const { calls } = this.deps;
    const run = this.turn.then(() => calls.placingAlone(step));
    this.turn = run.then(() => undefined, () => undefined);
    return run;
  }

  /**
   * How long ago the request was sent or received, whichever is earlier (Telegram's `date` is whole
   * seconds), and whether this process's own receipt time says so.
   */
  private ageOf(request: CallRequest): { ms: number; byReceipt: boolean } {
    const now = this.now();
    const received = request.receivedAt !== undefined ? now - request.receivedAt : 0;
    const sent = request.sentAt !== undefined ? now - request.sentAt - 1000 : 0;
    return { ms: Math.max(received, sent), byReceipt: received >= sent };
  }

  private refuseAfterChecks(agent: AgentRecord, request: CallRequest, target: string, refused: DecidedRefusal): Promise<PlaceCallResult> {
    const { refusal, ...facts } = refused;
    return this.refuse(agent, request, refusal, { target, ...facts });
  }

  private async refuse(
    agent: AgentRecord, request: CallRequest, refusal: CallRefusal,
    facts: RefusalFacts = {},
  ): Promise<PlaceCallResult> {
    const now = new Date(this.now());
    const rule = refusalRecord(refusal, facts);
    const callId = randomUUID();
    await this.deps.calls.recordCallRequest({
      id: callId, agentId: agent.id, agentPhone: agent.phone, targetInput: request.targetInput.slice(0, 64), target: facts.target ?? null,
      route: agent.route, callerId: agent.callerId, stage: 'ended', outcome: 'refused', detail: rule.slice(0, 512),
      requestedAt: now, endedAt: now, telegramChatId: request.telegramChatId ?? null,
    });
    await this.deps.audit.record({ actor: agent.telegramId, action: 'call_refused', subject: agent.telegramId, details: rule });
    this.refused.next({
      callId, ...(facts.target ? { target: facts.target } : {}), agentId: agent.id, agentTelegramId: agent.telegramId, refusal,
      ...(facts.rule ? { rule: facts.rule } : {}), ...(request.apiRequestId ? { apiRequestId: request.apiRequestId } : {}), at: now.getTime(),
    });
    return {
      ok: false, refusal, callId,
      ...(facts.number ? { number: facts.number } : {}), ...(facts.liveCallId ? { liveCallId: facts.liveCallId } : {}), ...(facts.target ? { target: facts.target } : {}),
      ...(facts.rule ? { rule: facts.rule } : {}), ...(facts.ageS !== undefined ? { ageS: facts.ageS } : {}), ...(facts.stopped ? { stopped: facts.stopped } : {}),
    };
  }
}

type DecidedRefusal = { refusal: CallRefusal } & Pick<RefusalFacts, 'rule' | 'liveCallId' | 'stopped'>;

/** What the serialized step decided: the call recorded (to be started), or why not. */
type Decision<W> =
  | { placed: true; context: CallContext; plan: CallPlan; where: W }
  | { placed: false; refused: DecidedRefusal };

/** A global limit the database's count found reached (cluster mode), as the refusal the agent reads. */
function overLimit(reached: ReachedLimit): DecidedRefusal {
  switch (reached.limit) {
    case 'concurrent_calls':
      return { refusal: 'capacity' };
    case 'route_calls':
      return { refusal: 'rule', rule: { rule: 'route_busy', route: reached.route, limit: reached.max, live: reached.live } };
    case 'number_calls':
      return { refusal: 'rule', rule: { rule: 'number_cap', period: reached.period, limit: reached.max, placed: reached.placed } };
  }
}

/** The timeouts and confirmation every call gets from the configuration, around what is the call's own. */
export function callPlanOf(
  config: Pick<Config, 'agentRingTimeoutS' | 'targetRingTimeoutS' | 'agentConfirmDigit' | 'agentConfirmTimeoutS'>,
  call: Pick<CallPlan, 'callId' | 'route' | 'agentId' | 'agentLabel' | 'customerLabel' | 'agentEndpoint' | 'targetEndpoint' | 'callerId'>,
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
export function refusalRecord(refusal: string, { number, ageS, stopped, rule }: RefusalFacts): string {
  if (rule) return `${refusal}: ${ruleRecord(rule)}`;
  if (ageS !== undefined) return `${refusal} (ageS=${ageS})`;
  if (stopped) return `${refusal} (${stopped})`;
  if (!number) return refusal;
  const facts = number.facts ? Object.entries(number.facts).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' ') : '';
  return `${refusal}: ${number.refusal}${facts ? ` (${facts})` : ''}`;
}

/**
 * The route's recording policy and, under `consent`, its announcement, read as a call is placed (here,
 * or by a cluster server's owner as it starts a request). A policy that cannot be read is logged and
 * the call is not recorded: never recorded without the consent a route may require.
 */
export async function recordingPlanOf(
  deps: Pick<CallIntakeDeps, 'recordingPolicies' | 'consentAnnouncements' | 'defaultRecordingPolicy' | 'logger'>, route: RouteCode,
): Promise<RecordingPlan> {
  const { recordingPolicies, consentAnnouncements, logger } = deps;
  let policy: RecordingPolicy = deps.defaultRecordingPolicy ?? 'off';
  try {
    if (recordingPolicies) policy = await recordingPolicies.policyFor(route);
    if (policy !== 'consent' || !consentAnnouncements) return { policy };
    const announcement = await consentAnnouncements.announcementFor(route);
    return announcement ? { policy, announcement } : { policy };
  } catch (err) {
    logger.warn('reading the route\'s recording policy failed; this call is not recorded', { route, err });
    return { policy: 'off' };
  }
}
