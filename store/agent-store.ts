import { DataSource, Repository } from 'typeorm';
import { Agent } from '../entities';
import type { AgentStatus } from '../entities/agent.entity';
import type { RouteCode } from '../call/call-types';
import { violatesUniqueIndex } from './unique-violation';

export interface TelegramIdentity {
  telegramId: string;
  username?: string | null;
  displayName?: string;
}

export interface Authorization extends TelegramIdentity {
  phone: string;
  callerId?: string | null;
  /** Set with the authorization (bulk onboarding); left as it is when absent. */
  route?: RouteCode;
  by: string;
}

const TELEGRAM_ID_INDEX = { name: 'uq_agents_telegram_id', table: 'agents', columns: ['telegram_id'] } as const;

/** The columns an agent's row may be changed through, each write naming only its own. */
type AgentColumns = Partial<Pick<Agent, 'phone' | 'callerId' | 'route' | 'status' | 'username' | 'displayName' | 'authorizedBy' | 'authorizedAt'>>;

/**
 * Everything the rest of the code may ask of or tell about agents. No caller writes queries.
 * Every write is one UPDATE of the columns it changes, never a read row saved back whole: a row
 * saved back would carry the status it was read with over a revocation or suspension made since.
 */
export class AgentStore {
  private readonly agents: Repository<Agent>;

  constructor(dataSource: DataSource) {
    this.agents = dataSource.getRepository(Agent);
  }

  byTelegramId(telegramId: string): Promise<Agent | null> {
    return this.agents.findOneBy({ telegramId });
  }

  byId(id: number): Promise<Agent | null> {
    return this.agents.findOneBy({ id });
  }

  async activeAgentByTelegramId(telegramId: string): Promise<Agent | null> {
    return this.agents.findOneBy({ telegramId, status: 'active' });
  }

  /** An unknown user asking for access becomes a pending agent; anyone else is returned as they are. */
  async requestAccess(who: TelegramIdentity): Promise<{ agent: Agent; isNew: boolean }> {
    const existing = await this.byTelegramId(who.telegramId);
    if (existing) return { agent: existing, isNew: false };
    const inserted = await this.insertUnlessPresent({
      telegramId: who.telegramId,
      username: who.username ?? null,
      displayName: (who.displayName ?? '').slice(0, 128),
      status: 'pending',
    });
    return { agent: await this.existing(who.telegramId), isNew: inserted };
  }

  /** Creates or re-activates an agent; the route is kept (a re-activated agent keeps their choice). */
  async authorize(input: Authorization): Promise<Agent> {
    const columns = authorizedColumns(input);
    if (await this.change(input.telegramId, columns)) return this.existing(input.telegramId);
    const inserted = await this.insertUnlessPresent({ telegramId: input.telegramId, displayName: '', username: null, route: null, ...columns });
    // Someone else made the row in between (their own /start): it is authorized all the same.
    if (!inserted) await this.change(input.telegramId, columns);
    return this.existing(input.telegramId);
  }

  /**
   * Completes an access request (the admin's reply with the phone): only while it is still pending,
   * so a reply to an old prompt cannot undo a denial, a revocation or a suspension. Null when it is not.
   */
  async approvePending(input: Authorization): Promise<Agent | null> {
    const changed = await this.change(input.telegramId, authorizedColumns(input), 'pending');
    return changed ? this.existing(input.telegramId) : null;
  }

  /** Denies an access request while it is still pending; null when it is not (approved in between). */
  async deny(telegramId: string): Promise<Agent | null> {
    return (await this.change(telegramId, { status: 'revoked' }, 'pending')) ? this.existing(telegramId) : null;
  }

  async revoke(telegramId: string): Promise<Agent | null> {
    return (await this.change(telegramId, { status: 'revoked' })) ? this.existing(telegramId) : null;
  }

  /**
   * Stops an active agent (an abuse alert); null when they were not active. One conditional update,
   * so of two admins tapping at once exactly one suspends. /authorize restores the agent.
   */
  async suspend(telegramId: string): Promise<Agent | null> {
    return (await this.change(telegramId, { status: 'suspended' }, 'active')) ? this.existing(telegramId) : null;
  }

  async setPhone(telegramId: string, phone: string): Promise<Agent | null> {
    return (await this.change(telegramId, { phone })) ? this.existing(telegramId) : null;
  }

  async setCallerId(telegramId: string, callerId: string | null): Promise<Agent | null> {
    return (await this.change(telegramId, { callerId })) ? this.existing(telegramId) : null;
  }

  /** The agent's own choice of route, while they are active; null when they are not. */
  async setRoute(telegramId: string, route: RouteCode): Promise<Agent | null> {
    return (await this.change(telegramId, { route }, 'active')) ? this.existing(telegramId) : null;
  }

  /** The agent with this id, only while authorized. */
  activeAgentById(id: number): Promise<Agent | null> {
    return this.agents.findOneBy({ id, status: 'active' });
  }

  /** The authorized agents who picked this route, by id. */
  activeAgentsOnRoute(route: RouteCode): Promise<Agent[]> {
    return this.agents.find({ where: { route, status: 'active' }, order: { id: 'ASC' } });
  }

  list(): Promise<Agent[]> {
    return this.agents.find({ order: { status: 'ASC', id: 'ASC' } });
  }

  /** One UPDATE of these columns (and updated_at), of the agent in `onlyWhile` status if given; whether a row changed. */
  private async change(telegramId: string, columns: AgentColumns, onlyWhile?: AgentStatus): Promise<boolean> {
    const result = await this.agents.update(onlyWhile ? { telegramId, status: onlyWhile } : { telegramId }, columns);
    return (result.affected ?? 0) > 0;
  }

  /** One INSERT; false when a row for the Telegram id is there already (made at the same instant). */
  private async insertUnlessPresent(row: AgentColumns & Pick<Agent, 'telegramId'>): Promise<boolean> {
    try {
      await this.agents.insert(row);
      return true;
    } catch (err) {
      if (violatesUniqueIndex(err, TELEGRAM_ID_INDEX)) return false;
      throw err;
    }
  }

  /** The row just written; it is never deleted, so it is there. */
  private async existing(telegramId: string): Promise<Agent> {
    return this.agents.findOneByOrFail({ telegramId });
  }
}

function authorizedColumns(input: Authorization): AgentColumns {
  return {
    phone: input.phone,
    ...(input.callerId !== undefined ? { callerId: input.callerId } : {}),
    ...(input.username !== undefined ? { username: input.username } : {}),
    ...(input.displayName ? { displayName: input.displayName.slice(0, 128) } : {}),
    ...(input.route ? { route: input.route } : {}),
    status: 'active',
    authorizedBy: input.by,
    authorizedAt: new Date(),
  };
}
