import type { Agent } from '../entities';
import type { AgentStore } from '../store';

/** Who is asking: decided afresh for every update, so a revoke takes effect on the next tap. */
export type Role =
  | { kind: 'admin'; agent: Agent | null }
  | { kind: 'agent'; agent: Agent }
  | { kind: 'pending'; agent: Agent }
  | { kind: 'revoked'; agent: Agent }
  | { kind: 'suspended'; agent: Agent }
  | { kind: 'unknown' };

export async function roleOf(telegramId: string, superAdminIds: readonly string[], agents: Pick<AgentStore, 'byTelegramId'>): Promise<Role> {
  const agent = await agents.byTelegramId(telegramId);
  if (superAdminIds.includes(telegramId)) return { kind: 'admin', agent: agent?.status === 'active' ? agent : null };
  if (!agent) return { kind: 'unknown' };
  if (agent.status === 'active') return { kind: 'agent', agent };
  if (agent.status === 'suspended') return { kind: 'suspended', agent };
  return agent.status === 'pending' ? { kind: 'pending', agent } : { kind: 'revoked', agent };
}

/** The active agent behind a role, if any: only they may place calls. */
export function activeAgent(role: Role): Agent | null {
  if (role.kind === 'agent') return role.agent;
  if (role.kind === 'admin') return role.agent;
  return null;
}

/** Whether someone may use a command or button meant for `who`. */
export function mayUse(role: Role, who: 'anyone' | 'agent' | 'admin'): boolean {
  if (who === 'anyone') return true;
  if (who === 'admin') return role.kind === 'admin';
  return activeAgent(role) !== null;
}
