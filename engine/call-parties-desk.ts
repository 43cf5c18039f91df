/**
 * The bot's transfer, consultation and conference requests (engine/call-parties.ts), checked as a
 * `/call` is before the call's machine hears of them: who asks (the call's owner or an admin),
 * whether the call runs here and its state allows it, and who is to be dialed (an agent: active,
 * on the call's route, with a phone and no live call; a typed number: every check a `/call` passes,
 * engine/dial-checks.ts). Nothing is dialed unless every check passed: the machine then decides.
 */
import { type Observable, Subject } from 'rxjs';
import type { Config } from '../config/config';
import type { ConsultEnd, PartyPlan, PartyTarget, PartyView, RouteCode, TransferMode } from '../call/call-types';
import type { CallContext } from '../call/call-update';
import { formatForDisplay } from '../phone/number-policy';
import type { AgentRecord, AuditTrail } from './call-engine-ports';
import { type CallRefusal, type RefusalFacts, type RefusedRequest, refusalRecord } from './call-intake';
import type { CallParties, PartyAnswer, PartyRefusal, PartyRequester, TransferCandidate } from './call-parties';
import { type DialChecks, endpointOf } from './dial-checks';

/** A party request as the call's machine hears it (core's events of the same names). `by`: the Telegram id of who asked. */
export type PartyRequestEvent =
  | { type: 'TransferRequested'; mode: TransferMode; party: PartyPlan; by: string; at: number }
  | { type: 'AddPartyRequested'; party: PartyPlan; by: string; at: number }
  | { type: 'ConsultFinished'; how: ConsultEnd; by: string; at: number };

/**
 * What the desk needs of the engine that runs the calls, for a call's state of type S. Every method
 * answers for this process only: a call another instance runs is not running here (cluster mode:
 * 'no_such_call').
 */
export interface PartyEngine<S> {
  /** The call's state while it runs here; undefined when it does not (never did, or ended). */
  callState(callId: string): S | undefined;
  /** Who calls whom: its route, its caller ID, the agent who placed it. */
  callContext(callId: string): CallContext | undefined;
  /**
   * Hands the request to the call's machine, whose transition is applied before this returns (as
   * CallRunner.dispatch does), so callState then shows the new leg; false when the call no longer runs here.
   */
  sendPartyEvent(callId: string, event: PartyRequestEvent): boolean;
  /** Calls live on a route (the route limits rule counts them). */
  liveCallsOnRoute(route: RouteCode): number;
  /** Whether the agent is on a call running here: the one they placed, or as a party of another. */
  agentOnCall(agentId: number): boolean;
}

/** call/'s pure reading of a call's state: whether it allows a step, who answers for it, who is on it. */
export interface PartyCore<S> {
  canTransfer(state: S): boolean;
  canAddParty(state: S): boolean;
  /** Back ends a consultation at any time; Complete and Conference only once the consulted party answered. */
  canFinishConsult(state: S, how: ConsultEnd): boolean;
  /** The agent who answers for the call now (it changes with a transfer). */
  ownerOf(state: S): number;
  partiesOf(state: S): readonly PartyView[];
}

/** An agent as the desk reads them: the engine's record with the name users know them by. */
export interface PartyAgent extends AgentRecord {
  displayName: string;
}

export interface PartyAgents {
  /** The agent with this id, only while authorized. */
  activeAgentById(agentId: number): Promise<PartyAgent | null>;
  activeAgentsOnRoute(route: RouteCode): Promise<PartyAgent[]>;
}

export interface CallPartiesDeskDeps<S> {
  engine: PartyEngine<S>;
  core: PartyCore<S>;
  agents: PartyAgents;
  /** The database's view of an agent's calls, across every process on it (a live one has no end). */
  calls: { latestPlacedCallOfAgent(agentId: number): Promise<{ endedAt: Date | null } | null> };
  audit: AuditTrail;
  checks: DialChecks;
  config: Pick<Config, 'routes' | 'agentRingTimeoutS' | 'targetRingTimeoutS'>;
  now?: () => number;
}

type Asked = { what: 'transfer'; mode: TransferMode } | { what: 'add_party' };
type Refused = { ok: false; refusal: PartyRefusal | CallRefusal } & RefusalFacts;

export class CallPartiesDesk<S> implements CallParties {
  private readonly now: () => number;
  private readonly refused = new Subject<RefusedRequest>();

  constructor(private readonly deps: CallPartiesDeskDeps<S>) {
    this.now = deps.now ?? Date.now;
  }

  /** Typed numbers a rule or the number policy refused, as a `/call`'s refusals are told (the abuse alerts count them). */
  get refusals(): Observable<RefusedRequest> {
    return this.refused.asObservable();
  }

  transfer(callId: string, by: PartyRequester, to: PartyTarget, mode: TransferMode): Promise<PartyAnswer> {
    return this.bringIn(callId, by, to, { what: 'transfer', mode });
  }

  addParty(callId: string, by: PartyRequester, to: PartyTarget): Promise<PartyAnswer> {
    return this.bringIn(callId, by, to, { what: 'add_party' });
  }

  async finishConsult(callId: string, by: PartyRequester, how: ConsultEnd): Promise<{ ok: true } | { ok: false; refusal: PartyRefusal }> {
    const { engine, core } = this.deps;
    const allowed = this.allowed(callId, by, (state) => core.canFinishConsult(state, how));
    if (!allowed.ok) return this.refuseFinish(callId, by, how, allowed.refusal);
    if (!engine.sendPartyEvent(callId, { type: 'ConsultFinished', how, by: by.telegramId, at: this.now() })) return this.refuseFinish(callId, by, how, 'no_such_call');
    return { ok: true };
  }

  async transferCandidates(callId: string, by: PartyRequester): Promise<TransferCandidate[]> {
    const { engine, core } = this.deps;
    const state = engine.callState(callId);
    const context = engine.callContext(callId);
    if (state === undefined || !context) return [];
    const owner = core.ownerOf(state);
    if (by.agentId !== owner && !by.isAdmin) return [];
    const agents = await this.deps.agents.activeAgentsOnRoute(context.route);
    const free = await Promise.all(agents.map(async (agent) => agent.id !== owner && agent.phone !== null && !(await this.busy(agent.id))));
    return agents.filter((_, i) => free[i]).map((agent) => ({ agentId: agent.id, label: agentLabel(agent) }));
  }

  private async bringIn(callId: string, by: PartyRequester, to: PartyTarget, asked: Asked): Promise<PartyAnswer> {
    const { engine, core } = this.deps;
    const can = (state: S) => (asked.what === 'transfer' ? core.canTransfer(state) : core.canAddParty(state));
    const allowed = this.allowed(callId, by, can);
    if (!allowed.ok) return this.refuse(callId, by, to, asked, allowed);
    const context = engine.callContext(callId);
    if (!context) return this.refuse(callId, by, to, asked, { ok: false, refusal: 'no_such_call' });
    const planned = await this.plan(context, core.ownerOf(allowed.state), to);
    if (!planned.ok) return this.refuse(callId, by, to, asked, planned);
    // The checks took a while: the call may have moved on (ended, or another step began).
    const now = this.allowed(callId, by, can);
    if (!now.ok) return this.refuse(callId, by, to, asked, now);
    const before = new Set(core.partiesOf(now.state).map((p) => p.legId));
    const party = planned.plan;
    const at = this.now();
    const event: PartyRequestEvent = asked.what === 'transfer'
      ? { type: 'TransferRequested', mode: asked.mode, party, by: by.telegramId, at }
      : { type: 'AddPartyRequested', party, by: by.telegramId, at };
    if (!engine.sendPartyEvent(callId, event)) return this.refuse(callId, by, to, asked, { ok: false, refusal: 'no_such_call' });
    const after = engine.callState(callId);
    const added = after === undefined ? undefined : core.partiesOf(after).find((p) => !before.has(p.legId));
    // The machine took no new leg: it found the step not allowed after all.
    if (!added) return this.refuse(callId, by, to, asked, { ok: false, refusal: 'not_now' });
    return { ok: true, legId: added.legId, label: party.label };
  }

  /** The call runs here, the requester answers for it (or is an admin), and its state allows the step. */
  private allowed(callId: string, by: PartyRequester, can: (state: S) => boolean): { ok: true; state: S } | { ok: false; refusal: PartyRefusal } {
    const { engine, core } = this.deps;
    const state = engine.callState(callId);
    if (state === undefined) return { ok: false, refusal: 'no_such_call' };
    if (by.agentId !== core.ownerOf(state) && !by.isAdmin) return { ok: false, refusal: 'not_owner' };
    if (!can(state)) return { ok: false, refusal: 'not_now' };
    return { ok: true, state };
  }

  /** Who is to be dialed, checked: an agent able to take a call, or a number that passes every check a `/call` does. */
  private async plan(context: CallContext, ownerId: number, to: PartyTarget): Promise<{ ok: true; plan: PartyPlan } | Refused> {
    const { config } = this.deps;
    if (to.kind === 'agent') {
      if (to.agentId === ownerId) return { ok: false, refusal: 'same_party' };
      // An id from a stale or forged button: no database is asked about it.
      if (!Number.isSafeInteger(to.agentId) || to.agentId <= 0) return { ok: false, refusal: 'agent_unavailable' };
      const agent = await this.deps.agents.activeAgentById(to.agentId);
      if (!agent || agent.route !== context.route || !agent.phone) return { ok: false, refusal: 'agent_unavailable' };
      if (await this.busy(agent.id)) return { ok: false, refusal: 'agent_busy' };
      return {
        ok: true,
        plan: {
          target: to, label: agentLabel(agent), endpoint: endpointOf(config.routes, context.route, agent.phone),
          callerId: context.callerId, ringTimeoutS: config.agentRingTimeoutS,
        },
      };
    }
    // The rules judge the call as its owner's: their caps, their caller ID.
    const owner = await this.deps.agents.activeAgentById(ownerId);
    if (!owner) return { ok: false, refusal: 'not_owner' };
    const checked = await this.deps.checks.check(
      to.number,
      { agentId: owner.id, agentTelegramId: owner.telegramId, route: context.route, callerId: owner.callerId, at: this.now() },
      { liveCallsOnRoute: (route) => this.deps.engine.liveCallsOnRoute(route) },
    );
    if (!checked.ok) {
      const { ok: _ok, ...refused } = checked;
      return { ok: false, ...refused };
    }
    if (checked.target === context.target) return { ok: false, refusal: 'same_party', target: checked.target };
    return {
      ok: true,
      plan: {
        target: { kind: 'number', number: checked.target }, label: formatForDisplay(checked.target),
        endpoint: endpointOf(config.routes, context.route, checked.target), callerId: context.callerId, ringTimeoutS: config.targetRingTimeoutS,
      },
    };
  }

  /** On a call here (placed or as a party), or on a placed call the database holds live (another process's). */
  private async busy(agentId: number): Promise<boolean> {
    if (this.deps.engine.agentOnCall(agentId)) return true;
    const latest = await this.deps.calls.latestPlacedCallOfAgent(agentId);
    return latest !== null && latest.endedAt === null;
  }

  /**
   * Every refused transfer or added party is in the audit log as a refused `/call` is (`call_refused`,
   * with the same record of the refusal); a typed number's refusal is told to the abuse alerts too.
   */
  /** A consultation's end refused is audited as a refused transfer is: who tried what on whose call. */
  private async refuseFinish(callId: string, by: PartyRequester, how: ConsultEnd, refusal: PartyRefusal): Promise<{ ok: false; refusal: PartyRefusal }> {
    await this.deps.audit.record({ actor: by.telegramId, action: 'call_refused', subject: callId, details: `consult_end(${how}): ${refusal}` });
    return { ok: false, refusal };
  }

  private async refuse(callId: string, by: PartyRequester, to: PartyTarget, asked: Asked, refused: Refused): Promise<PartyAnswer> {
    const { ok: _ok, refusal, ...facts } = refused;
    const whom = to.kind === 'agent' ? `agent=${to.agentId}` : `number=${to.number.slice(0, 64)}`;
    const what = asked.what === 'transfer' ? `transfer(${asked.mode})` : 'add_party';
    await this.deps.audit.record({ actor: by.telegramId, action: 'call_refused', subject: callId, details: `${what} ${whom}: ${refusalRecord(refusal, facts)}` });
    if ((refusal === 'rule' || refusal === 'invalid_number') && by.agentId !== null) {
      this.refused.next({ agentId: by.agentId, agentTelegramId: by.telegramId, refusal, ...(facts.rule ? { rule: facts.rule } : {}), at: this.now() });
    }
    return refused;
  }
}

/** An agent as the bot names them: their name, or their phone when they have none. */
function agentLabel(agent: PartyAgent): string {
  return agent.displayName || (agent.phone ? formatForDisplay(agent.phone) : `agent ${agent.id}`);
}

/** The first of several engines (cluster mode: this instance's servers) that runs the call; every other call is not running here. */
export function firstRunning<S>(engines: () => readonly (PartyEngine<S> | undefined)[]): PartyEngine<S> {
  const running = (callId: string) => engines().find((e) => e?.callState(callId) !== undefined);
  return {
    callState: (callId) => running(callId)?.callState(callId),
    callContext: (callId) => running(callId)?.callContext(callId),
    sendPartyEvent: (callId, event) => running(callId)?.sendPartyEvent(callId, event) ?? false,
    liveCallsOnRoute: (route) => engines().reduce((n, e) => n + (e?.liveCallsOnRoute(route) ?? 0), 0),
    agentOnCall: (agentId) => engines().some((e) => e?.agentOnCall(agentId)),
  };
}
