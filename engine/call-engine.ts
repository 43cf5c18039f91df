import { type Observable, Subject, type Subscription } from 'rxjs';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import type { AriPort } from '../ari/ari-port';
import type { AgentDirectory, AuditTrail, CallRecords, PartyRecords } from './call-engine-ports';
import type { CallEvent, CallPlan, CallState, CancelSource, Transition } from '../call/call-machine';
import { CallIntake, recordingPlanOf, type CallPlacement, type CallRequest, type PlaceCallResult, type RefusedRequest, type StopReason } from './call-intake';
import { CallRegistry, type LiveCall } from './call-registry';
import { CallRowWriter } from './call-row-writer';
import { CallRunner } from './call-runner';
import type { CallSetupObserver } from './call-setup-observer';
import type { CallStage, PartyView, RouteCode } from '../call/call-types';
import { ownerOf, partiesOf } from '../call/party-rules';
import { recordingToggle } from '../call/recording';
import type { CallContext, CallUpdate } from '../call/call-update';
import { ArrivingInbound, type InterruptedCall, type LeftCall, reconcileOnStartup, resyncAfterReconnect, sweepOrphans } from './reconcile';
import { type PartyRows, resumeCalls } from './resume-calls';
import type { TeardownRetryPolicy } from './teardown-retry';
import type { CallRule } from '../compliance/rules/call-rule';
import type { RecordingPolicy } from '../call/call-types';
import type { ConsentAnnouncements, RecordingPolicies } from './call-engine-ports';
import { DEFAULT_RETURN_CALL_SETTINGS, ReturnCallIntake, type ReturnCallSettings, type ReturnCallSources } from './return-call-intake';
import { type ReturnCallResume, returnCallResume } from './return-call-resume';

export { DEFAULT_RETURN_CALL_SETTINGS } from './return-call-intake';

export type { CallRefusal, CallRequest, PlaceCallResult, RefusedRequest, StopReason } from './call-intake';

/** What the app may see of a live call: who, what, where it is, and its stream. */
export interface LiveCallView {
  readonly context: CallContext;
  readonly stage: CallStage;
  readonly updates: Observable<CallUpdate>;
  /** Who is on it now, and who answers for it: the Mini App's card reads them at page load for its buttons. */
  readonly parties: readonly PartyView[];
  readonly ownerAgentId: number;
}

/** Where a call runs on a single instance: here, with nothing to add to its record. */
type SingleInstance = Record<never, never>;

/** A call a previous run of this process left live, resumed here: where its status was shown, and its stream from now on. */
export interface ResumedLeftCall {
  call: LeftCall;
  view: LiveCallView;
}

export type CancelAnswer = 'cancelled' | 'no_such_call' | 'not_yours';

function viewOf(live: LiveCall): LiveCallView {
  return {
    context: live.context, stage: live.state.stage, updates: live.updates.asObservable(),
    parties: partiesOf(live.state), ownerAgentId: ownerOf(live.state).agentId,
  };
}

export interface CallEngineDeps {
  config: Pick<Config, 'ari' | 'routes' | 'defaultCallerId' | 'defaultRegion' | 'allowedCountries'
    | 'agentRingTimeoutS' | 'targetRingTimeoutS' | 'agentConfirmDigit' | 'agentConfirmTimeoutS' | 'maxConcurrentCalls'>
    & Partial<Pick<Config, 'holdMusicClass' | 'holdSound'>>;
  ari: AriPort;
  agents: AgentDirectory;
  calls: CallRecords;
  audit: AuditTrail;
  logger: Logger;
  /** Checked in order on every request with a valid number and a route; the first refusal wins. */
  rules?: readonly CallRule[];
  /** Each route's recording policy, read at dial time (call/recording.ts); without it, `defaultRecordingPolicy` (default `off`). */
  recordingPolicies?: RecordingPolicies;
  /** The announcement a `consent` route plays the customer before they are joined; without one, Asterisk's default sound. */
  consentAnnouncements?: ConsentAnnouncements;
  defaultRecordingPolicy?: RecordingPolicy;
  /** Default: DEFAULT_TEARDOWN_RETRY. */
  teardownRetry?: TeardownRetryPolicy;
  /** Told when Asterisk answers each leg's first request (metrics). */
  setup?: CallSetupObserver;
  /** Channels of the app that are not calls (caller-ID verification): the orphan sweep leaves them while live. */
  otherChannels?: { ownedChannelIds(): ReadonlySet<string> };
  /**
   * A supervision the orphan sweep cut off (its process is gone): recorded here instead of audited
   * directly (cluster mode ends its request row, so that it is audited once across instances).
   */
  supervisionCutOff?: (supervision: { supervisionId: string; callId: string; supervisorTelegramId: string }) => void;
  /** Where added legs and multi-party steps are recorded (store/), and read back when a restart resumes a call; without it they are neither. */
  parties?: PartyRecords & Partial<PartyRows>;
  /**
   * Calls another process started that this engine should run (cluster mode takes a server's calls
   * over with it): run on every connect before the resync and the orphan sweep, which would hang
   * them up otherwise; when it fails, nothing is swept until the next connect.
   */
  adoptOnConnect?: () => Promise<void>;
  /**
   * Customers calling a pool number back (engine/return-call-intake.ts): what routing reads, and
   * the settings; without sources every inbound call is refused, as before return calls.
   */
  returnCalls?: {
    sources?: ReturnCallSources; settings?: ReturnCallSettings;
    /** Where a return call's first row goes; default `calls` (cluster mode writes it with its server, under the owner's lease). */
    records?: Pick<CallRecords, 'recordCallRequest'>;
    /** See CallRunnerDeps.claimAgent (cluster mode: the agent taken in the database before their phone rings). */
    claimAgent?: (callId: string, agentId: number) => Promise<boolean>;
  };
  /** How long an inbound channel no call has taken is left by the orphan sweep (ArrivingInbound); default 10 s. */
  inboundGraceMs?: number;
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
 * One Asterisk server's calls: the intake's checks in front (call-intake.ts), the runner behind,
 * and reconciliation with Asterisk on start, on every reconnect and periodically.
 */
export class CallEngine {
  private readonly registry = new CallRegistry();
  private readonly runner: CallRunner;
  private readonly writer: CallRowWriter;
  private readonly intake: CallIntake<SingleInstance>;
  private readonly now: () => number;
  private subscriptions: Subscription[] = [];
  private wasConnected = false;
  private sweepTimer?: NodeJS.Timeout;
  private sweeping?: Promise<void>;
  private readonly arriving: ArrivingInbound;
  private stopped = false;
  /** The sweep that looks again at inbound channels a sweep left for their grace. */
  private recheckTimer?: NodeJS.Timeout;
  private readonly swept: SweepCounts = { sweeps: 0, channels: 0, bridges: 0, failed: 0 };
  /** The rows the previous run left live, until the first connect has resumed them. */
  private leftCalls: LeftCall[] = [];
  private readonly resumedCalls = new Subject<ResumedLeftCall>();
  private readonly inbound: ReturnCallIntake;
  private readonly returnCallStarts = new Subject<LiveCallView>();
  /**
   * Who a return call still ringing when its process stopped goes on to (resuming here, or a
   * cluster's take-over of this server); undefined when return calls are off.
   */
  readonly returnCallResume: ReturnCallResume | undefined;

  constructor(private readonly deps: CallEngineDeps) {
    this.now = deps.now ?? Date.now;
    this.arriving = new ArrivingInbound(deps.inboundGraceMs ?? 10_000, this.now);
    this.writer = new CallRowWriter(deps.calls, deps.logger);
    this.runner = new CallRunner({
      ari: deps.ari, registry: this.registry, writer: this.writer, app: deps.config.ari.app, logger: deps.logger,
      now: this.now,
      ...(deps.teardownRetry ? { teardownRetry: deps.teardownRetry } : {}),
      ...(deps.setup ? { setup: deps.setup } : {}),
      ...(deps.parties ? { parties: deps.parties } : {}),
      ...(deps.config.holdMusicClass ? { holdMusicClass: deps.config.holdMusicClass } : {}),
      ...(deps.config.holdSound ? { holdSound: deps.config.holdSound } : {}),
      ...(deps.returnCalls?.claimAgent ? { claimAgent: deps.returnCalls.claimAgent } : {}),
    });
    this.intake = new CallIntake(deps, this.localPlacement());
    this.inbound = new ReturnCallIntake({
      ari: deps.ari, routes: deps.config.routes, calls: deps.returnCalls?.records ?? deps.calls, audit: deps.audit, logger: deps.logger, now: this.now,
      settings: deps.returnCalls?.settings ?? DEFAULT_RETURN_CALL_SETTINGS,
      ...(deps.returnCalls?.sources ? { sources: deps.returnCalls.sources } : {}),
      isBusy: (agentId) => this.registry.liveCallOfAgent(agentId) !== undefined,
      start: (context, plan) => this.returnCallStarts.next(viewOf(this.runner.start(context, plan))),
      recordingOf: (route) => recordingPlanOf(deps, route),
    });
    const sources = deps.returnCalls?.sources;
    this.returnCallResume = sources ? returnCallResume({
      sources, settings: deps.returnCalls?.settings ?? DEFAULT_RETURN_CALL_SETTINGS, routes: deps.config.routes, now: this.now,
      isBusy: (agentId) => this.registry.liveCallOfAgent(agentId) !== undefined,
    }) : undefined;
  }

  /** Each return call (a customer calling a pool number) as it starts, so the bot shows it to the agent it rings. */
  get returnCalls(): Observable<LiveCallView> {
    return this.returnCallStarts.asObservable();
  }

  /** The stream of every call's updates. */
  get updates(): Observable<CallUpdate> {
    return this.registry.allUpdates;
  }

  /** Every refused request of a known agent, after it is recorded (the abuse alerts count them). */
  get refusals(): Observable<RefusedRequest> {
    return this.intake.refusals;
  }

  /** Each call the previous run left live, once resumed after the first connect (to follow its status message again). */
  get resumed(): Observable<ResumedLeftCall> {
    return this.resumedCalls.asObservable();
  }

  isTelephonyOnline(): boolean {
    return this.deps.ari.isConnected();
  }

  /**
   * Reads the rows a previous process left live, then follows ARI events and reconnects. The calls
   * among them that reached Asterisk are resumed on the first connect, before anything is swept
   * (see `resumed`); until ARI connects they stay as they are. Returns the calls it ended at once
   * (they never reached Asterisk), so the bot can tell their agents.
   */
  async start(): Promise<InterruptedCall[]> {
    const { toResume, interrupted } = await reconcileOnStartup(this.deps.calls, this.deps.logger);
    this.leftCalls = toResume;
    this.subscriptions.push(this.deps.ari.events.subscribe((event) => {
      if (!this.inbound.handle(event)) this.runner.handleAriEvent(event);
    }));
    this.subscriptions.push(this.deps.ari.connection.subscribe((state) => {
      if (state !== 'connected') return;
      const reconnect = this.wasConnected;
      this.wasConnected = true;
      void this.afterConnect(reconnect);
    }));
    // Teardown that failed past its retries, or channels Asterisk made after a request timed out,
    // are found here without waiting for a reconnect.
    this.sweepTimer = setInterval(() => {
      // Not while calls the previous run left live wait to be resumed: their channels are not orphans.
      if (this.deps.ari.isConnected() && this.leftCalls.length === 0) void this.sweepOrphans();
    }, this.deps.config.ari.orphanSweepIntervalS * 1000);
    return interrupted;
  }

  /**
   * Stops following ARI. Teardown still being retried gets up to `teardownGraceMs` to finish (the
   * calls a shutdown has just cancelled); whatever is left then is the next start's orphan sweep's.
   */
  async stop(teardownGraceMs = 0): Promise<void> {
    clearInterval(this.sweepTimer);
    clearTimeout(this.recheckTimer);
    this.stopped = true;
    await this.sweeping;
    if (teardownGraceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.runner.settled(), new Promise((resolve) => { timer = setTimeout(resolve, teardownGraceMs); })]);
      clearTimeout(timer);
    }
    for (const s of this.subscriptions) s.unsubscribe();
    this.subscriptions = [];
    this.runner.stopTimers();
    await this.inbound.settled();
    await this.runner.settled();
  }

  placeCall(request: CallRequest): Promise<PlaceCallResult> {
    return this.intake.placeCall(request);
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
  /**
   * Hands a party request (transfer, conference, end of a consultation) to a call running here; the
   * desk has checked it (call/party-rules.ts). False when the call does not run in this process.
   */
  sendPartyEvent(callId: string, event: Extract<CallEvent, { type: 'TransferRequested' | 'AddPartyRequested' | 'ConsultFinished' }>): boolean {
    const live = this.registry.get(callId);
    if (!live || live.state.stage === 'ended') return false;
    this.runner.dispatch(live, event);
    return true;
  }

  /**
   * Pauses (`pause`) or resumes the recording of a call running here, as its agent asked; the desk
   * checked who asks (call/recording.ts's recordingToggle says what is possible now). False when the
   * call does not run here or the recording cannot be toggled that way now.
   */
  toggleRecording(callId: string, pause: boolean, by: string): boolean {
    const live = this.registry.get(callId);
    if (!live || recordingToggle(live.state) !== (pause ? 'pause' : 'resume')) return false;
    this.runner.dispatch(live, { type: 'RecordingPauseRequested', pause, by, at: this.now() });
    return true;
  }

  /** The machine's state of a call running here, for the desk's checks; undefined when it does not run here. */
  callState(callId: string): CallState | undefined {
    return this.registry.get(callId)?.state;
  }

  cancelCallAs(callId: string, who: { agentId: number | null; isAdmin: boolean }): CancelAnswer {
    const live = this.registry.get(callId);
    if (!live || live.state.stage === 'ended') return 'no_such_call';
    // The call's owner now: the agent who placed it until a transfer passed it on.
    const own = who.agentId !== null && who.agentId === ownerOf(live.state).agentId;
    if (!own && !who.isAdmin) return 'not_yours';
    this.runner.dispatch(live, { type: 'CancelRequested', by: own ? 'agent' : 'admin', at: this.now() });
    return 'cancelled';
  }

  /** A read-only view of a live call, or undefined once it has ended. */
  liveCall(callId: string): LiveCallView | undefined {
    const live = this.registry.get(callId);
    return live && live.state.stage !== 'ended' ? viewOf(live) : undefined;
  }

  /** Ends the agent's requests not yet placed (revoked or suspended); resolves once each is refused or placed. */
  stopRequestsOf(agentTelegramId: string, why: StopReason): Promise<void> {
    return this.intake.stopRequestsOf(agentTelegramId, why);
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

  /** Waits for the row writes made so far (not for teardown, which an unreachable server can hold up for long). */
  writesSettled(): Promise<void> {
    return this.writer.allSettled();
  }

  /** Waits for in-flight teardown requests and writes (tests and shutdown). */
  async settled(): Promise<void> {
    await this.inbound.settled();
    await this.runner.settled();
  }

  /**
   * The agent's calls this engine has ended but whose last row write may still be on its way: the
   * database must see them ended before the next call's row, or it would refuse that one.
   */
  private async endedCallsWritten(agentId: number): Promise<void> {
    const ended = this.registry.list().filter((c) => c.context.agentId === agentId && c.state.stage === 'ended');
    await Promise.all(ended.map((c) => this.writer.settled(c.context.callId)));
  }

  /**
   * Runs a call recorded elsewhere (by another process's intake) from its start; undefined when
   * this engine holds the call already.
   */
  run(context: CallContext, plan: CallPlan): LiveCallView | undefined {
    if (this.registry.get(context.callId)) return undefined;
    return viewOf(this.runner.start(context, plan));
  }

  /**
   * Runs a call whose state and first effects were decided elsewhere (a call another process
   * started, resumed with call/call-resume.ts, or ended before it ran); undefined when this engine
   * holds the call already.
   */
  adopt(context: CallContext, resumed: Transition): LiveCallView | undefined {
    if (this.registry.get(context.callId)) return undefined;
    return viewOf(this.runner.adopt(context, resumed));
  }

  /** Ends every live call as failed, saying why (the telephony has been unreachable too long). */
  failLiveCalls(why: string): number {
    const live = this.registry.list().filter((c) => c.state.stage !== 'ended');
    for (const call of live) this.runner.dispatch(call, { type: 'RequestFailed', request: 'telephony', error: why, at: this.now() });
    return live.length;
  }

  /** A single instance: calls run in this process, on this engine's Asterisk. */
  private localPlacement(): CallPlacement<SingleInstance> {
    return {
      liveCallOfAgent: (agentId) => this.registry.liveCallOfAgent(agentId)?.context.callId,
      reserveAgent: (agentId, route) => this.registry.reserveAgent(agentId, route),
      releaseAgent: (agentId) => this.registry.releaseAgent(agentId),
      liveCallsOnRoute: (route) => this.registry.liveOnRoute(route),
      liveCallCount: () => Promise.resolve(this.registry.size),
      whereFor: () => Promise.resolve(this.deps.ari.isConnected() ? {} : undefined),
      endedCallsWritten: (agentId) => this.endedCallsWritten(agentId),
      start: (context, plan) => Promise.resolve({ updates: this.runner.start(context, plan).updates.asObservable(), runsHere: true }),
    };
  }

  private async afterConnect(reconnect: boolean): Promise<void> {
    try {
      await this.resumeLeftCalls();
    } catch (err) {
      this.deps.logger.warn('resuming the calls the previous run left live failed; will retry on the next connect', { err });
      // Sweeping now would hang up the very calls not yet resumed.
      return;
    }
    try {
      await this.deps.adoptOnConnect?.();
    } catch (err) {
      this.deps.logger.warn('adopting calls another process started failed; will retry on the next connect', { err });
      // Sweeping now would hang up the very calls not yet adopted.
      return;
    }
    try {
      if (reconnect) await resyncAfterReconnect(this.deps.ari, this.registry, this.runner, this.deps.logger);
    } catch (err) {
      this.deps.logger.warn('resynchronising live calls after reconnect failed; will retry on the next connect', { err });
    }
    await this.sweepOrphans();
  }

  /**
   * The calls the previous run left live, read back from Asterisk like a cluster's take-over
   * (engine/resume-calls.ts): a call still up goes on, one whose legs are gone ends as the machine
   * decides, its remaining legs hung up. Once done, nothing is left to resume.
   */
  private async resumeLeftCalls(): Promise<void> {
    const left = this.leftCalls.filter((call) => !this.registry.get(call.id));
    if (left.length === 0) return;
    const { ari, config, parties, logger } = this.deps;
    const partyRows = parties?.legsOf && parties.askedAs ? { legsOf: parties.legsOf.bind(parties), askedAs: parties.askedAs.bind(parties) } : undefined;
    const resumed = await resumeCalls({
      ari, config, now: this.now, ...(partyRows ? { partyRows } : {}), ...(this.returnCallResume ? { returnCalls: this.returnCallResume } : {}),
    }, left);
    this.leftCalls = [];
    for (const { row, context, resumed: transition } of resumed) {
      const live = this.runner.adopt(context, transition);
      logger.info('resumed a call the previous run left live', { callId: row.id, stage: row.stage, now: live.state.stage });
      this.resumedCalls.next({ call: row, view: viewOf(live) });
    }
  }

  /** One sweep at a time; a failed one is logged and the next period tries again. */
  private sweepOrphans(): Promise<void> {
    const others = { ownedChannelIds: () => new Set([...this.deps.otherChannels?.ownedChannelIds() ?? [], ...this.inbound.ownedChannelIds()]) };
    this.sweeping ??= sweepOrphans(this.deps.ari, this.registry, this.deps.logger, { app: this.deps.config.ari.app, others, arriving: this.arriving })
      .then((result) => {
        if (result.waiting.length > 0 && this.recheckTimer === undefined && !this.stopped) {
          this.recheckTimer = setTimeout(() => {
            this.recheckTimer = undefined;
            if (this.deps.ari.isConnected() && this.leftCalls.length === 0) void this.sweepOrphans();
          }, this.arriving.graceMs);
        }
        this.swept.sweeps += 1;
        this.swept.channels += result.channels.length;
        this.swept.bridges += result.bridges.length;
        this.swept.failed += result.failed.length;
        // A supervision cut off by a crash never recorded its end: the sweep that clears it does.
        for (const s of result.supervisions) {
          if (this.deps.supervisionCutOff) {
            this.deps.supervisionCutOff(s);
            continue;
          }
          this.deps.audit.record({ actor: s.supervisorTelegramId, action: 'call_supervised', subject: s.callId, details: 'modes=unknown seconds=unknown end=restart' })
            .catch((err: unknown) => this.deps.logger.warn('recording a cut-off supervision in the audit log failed', { supervisionId: s.supervisionId, err }));
        }
      })
      .catch((err: unknown) => {
        this.deps.logger.warn('orphan sweep failed; the next one tries again', { inS: this.deps.config.ari.orphanSweepIntervalS, err });
      })
      .finally(() => { this.sweeping = undefined; });
    return this.sweeping;
  }
}
