/**
 * The supervisors' requests (`/live` and its buttons), checked before a supervision starts: the
 * call runs here and is connected, its route may be monitored (MONITOR_ROUTES), the supervisor is
 * not its agent and supervises nothing else. The supervision itself is call/supervision.ts's,
 * run by engine/supervision-runner.ts; the call's end ends it.
 */
import { randomUUID } from 'node:crypto';
import { type Observable, type Subscription, filter } from 'rxjs';
import type { CallState } from '../call/call-machine';
import type { CallStage, RouteCode } from '../call/call-types';
import type { CallContext, CallUpdate } from '../call/call-update';
import { type SupervisionMode, canSwitchTo } from '../call/supervision';
import type { Config } from '../config/config';
import { endpointOf } from './dial-checks';
import type { SupervisionRunner, SupervisionView } from './supervision-runner';

/** What the desk reads of the engine that runs the calls. */
export interface SupervisedCalls {
  callState(callId: string): CallState | undefined;
  liveCall(callId: string): { context: CallContext } | undefined;
  liveCalls(): { context: CallContext }[];
  readonly updates: Observable<CallUpdate>;
}

/** One live call as `/live` lists it. */
export interface LiveCallRow {
  callId: string;
  agentId: number;
  /** The chat of the agent who placed the call (the supervisor notice goes there). */
  agentTelegramId: string;
  agentLabel: string;
  route: RouteCode;
  /** The customer's number, whole: the bot masks it. */
  customer: string;
  stage: CallStage;
  connectedAt?: number;
  /** Its route may be monitored. */
  monitorable: boolean;
}

export interface Supervisor {
  telegramId: string;
  phone: string;
  /** Their agent id when they are an agent too (they may not supervise their own call). */
  agentId: number | null;
}

export type SupervisionRefusal =
  | 'no_such_call' | 'not_connected' | 'not_monitored' | 'own_call' | 'already_supervising' | 'no_such_supervision' | 'not_now';

export type SuperviseAnswer = { ok: true; supervisionId: string } | { ok: false; refusal: SupervisionRefusal };

/**
 * Supervision across instances (cluster mode): asked for on whichever instance Telegram's update
 * reached, run by the owner of the call's server, which rings the supervisor and keeps their message.
 */
export interface RequestedSupervisions {
  liveCalls(): Promise<LiveCallRow[]>;
  /** `chatId`: where the owner shows the supervisor's message. */
  supervise(callId: string, supervisor: Supervisor, mode: SupervisionMode, chatId: string): Promise<SuperviseAnswer>;
  switchMode(supervisionId: string, telegramId: string, mode: SupervisionMode): Promise<SupervisionRefusal | 'ok'>;
  leave(supervisionId: string, telegramId: string): Promise<SupervisionRefusal | 'ok'>;
}

export interface SupervisionDeskDeps {
  calls: SupervisedCalls;
  runner: SupervisionRunner;
  config: Pick<Config, 'routes' | 'agentRingTimeoutS' | 'monitorRoutes'>;
  newId?: () => string;
}

export class SupervisionDesk {
  private readonly subscription: Subscription;

  constructor(private readonly deps: SupervisionDeskDeps) {
    // The call ending ends its supervisions: hang up the supervisor and the snoop, destroy their bridge.
    this.subscription = deps.calls.updates.pipe(filter((u) => u.final)).subscribe((u) => deps.runner.callEnded(u.context.callId));
  }

  get updates(): Observable<SupervisionView> {
    return this.deps.runner.updates;
  }

  liveCalls(): LiveCallRow[] {
    return this.deps.calls.liveCalls().flatMap(({ context }) => {
      const state = this.deps.calls.callState(context.callId);
      if (!state || state.stage === 'ended') return [];
      return [{
        callId: context.callId, agentId: state.owner.agentId, agentTelegramId: context.agentTelegramId, agentLabel: state.plan.agentLabel, route: context.route, customer: context.target,
        stage: state.stage, ...(state.times.connectedAt !== undefined ? { connectedAt: state.times.connectedAt } : {}),
        monitorable: this.deps.config.monitorRoutes.includes(context.route),
      }];
    });
  }

  /** The supervision the supervisor has going on, if any. */
  supervisionOf(telegramId: string): SupervisionView | undefined {
    const state = this.deps.runner.list().find((s) => s.plan.supervisorTelegramId === telegramId);
    return state ? { supervisionId: state.plan.supervisionId, callId: state.plan.callId, supervisorTelegramId: telegramId, stage: state.stage, mode: state.mode } : undefined;
  }

  /** `supervisionId`: the one a cluster request was recorded under; a new one otherwise. */
  supervise(callId: string, supervisor: Supervisor, mode: SupervisionMode, supervisionId?: string): SuperviseAnswer {
    const { calls, config, runner } = this.deps;
    const state = calls.callState(callId);
    const context = calls.liveCall(callId)?.context;
    if (!state || !context || state.stage === 'ended') return { ok: false, refusal: 'no_such_call' };
    if (!config.monitorRoutes.includes(context.route)) return { ok: false, refusal: 'not_monitored' };
    if (supervisor.agentId !== null && state.legs.some((l) => l.agentId === supervisor.agentId && l.status !== 'ended')) return { ok: false, refusal: 'own_call' };
    if (this.supervisionOf(supervisor.telegramId)) return { ok: false, refusal: 'already_supervising' };
    // The agent's leg to listen on and the bridge to join: the call's owner's, once the call is connected.
    const ownerLeg = state.legs.find((l) => l.id === state.owner.legId && l.status === 'up' && l.bridge === 'main');
    if (state.stage !== 'connected' || !ownerLeg) return { ok: false, refusal: 'not_connected' };
    const id = supervisionId ?? (this.deps.newId ?? randomUUID)();
    runner.start({
      supervisionId: id, callId, supervisorTelegramId: supervisor.telegramId, endpoint: endpointOf(config.routes, context.route, supervisor.phone),
      callerId: context.callerId, ringTimeoutS: config.agentRingTimeoutS, agentChannelId: ownerLeg.channelId, callBridgeId: state.ids.bridgeId, mode,
    });
    return { ok: true, supervisionId: id };
  }

  /** Only the supervisor who started it may switch or leave a supervision. */
  switchMode(supervisionId: string, telegramId: string, mode: SupervisionMode): SupervisionRefusal | 'ok' {
    const state = this.deps.runner.get(supervisionId);
    if (!state || state.plan.supervisorTelegramId !== telegramId) return 'no_such_supervision';
    if (!canSwitchTo(state, mode)) return 'not_now';
    this.deps.runner.switchMode(supervisionId, mode);
    return 'ok';
  }

  leave(supervisionId: string, telegramId: string): SupervisionRefusal | 'ok' {
    const state = this.deps.runner.get(supervisionId);
    if (!state || state.plan.supervisorTelegramId !== telegramId) return 'no_such_supervision';
    this.deps.runner.leave(supervisionId);
    return 'ok';
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}
