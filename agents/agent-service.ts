/**
 * The business of agents: access requests, authorizing, denying, revoking and suspending them, and
 * setting their phone, caller ID and route. Every change is one conditional write (store/agent-store.ts)
 * followed by its audit entry, written here so no caller can forget it. Answers are codes and
 * facts; the bot words them.
 */
import type { RouteCode } from '../call/call-types';
import type { Config } from '../config/config';
import type { CallDesk } from '../engine/call-desk';
import type { Agent } from '../entities';
import { checkDialableNumber, type NumberCheck } from '../phone/number-policy';
import type { AgentStore, AuditLog, CallerIdStore } from '../store';
import type { TelegramIdentity } from '../store/agent-store';

export interface AgentServiceDeps {
  agents: AgentStore;
  callerIds: CallerIdStore;
  audit: AuditLog;
  /** Only to end what a revoked or suspended agent has going. */
  desk: Pick<CallDesk, 'stopRequestsOf' | 'liveCallOfAgent' | 'cancelCall' | 'cancelCallAs'>;
  numbers: Pick<Config, 'defaultRegion' | 'allowedCountries'>;
}

/** Which number of an agent a change is about. */
export type AgentNumberField = 'phone' | 'callerId';

/** Why a number cannot be an agent's caller ID: it is not a verified pool number of their route (or of any route while they have none). */
export interface UnverifiedCallerId {
  number: string;
  route: RouteCode | null;
  verifiedOn: RouteCode[];
}

export type NumberRefused =
  | { ok: false; refusal: 'invalid'; field: AgentNumberField; check: Extract<NumberCheck, { ok: false }> }
  | ({ ok: false; refusal: 'unverified_caller_id'; field: 'callerId' } & UnverifiedCallerId);

export type AuthorizeResult =
  | { ok: true; agent: Agent; phone: string; callerId?: string }
  | NumberRefused
  /** A reply to an access request's prompt, when the request is no longer pending. */
  | { ok: false; refusal: 'not_pending'; status: string };

export type SetNumberResult =
  | { ok: true; agent: Agent; number: string }
  | NumberRefused
  | { ok: false; refusal: 'unknown_agent' };

/** An agent stopped by an admin, and the live call of theirs that was ended with it, if any. */
export interface Stopped {
  agent: Agent;
  endedCallId?: string;
}

export class AgentService {
  constructor(private readonly deps: AgentServiceDeps) {}

  /** An unknown user's /start: a pending agent, audited once. */
  async requestAccess(who: TelegramIdentity & { displayName: string }): Promise<{ agent: Agent; isNew: boolean }> {
    const result = await this.deps.agents.requestAccess(who);
    if (result.isNew) await this.audit(who.telegramId, 'access_requested', who.telegramId, who.displayName);
    return result;
  }

  /**
   * Authorizes an agent with a phone (and a caller ID). `onlyPending`: a reply to an access
   * request's prompt, which completes that request only while it is pending, never one denied,
   * revoked or suspended since.
   */
  async authorize(by: string, input: { telegramId: string; phone: string; callerId?: string; displayName?: string; route?: RouteCode; onlyPending?: boolean }): Promise<AuthorizeResult> {
    const phone = this.check(input.phone);
    if (!phone.ok) return { ok: false, refusal: 'invalid', field: 'phone', check: phone };
    let callerId: string | undefined;
    if (input.callerId !== undefined) {
      const checked = await this.checkCallerId(input.callerId, await this.routeOf(input.telegramId));
      if (!checked.ok) return checked;
      callerId = checked.number;
    }
    const { agents } = this.deps;
    const authorization = {
      telegramId: input.telegramId, phone: phone.e164, callerId, by,
      ...(input.displayName ? { displayName: input.displayName } : {}), ...(input.route ? { route: input.route } : {}),
    };
    const agent = input.onlyPending ? await agents.approvePending(authorization) : await agents.authorize(authorization);
    if (!agent) return { ok: false, refusal: 'not_pending', status: (await agents.byTelegramId(input.telegramId))?.status ?? 'unknown' };
    await this.audit(by, 'authorize', input.telegramId, `phone ${phone.e164}${callerId ? `, caller ID ${callerId}` : ''}${input.route ? `, route ${input.route}` : ''}`);
    return { ok: true, agent, phone: phone.e164, ...(callerId ? { callerId } : {}) };
  }

  /** Whether the Telegram id has an agent row, in any status (bulk onboarding tells added from updated). */
  async isKnown(telegramId: string): Promise<boolean> {
    return (await this.deps.agents.byTelegramId(telegramId)) !== null;
  }

  /** Denies an access request while it is pending; null when it is not (handled in between). */
  async deny(by: string, telegramId: string): Promise<Agent | null> {
    const denied = await this.deps.agents.deny(telegramId);
    if (denied) await this.audit(by, 'deny', telegramId);
    return denied;
  }

  /** Revokes an agent, ends their waiting requests and their live call; null for an unknown id. */
  async revoke(by: string, telegramId: string): Promise<Stopped | null> {
    const agent = await this.deps.agents.revoke(telegramId);
    if (!agent) return null;
    // A request still waiting for its turn ends now; one placed just before is live below, and ended.
    await this.deps.desk.stopRequestsOf(telegramId, 'revoked');
    const live = await this.deps.desk.liveCallOfAgent(agent.id);
    if (live) await this.deps.desk.cancelCall(live.context.callId, 'admin');
    await this.audit(by, 'revoke', telegramId, live ? `ended live call ${live.context.callId}` : '');
    return { agent, ...(live ? { endedCallId: live.context.callId } : {}) };
  }

  /**
   * Stops an active agent (an abuse alert) at once, with their waiting requests and live call;
   * `because` says what led to it in the audit log. Null when they were not active.
   */
  async suspend(by: string, telegramId: string, because: string): Promise<Stopped | null> {
    const agent = await this.deps.agents.suspend(telegramId);
    if (!agent) return null;
    await this.deps.desk.stopRequestsOf(telegramId, 'suspended');
    const live = await this.deps.desk.liveCallOfAgent(agent.id);
    const ended = live !== undefined && await this.deps.desk.cancelCallAs(live.context.callId, { agentId: null, isAdmin: true }) === 'cancelled';
    await this.audit(by, 'suspend', telegramId, `${because}${ended && live ? `, ended live call ${live.context.callId}` : ''}`);
    return { agent, ...(ended && live ? { endedCallId: live.context.callId } : {}) };
  }

  /** Sets an agent's phone or caller ID; a caller ID must be a verified pool number of the agent's route. */
  async setNumber(by: string, telegramId: string, field: AgentNumberField, input: string): Promise<SetNumberResult> {
    const { agents } = this.deps;
    const checked = this.check(input);
    if (!checked.ok) return { ok: false, refusal: 'invalid', field, check: checked };
    const number = checked.e164;
    if (field === 'callerId') {
      const existing = await agents.byTelegramId(telegramId);
      if (!existing) return { ok: false, refusal: 'unknown_agent' };
      const verified = await this.checkCallerId(number, existing.route ?? null);
      if (!verified.ok) return verified;
    }
    const agent = field === 'phone' ? await agents.setPhone(telegramId, number) : await agents.setCallerId(telegramId, number);
    if (!agent) return { ok: false, refusal: 'unknown_agent' };
    await this.audit(by, field === 'phone' ? 'set_phone' : 'set_caller_id', telegramId, number);
    return { ok: true, agent, number };
  }

  /** The agent's own choice of route, while they are active; null when they are not (revoked or suspended since). */
  async setRoute(agent: Agent, route: RouteCode): Promise<Agent | null> {
    const updated = await this.deps.agents.setRoute(agent.telegramId, route);
    if (updated) await this.audit(agent.telegramId, 'route_changed', agent.telegramId, `${agent.route ?? '–'} -> ${route}`);
    return updated;
  }

  private check(input: string) {
    const { defaultRegion, allowedCountries } = this.deps.numbers;
    return checkDialableNumber(input, { defaultRegion, allowedCountries });
  }

  private async routeOf(telegramId: string): Promise<RouteCode | null> {
    return (await this.deps.agents.byTelegramId(telegramId))?.route ?? null;
  }

  /**
   * A caller ID must be dialable and a verified pool number of the agent's route, or of some route
   * while the agent has none yet. The call rule checks it again on every call, so a later route
   * switch or removal is caught there.
   */
  private async checkCallerId(input: string, route: RouteCode | null): Promise<{ ok: true; number: string } | NumberRefused> {
    const checked = this.check(input);
    if (!checked.ok) return { ok: false, refusal: 'invalid', field: 'callerId', check: checked };
    const verifiedOn = (await this.deps.callerIds.routesOf(checked.e164)).filter((e) => e.status === 'verified').map((e) => e.route);
    if (route ? verifiedOn.includes(route) : verifiedOn.length > 0) return { ok: true, number: checked.e164 };
    return { ok: false, refusal: 'unverified_caller_id', field: 'callerId', number: checked.e164, route, verifiedOn };
  }

  private async audit(actor: string, action: string, subject: string, details = ''): Promise<void> {
    await this.deps.audit.record({ actor, action, subject, details });
  }
}
