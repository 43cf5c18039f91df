/**
 * The organisation's caller-ID numbers, per route: adding and removing them, with their audit.
 * Verifying them is verification/'s; the call rule reads the pool on every request.
 */
import type { RouteCode } from '../call/call-types';
import type { CallerId } from '../entities';
import type { AgentStore, AuditLog, CallerIdStore } from '../store';
import type { CallerIdVerification } from '../verification/caller-id-verification';

export interface CallerIdPoolDeps {
  callerIds: CallerIdStore;
  agents: AgentStore;
  audit: AuditLog;
  verification: Pick<CallerIdVerification, 'forget'>;
}

export class CallerIdPool {
  constructor(private readonly deps: CallerIdPoolDeps) {}

  /** Adds a number to a route's pool, unverified; audited only when it was not there. */
  async add(by: string, number: string, route: RouteCode): Promise<{ entry: CallerId; isNew: boolean }> {
    const added = await this.deps.callerIds.add(number, route, by);
    if (added.isNew) await this.deps.audit.record({ actor: by, action: 'caller_id_add', subject: number, details: `route ${route}` });
    return added;
  }

  /**
   * Out of the pool at once (of both routes without one): a verification in progress ends, and the
   * active agents who had it as their caller ID are named, since their calls are refused from now on.
   */
  async remove(by: string, number: string, route: RouteCode | undefined): Promise<{ routes: RouteCode[]; agents: string[] }> {
    const removed = await this.deps.callerIds.remove(number, route);
    if (removed.length === 0) return { routes: [], agents: [] };
    const routes = removed.map((e) => e.route);
    for (const r of routes) this.deps.verification.forget(number, r);
    const agents = (await this.deps.agents.list()).filter((a) => a.status === 'active' && a.callerId === number).map((a) => a.telegramId);
    await this.deps.audit.record({
      actor: by, action: 'caller_id_remove', subject: number,
      details: `route ${routes.join(',')}${agents.length > 0 ? `, caller ID of agents ${agents.join(',')}` : ''}`,
    });
    return { routes, agents };
  }
}
