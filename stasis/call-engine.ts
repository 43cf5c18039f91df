import { randomUUID } from 'node:crypto';
import { type Observable, Subject, type Subscription } from 'rxjs';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import { type NumberCheck, type NumberPolicy, checkDialableNumber } from '../phone/number-policy';
import type { AriPort } from './ari-port';
import { type AgentDirectory, AgentHasLiveCall, type AgentRecord, type AuditTrail, type CallRecords } from './call-engine-ports';
import type { CallPlan, CancelSource } from '../call/call-machine';
import { CallRegistry, type LiveCall } from './call-registry';
import { CallRowWriter } from './call-row-writer';
import { CallRunner } from './call-runner';
import type { CallSetupObserver } from './call-setup-observer';
import type { CallStage, RouteCode } from '../call/call-types';
import type { CallContext, CallUpdate } from '../call/call-update';
import { type InterruptedCall, reconcileOnStartup, resyncAfterReconnect, sweepOrphans } from './reconcile';
import type { TeardownRetryPolicy } from './teardown-retry';
import { type CallAttempt, type CallRule, type RuleContext, type RuleRefusal, type RuleWait, ruleRecord } from '../rules/call-rule';

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
  | { ok: true; callId: string; context: CallContext; updates: Observable<CallUpdate> }
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

/** What the app may see of a live call: who, what, where it is, and its stream. */
export interface LiveCallView {
  readonly context: CallContext;
  readonly stage: CallStage;
  readonly updates: Observable<CallUpdate>;
}

export type CancelAnswer = 'cancelled' | 'no_such_call' | 'not_yours';

function viewOf(live: LiveCall): LiveCallView {
  return { context: live.context, stage: live.state.stage, updates: live.updates.asObservable() };
}

export interface CallRequest {
  agentTelegramId: string;
  targetInput: string;
  telegramChatId?: string;
  /** Told when a rule holds the request back for a moment (a route's set-up rate). */
  onWaiting?: (wait: RuleWait) => void;
}

export interface CallEngineDeps {
  config: Pick<Config, 'ari' | 'routes' | 'defaultCallerId' | 'defaultRegion' | 'allowedCountries'
    | 'agentRingTimeoutS' | 'targetRingTimeoutS' | 'agentConfirmDigit' | 'agentConfirmTimeoutS' | 'maxConcurrentCalls'>;
  ari: AriPort;
  agents: AgentDirectory;
  calls: CallRecords;
  audit: AuditTrail;
  logger: Logger;
  /** Checked in order on every request with a valid number and a route; the first refusal wins. */
  rules?: readonly CallRule[];
  /** Default: DEFAULT_TEARDOWN_RETRY. */
  teardownRetry?: TeardownRetryPolicy;
  /** Told when Asterisk answers each leg's first request (metrics). */
  setup?: CallSetupObserver;
  /** Channels of the app that are not calls (caller-ID verification): the orphan sweep leaves them while live. */
  otherChannels?: { ownedChannelIds(): ReadonlySet<string> };
  now?: () => number;
}

/** What the orphan sweeps have cleaned since the engine started. */
export interface SweepCounts {
  sweeps: number;
  channels: number;
  bridges: number;
  failed: number;
}


/**
 * The engine's front door: checks and records a call request, then hands it to the runner.
 * Every request leaves a trace before anything is dialed: a Call row for a known agent (refused
 * ones included) and an audit event for every refusal.
 */
export class CallEngine {
  private readonly registry = new CallRegistry();
  private readonly runner: CallRunner;
  private readonly writer: CallRowWriter;
  private readonly now: () => number;
  private readonly policy: NumberPolicy;
  private subscriptions: Subscription[] = [];
  private wasConnected = false;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private readonly swept: SweepCounts = { sweeps: 0, channels: 0, bridges: 0, failed: 0 };
  private readonly refused = new Subject<RefusedRequest>();

  constructor(private readonly deps: CallEngineDeps) {
    this.now = deps.now ?? Date.now;
    this.writer = new CallRowWriter(deps.calls, deps.logger);
    this.runner = new CallRunner({
      ari: deps.ari, registry: this.registry, writer: this.writer, app: deps.config.ari.app, logger: deps.logger,
      now: this.now,
      ...(deps.teardownRetry ? { teardownRetry: deps.teardownRetry } : {}),
      ...(deps.setup ? { setup: deps.setup } : {}),
    });
    this.policy = { defaultRegion: deps.config.defaultRegion, allowedCountries: deps.config.allowedCountries };
  }

  /** The stream of every call's updates. */
  get updates(): Observable<CallUpdate> {
    return this.registry.allUpdates;
  }

  /** Every refused request of a known agent, after it is recorded (the abuse alerts count them). */
  get refusals(): Observable<RefusedRequest> {
    return this.refused.asObservable();
  }

  isTelephonyOnline(): boolean {
    return this.deps.ari.isConnected();
  }

  /**
   * Ends rows a previous process left live, then follows ARI events and reconnects. Returns the
   * calls it ended, so the bot can tell their agents.
   */
  async start(): Promise<InterruptedCall[]> {
    const interrupted = await reconcileOnStartup(this.deps.calls, this.deps.logger);
    this.subscriptions.push(this.deps.ari.events.subscribe((event) => this.runner.handleAriEvent(event)));
    this.subscriptions.push(this.deps.ari.connection.subscribe((state) => {
      if (state !== 'connected') return;
      const reconnect = this.wasConnected;
      this.wasConnected = true;
      void this.afterConnect(reconnect);
    }));
    // Teardown that failed past its retries, or channels Asterisk made after a request timed out,
    // are found here without waiting for a reconnect.
    this.sweepTimer = setInterval(() => {
      if (this.deps.ari.isConnected()) void this.sweepOrphans();
    }, this.deps.config.ari.orphanSweepIntervalS * 1000);
    return interrupted;
  }

  /**
   * Stops following ARI. Teardown still being retried gets up to `teardownGraceMs` to finish (the
   * calls a shutdown has just cancelled); whatever is left then is the next start's orphan sweep's.
   */
  async stop(teardownGraceMs = 0): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.sweeping;
    if (teardownGraceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.runner.settled(), new Promise((resolve) => { timer = setTimeout(resolve, teardownGraceMs); })]);
      clearTimeout(timer);
    }
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
    this.runner.stopTimers();
    await this.runner.settled();
  }

  async placeCall(request: CallRequest): Promise<PlaceCallResult> {
    const { agents } = this.deps;
    const agent = await agents.activeAgentByTelegramId(request.agentTelegramId);
    if (!agent) {
      await this.deps.audit.record({ actor: request.agentTelegramId, action: 'call_refused', subject: null, details: 'not_authorized' });
      return { ok: false, refusal: 'not_authorized' };
    }
    const live = this.registry.liveCallOfAgent(agent.id);
    if (live) return this.refuse(agent, request, 'live_call_exists', { liveCallId: live.context.callId });
    const number = checkDialableNumber(request.targetInput, this.policy);
    if (!number.ok) return this.refuse(agent, request, 'invalid_number', { number });
    if (!agent.route) return this.refuse(agent, request, 'no_route', { target: number.e164 });
    if (!agent.phone) return this.refuse(agent, request, 'no_phone');
    const attempt: CallAttempt = {
      agentId: agent.id, agentTelegramId: agent.telegramId, target: number.e164, route: agent.route, callerId: agent.callerId, at: this.now(),
    };
    const context: RuleContext = {
      liveCallsOnRoute: (route) => this.registry.liveOnRoute(route),
      waiting: (wait) => request.onWaiting?.(wait),
    };
    for (const rule of this.deps.rules ?? []) {
      const refused = await rule.check(attempt, context);
      if (refused) return this.refuse(agent, request, 'rule', { target: number.e164, rule: refused });
    }
    if (!this.deps.ari.isConnected()) return this.refuse(agent, request, 'telephony_offline');
    if (this.registry.size >= this.deps.config.maxConcurrentCalls) return this.refuse(agent, request, 'capacity');
    if (!this.registry.reserveAgent(agent.id, agent.route)) {
      return this.refuse(agent, request, 'live_call_exists', { liveCallId: this.registry.liveCallOfAgent(agent.id)?.context.callId });
    }
    try {
      return await this.launch(agent, agent.route, agent.phone, number.e164, request);
    } finally {
      this.registry.releaseAgent(agent.id);
    }
  }

  /** Ends a live call at whatever stage it is; false when there is no such live call. */
  cancelCall(callId: string, by: CancelSource): boolean {
    const live = this.registry.get(callId);
    if (!live || live.state.stage === 'ended') return false;
    this.runner.dispatch(live, { type: 'CancelRequested', by, at: this.now() });
    return true;
  }

  /**
   * A person asks to end a call (the hang-up button, /hangup, an admin): the call's own agent may,
   * an admin may end anyone's; the engine records which of them it was.
   */
  cancelCallAs(callId: string, who: { agentId: number | null; isAdmin: boolean }): CancelAnswer {
    const live = this.registry.get(callId);
    if (!live || live.state.stage === 'ended') return 'no_such_call';
    const own = who.agentId !== null && who.agentId === live.context.agentId;
    if (!own && !who.isAdmin) return 'not_yours';
    this.runner.dispatch(live, { type: 'CancelRequested', by: own ? 'agent' : 'admin', at: this.now() });
    return 'cancelled';
  }

  /** A read-only view of a live call, or undefined once it has ended. */
  liveCall(callId: string): LiveCallView | undefined {
    const live = this.registry.get(callId);
    return live && live.state.stage !== 'ended' ? viewOf(live) : undefined;
  }

  liveCallOfAgent(agentId: number): LiveCallView | undefined {
    const live = this.registry.liveCallOfAgent(agentId);
    return live && live.state.stage !== 'ended' ? viewOf(live) : undefined;
  }

  liveCalls(): LiveCallView[] {
    return this.registry.list().filter((c) => c.state.stage !== 'ended').map(viewOf);
  }

  /** Calls on a route that have not ended, requests about to be placed on it included. */
  liveCallsOnRoute(route: RouteCode): number {
    return this.registry.liveOnRoute(route);
  }

  /** Calls still owned by the engine: live ones and ended ones whose teardown is still going on. */
  callsInFlight(): number {
    return this.registry.size;
  }

  /** Records the call's status message on its row, in order with the call's own writes. */
  attachStatusMessage(callId: string, telegramChatId: string, statusMessageId: number): void {
    this.writer.write(callId, { telegramChatId, statusMessageId });
  }

  sweepCounts(): SweepCounts {
    return { ...this.swept };
  }

  /** Waits for in-flight teardown requests and writes (tests and shutdown). */
  settled(): Promise<void> {
    return this.runner.settled();
  }

  private async launch(agent: AgentRecord, route: RouteCode, agentPhone: string, target: string, request: CallRequest): Promise<PlaceCallResult> {
    const { config } = this.deps;
    const callId = randomUUID();
    const callerId = agent.callerId ?? config.defaultCallerId ?? null;
    const template = config.routes[route].endpointTemplate;
    const plan: CallPlan = {
      callId,
      route,
      agentEndpoint: template.replace('{number}', agentPhone),
      targetEndpoint: template.replace('{number}', target),
      callerId,
      agentRingTimeoutS: config.agentRingTimeoutS,
      targetRingTimeoutS: config.targetRingTimeoutS,
      confirmDigit: config.agentConfirmDigit,
      confirmTimeoutS: config.agentConfirmTimeoutS,
    };
    await this.endedCallsWritten(agent.id);
    try {
      await this.deps.calls.recordCallRequest({
        id: callId, agentId: agent.id, agentPhone, targetInput: request.targetInput.slice(0, 64), target, callerId, route,
        agentEndpoint: plan.agentEndpoint, targetEndpoint: plan.targetEndpoint, stage: 'requested', requestedAt: new Date(this.now()),
        telegramChatId: request.telegramChatId ?? null,
      });
    } catch (err) {
      // Another process on the same database placed the agent's live call: nothing was written or dialed.
      if (err instanceof AgentHasLiveCall) return this.refuse(agent, request, 'live_call_exists', { target });
      throw err;
    }
    const context: CallContext = { callId, agentId: agent.id, agentTelegramId: agent.telegramId, agentPhone, target, route, callerId };
    const live = this.runner.start(context, plan);
    return { ok: true, callId, context, updates: live.updates.asObservable() };
  }

  /**
   * The agent's calls this engine has ended but whose last row write may still be on its way: the
   * database must see them ended before the next call's row, or it would refuse that one.
   */
  private async endedCallsWritten(agentId: number): Promise<void> {
    const ended = this.registry.list().filter((c) => c.context.agentId === agentId && c.state.stage === 'ended');
    await Promise.all(ended.map((c) => this.writer.settled(c.context.callId)));
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

  private async afterConnect(reconnect: boolean): Promise<void> {
    try {
      if (reconnect) await resyncAfterReconnect(this.deps.ari, this.registry, this.runner, this.deps.logger);
    } catch (err) {
      this.deps.logger.warn('resynchronising live calls after reconnect failed; will retry on the next connect', { err });
    }
    await this.sweepOrphans();
  }

  /** One sweep at a time; a failed one is logged and the next period tries again. */
  private sweepOrphans(): Promise<void> {
    this.sweeping ??= sweepOrphans(this.deps.ari, this.registry, this.deps.logger, this.deps.config.ari.app, this.deps.otherChannels)
      .then((result) => {
        this.swept.sweeps += 1;
        this.swept.channels += result.channels.length;
        this.swept.bridges += result.bridges.length;
        this.swept.failed += result.failed.length;
      })
      .catch((err: unknown) => {
        this.deps.logger.warn('orphan sweep failed; the next one tries again', { inS: this.deps.config.ari.orphanSweepIntervalS, err });
      })
      .finally(() => { this.sweeping = undefined; });
    return this.sweeping;
  }
}

/** The rule that refused a request, as the audit log and the Call row keep it: codes and facts, no wording. */
function refusalRecord(refusal: CallRefusal, number?: Extract<NumberCheck, { ok: false }>): string {
  if (!number) return refusal;
  const facts = number.facts ? Object.entries(number.facts).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`).join(' ') : '';
  return `${refusal}: ${number.refusal}${facts ? ` (${facts})` : ''}`;
}
