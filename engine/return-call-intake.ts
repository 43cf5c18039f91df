/**
 * Calls coming in: the trunks send every inbound call into the Stasis app (asterisk/extensions.conf,
 * args `inbound,<called number>`). A call to a number outside the caller-ID pool is refused as
 * before (cause 21: SIP 403); one to a pool number becomes a return call, routed by
 * call/return-call-routing.ts and run by the machine (call/return-call.ts). This file only reads
 * what the decision needs and records the call's first row.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../config/logger';
import type { AriEvent, AriPort } from '../ari/ari-port';
import type { CallPlan, RecordingPlan, ReturnCallAgent, ReturnCallAnnouncement } from '../call/call-machine';
import type { RouteCode } from '../call/call-types';
import type { CallContext, ReturnCallContext } from '../call/call-update';
import { type AgentAvailability, type EarlierCall, routeReturnCall } from '../call/return-call-routing';
import { AgentHasLiveCall } from '../call/agent-has-live-call';
import type { AgentRecord, AuditTrail, CallRecords } from './call-engine-ports';
import { endpointOf } from './dial-checks';

/** The Stasis argument the dialplan gives an inbound call. */
export const INBOUND_ARG = 'inbound';

/** What routing a return call reads (store/ implements it). */
export interface ReturnCallSources {
  /** The routes whose caller-ID pool holds the number; empty when it is not ours. */
  poolRoutesOf(number: string): Promise<RouteCode[]>;
  /** Agents' placed calls to the customer since `since` (CallStore.callsToCustomerSince). */
  callsToCustomerSince(target: string, since: Date): Promise<readonly EarlierCallRow[]>;
  /** Every authorized agent (neither pending, revoked nor suspended). */
  activeAgents(): Promise<readonly AgentRecord[]>;
  /** When the agent's last call ended (null: never called, or still on one). */
  idleSince(agentId: number): Promise<Date | null>;
  /** The number's do-not-call listing (its reason), or null when it is not listed. */
  doNotCallListing?(number: string): Promise<string | null>;
  /**
   * The agents on a live call anywhere (cluster mode: on any server, as the calls table says), on
   * top of the ones this engine runs; without it, only this engine's calls make an agent busy.
   */
  busyAgents?(): Promise<ReadonlySet<number>>;
}

export interface EarlierCallRow {
  id: string;
  agentId: number;
  route: RouteCode | null;
  callerId: string | null;
  requestedAt: Date;
  disposition?: string | null;
  note?: string | null;
}

export interface ReturnCallSettings {
  windowDays: number;
  ringTimeoutS: number;
  /** What the customer hears when nobody answers (Asterisk media, e.g. `sound:vm-nobodyavail`). */
  missedMessage: string;
  missedMessageTimeoutS: number;
  /** What the agent hears on answering, before the customer is joined (RETURN_CALL_ANNOUNCE); none is `off`. */
  agentAnnouncement?: ReturnCallAnnouncement;
}

/** Without settings of its own, a return call rings each agent this long and says this when nobody answers. */
export const DEFAULT_RETURN_CALL_SETTINGS: ReturnCallSettings = {
  windowDays: 30, ringTimeoutS: 20, missedMessage: 'sound:vm-nobodyavail', missedMessageTimeoutS: 15,
};

export interface ReturnCallIntakeDeps {
  ari: AriPort;
  routes: Parameters<typeof endpointOf>[0];
  calls: Pick<CallRecords, 'recordCallRequest'>;
  audit: AuditTrail;
  logger: Logger;
  now: () => number;
  /** Without sources, every inbound call is refused (return calls are off). */
  sources?: ReturnCallSources;
  settings: ReturnCallSettings;
  /** Whether the agent is on a live call (or about to place one) here. */
  isBusy(agentId: number): boolean;
  /** Runs the call (the engine's runner). */
  start(context: CallContext, plan: CallPlan): void;
  /** The route's recording policy (engine/call-intake.ts recordingPlanOf); without it, return calls are not recorded. */
  recordingOf?(route: RouteCode): Promise<RecordingPlan>;
}

export class ReturnCallIntake {
  /** Inbound channels being decided: not orphans, though no call owns them yet. */
  private readonly deciding = new Set<string>();
  private inFlight: Promise<void>[] = [];

  constructor(private readonly deps: ReturnCallIntakeDeps) {}

  ownedChannelIds(): ReadonlySet<string> {
    return this.deciding;
  }

  /** Takes the StasisStart of an inbound channel; every other event is someone else's. */
  handle(event: AriEvent): boolean {
    if (event.type !== 'StasisStart' || event.args[0] !== INBOUND_ARG) return false;
    const { channelId } = event;
    if (this.deciding.has(channelId)) return true;
    this.deciding.add(channelId);
    const work = this.take(channelId, event.args[1] ?? '', event.callerNumber ?? '')
      .catch(async (err: unknown) => {
        this.deps.logger.warn('an inbound call could not be taken; refusing it', { channelId, err });
        await this.refuse(channelId);
      })
      .finally(() => {
        this.deciding.delete(channelId);
        this.inFlight = this.inFlight.filter((p) => p !== work);
      });
    this.inFlight.push(work);
    return true;
  }

  /** Waits for the inbound calls being decided (tests and shutdown). */
  async settled(): Promise<void> {
    await Promise.all(this.inFlight);
  }

  private async take(channelId: string, exten: string, callerNumber: string): Promise<void> {
    const { sources, logger } = this.deps;
    const calledNumber = asE164(exten);
    const routes = sources && calledNumber ? await sources.poolRoutesOf(calledNumber) : [];
    if (!sources || !calledNumber || routes.length === 0) {
      // Numbers are logged masked elsewhere; a called number is ours or a provider's, not a customer's.
      logger.info('refused an inbound call to a number outside the caller-ID pool', { channelId, called: exten });
      await this.refuse(channelId);
      return;
    }
    const customer = asE164(callerNumber) ?? callerNumber;
    // The agent rung first is taken for the call by its row (one live call per agent, database-wide):
    // one another call took meanwhile is left out and the call routed again.
    const taken = new Set<number>();
    for (;;) {
      try {
        await this.route(channelId, calledNumber, routes, customer, sources, taken);
        return;
      } catch (err) {
        if (!(err instanceof AgentHasLiveCall) || taken.has(err.agentId)) throw err;
        logger.info('the agent chosen for a return call took another call meanwhile; routing it again', { channelId, agentId: err.agentId });
        taken.add(err.agentId);
      }
    }
  }

  private async route(
    channelId: string, calledNumber: string, routes: RouteCode[], customer: string, sources: ReturnCallSources, taken: ReadonlySet<number>,
  ): Promise<void> {
    const { settings, logger } = this.deps;
    const now = this.deps.now();
    const isBusy = (agentId: number) => this.deps.isBusy(agentId) || taken.has(agentId);
    const [{ agents, availability, earlierCalls }, listing] = await Promise.all([
      readRoutingInputs(sources, settings, customer, now, isBusy),
      customer && sources.doNotCallListing ? sources.doNotCallListing(customer) : Promise.resolve(null),
    ]);
    const routing = routeReturnCall({ calledNumber, poolRoutes: routes, earlierCalls, agents: availability, now, windowDays: settings.windowDays });
    if (routing.kind === 'refused') {
      await this.refuse(channelId);
      return;
    }
    const byId = new Map(agents.map((a) => [a.id, a]));
    const ringable: ReturnCallAgent[] = routing.candidates.map((c) => {
      const agent = byId.get(c.agentId)!;
      return { agentId: agent.id, label: agent.displayName || agent.phone!, endpoint: endpointOf(this.deps.routes, routing.route, agent.phone!), reason: c.reason };
    });
    // The row needs an agent: the one rung first, else the one who called them (told of the missed call).
    const first = ringable[0];
    const answerable = first ? byId.get(first.agentId) : routing.lastCall ? byId.get(routing.lastCall.agentId) : undefined;
    if (!answerable) {
      logger.warn('an inbound call to a pool number found no agent on the route at all; refusing it', { channelId, route: routing.route });
      await this.refuse(channelId);
      return;
    }
    const callId = randomUUID();
    // The route's recording policy holds for a call the customer made too (consent asked the same way).
    const recording = this.deps.recordingOf ? await this.deps.recordingOf(routing.route) : { policy: 'off' as const };
    const returnCall: ReturnCallContext = {
      customerNumber: customer, calledNumber,
      ...(routing.lastCall ? {
        lastCall: {
          callId: routing.lastCall.callId, agentId: routing.lastCall.agentId, at: routing.lastCall.at,
          disposition: routing.lastCall.disposition ?? null, note: routing.lastCall.note ?? null,
        },
      } : {}),
      ...(listing !== null ? { doNotCall: listing } : {}),
    };
    const plan: CallPlan = {
      callId, route: routing.route, agentId: answerable.id, agentLabel: answerable.displayName || answerable.phone || '',
      customerLabel: customer, agentEndpoint: first?.endpoint ?? '', targetEndpoint: '', callerId: calledNumber,
      agentRingTimeoutS: settings.ringTimeoutS, targetRingTimeoutS: settings.ringTimeoutS, confirmTimeoutS: 0,
      ...(recording.policy !== 'off' ? { recording } : {}),
      returnCall: {
        customerChannelId: channelId, customerNumber: customer, calledNumber, agents: ringable,
        missedMessage: settings.missedMessage, missedMessageTimeoutS: settings.missedMessageTimeoutS,
        ...(settings.agentAnnouncement && settings.agentAnnouncement !== 'off' ? { agentAnnouncement: settings.agentAnnouncement } : {}),
      },
    };
    // Calling hours, caps and the do-not-call list are for calls we make; this one the customer made.
    try {
      await this.deps.calls.recordCallRequest({
        id: callId, agentId: answerable.id, onCallAgentId: first ? first.agentId : null, agentPhone: answerable.phone,
        targetInput: customer.slice(0, 64), target: customer, callerId: calledNumber, route: routing.route,
        agentEndpoint: first?.endpoint ?? null, targetEndpoint: null, stage: 'requested', requestedAt: new Date(now),
        direction: 'inbound', returnsCallId: routing.lastCall?.callId ?? null, customerChannelId: channelId,
      });
    } catch (err) {
      // The store names the row's agent; the one the unique index refused is the agent rung first.
      if (err instanceof AgentHasLiveCall && first) throw new AgentHasLiveCall(first.agentId, { cause: err });
      throw err;
    }
    if (listing !== null) {
      await this.deps.audit.record({ actor: 'system', action: 'return_call_do_not_call', subject: customer, details: `call ${callId}, listed: ${listing}` });
    }
    const context: CallContext = {
      callId, agentId: answerable.id, agentTelegramId: answerable.telegramId, agentPhone: answerable.phone ?? '',
      target: customer, route: routing.route, callerId: calledNumber, returnCall,
    };
    logger.info('an inbound call to a pool number is a return call', {
      callId, channelId, route: routing.route, agents: ringable.map((a) => a.agentId), lastCaller: routing.lastCall?.agentId,
    });
    this.deps.start(context, plan);
  }

  private async refuse(channelId: string): Promise<void> {
    await this.deps.ari.reject(channelId).catch((err: unknown) => {
      this.deps.logger.warn('refusing an inbound call failed; the orphan sweep hangs it up', { channelId, err });
    });
  }
}

/** What routing reads for a customer's call: their earlier calls within the window, the active agents, and who of them is free now. */
export interface RoutingInputs {
  agents: readonly AgentRecord[];
  availability: AgentAvailability[];
  earlierCalls: EarlierCall[];
}

/** Reads what call/return-call-routing.ts decides from; `isBusy`: on a live call this engine runs (cluster mode adds the database's). */
export async function readRoutingInputs(
  sources: ReturnCallSources, settings: Pick<ReturnCallSettings, 'windowDays'>, customer: string, now: number, isBusy: (agentId: number) => boolean,
): Promise<RoutingInputs> {
  const [earlier, agents, busyElsewhere] = await Promise.all([
    customer ? sources.callsToCustomerSince(customer, new Date(now - settings.windowDays * 86_400_000)) : Promise.resolve([]),
    sources.activeAgents(),
    sources.busyAgents ? sources.busyAgents() : Promise.resolve(new Set<number>()),
  ]);
  const availability: AgentAvailability[] = await Promise.all(agents.map(async (a) => ({
    agentId: a.id, route: a.route, reachable: a.phone !== null, busy: isBusy(a.id) || busyElsewhere.has(a.id),
    idleSince: (await sources.idleSince(a.id))?.getTime() ?? null,
  })));
  const earlierCalls: EarlierCall[] = earlier.filter((c) => c.route !== null).map((c) => ({
    callId: c.id, agentId: c.agentId, route: c.route!, callerId: c.callerId, at: c.requestedAt.getTime(),
    disposition: c.disposition ?? null, note: c.note ?? null,
  }));
  return { agents, availability, earlierCalls };
}

/** A called or calling number as the pool and the calls table keep it (E.164); undefined when it is not digits. */
export function asE164(number: string): string | undefined {
  const digits = number.trim().replace(/^\+/, '');
  if (!/^\d{6,15}$/.test(digits)) return undefined;
  return `+${digits}`;
}
