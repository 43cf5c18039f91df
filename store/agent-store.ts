import { DataSource, Repository } from 'typeorm';
import { Agent } from '../entities';
import type { RouteCode } from '../call/call-types';

export interface TelegramIdentity {
  telegramId: string;
  username?: string | null;
  displayName?: string;
}

/** Everything the rest of the code may ask of or tell about agents. No caller writes queries. */
export class AgentStore {
  private readonly agents: Repository<Agent>;

  constructor(dataSource: DataSource) {
    this.agents = dataSource.getRepository(Agent);
  }

  byTelegramId(telegramId: string): Promise<Agent | null> {
    return this.agents.findOneBy({ telegramId });
  }

  async activeAgentByTelegramId(telegramId: string): Promise<Agent | null> {
    return this.agents.findOneBy({ telegramId, status: 'active' });
  }

  /** An unknown user asking for access becomes a pending agent; anyone else is returned as they are. */
  async requestAccess(who: TelegramIdentity): Promise<{ agent: Agent; isNew: boolean }> {
    const existing = await this.byTelegramId(who.telegramId);
    if (existing) return { agent: existing, isNew: false };
    const agent = await this.agents.save(this.agents.create({
      telegramId: who.telegramId,
      username: who.username ?? null,
      displayName: (who.displayName ?? '').slice(0, 128),
      status: 'pending',
    }));
    return { agent, isNew: true };
  }

  /** Creates or re-activates an agent; the route is kept (a re-activated agent keeps their choice). */
  async authorize(input: TelegramIdentity & { phone: string; callerId?: string | null; by: string }): Promise<Agent> {
    const agent = (await this.byTelegramId(input.telegramId))
      ?? this.agents.create({ telegramId: input.telegramId, displayName: '', username: null, route: null });
    agent.phone = input.phone;
    if (input.callerId !== undefined) agent.callerId = input.callerId;
    if (input.username !== undefined) agent.username = input.username;
    if (input.displayName) agent.displayName = input.displayName.slice(0, 128);
    agent.status = 'active';
    agent.authorizedBy = input.by;
    agent.authorizedAt = new Date();
    return this.agents.save(agent);
  }

  async revoke(telegramId: string): Promise<Agent | null> {
    const agent = await this.byTelegramId(telegramId);
    if (!agent) return null;
    agent.status = 'revoked';
    return this.agents.save(agent);
  }

  /**
   * Stops an active agent (an abuse alert); null when they were not active. One conditional update,
   * so of two admins tapping at once exactly one suspends. /authorize restores the agent.
   */
  async suspend(telegramId: string): Promise<Agent | null> {
    const result = await this.agents.update({ telegramId, status: 'active' }, { status: 'suspended' });
    return result.affected ? this.byTelegramId(telegramId) : null;
  }

  async setPhone(telegramId: string, phone: string): Promise<Agent | null> {
    return this.update(telegramId, { phone });
  }

  async setCallerId(telegramId: string, callerId: string | null): Promise<Agent | null> {
    return this.update(telegramId, { callerId });
  }

  async setRoute(telegramId: string, route: RouteCode): Promise<Agent | null> {
    return this.update(telegramId, { route });
  }

  list(): Promise<Agent[]> {
    return this.agents.find({ order: { status: 'ASC', id: 'ASC' } });
  }

  private async update(telegramId: string, patch: Partial<Agent>): Promise<Agent | null> {
    const agent = await this.byTelegramId(telegramId);
    if (!agent) return null;
    Object.assign(agent, patch);
    return this.agents.save(agent);
  }
}
