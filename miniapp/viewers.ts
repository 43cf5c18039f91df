/**
 * Who is signed in to the Mini App, read afresh on every request from the session's Telegram id:
 * agents dial, supervisors and admins watch; anyone else is refused with the reason.
 */
import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/config';
import type { Agent } from '../entities';
import { type Role, activeAgent, roleOf } from '../telegram/roles';
import type { MiniAppRole, SupervisorAction, Viewer } from './miniapp-types';

/**
 * The supervisors' capability, when the service has one: who is a supervisor, and the actions on a
 * live call it offers. Without it only super admins watch, and the wallboard shows no action.
 */
export interface SupervisorHook {
  isSupervisor(telegramId: string): Promise<boolean>;
  actions: readonly SupervisorAction[];
  act(callId: string, action: SupervisorAction, by: { telegramId: string; isAdmin: boolean }): Promise<{ ok: true } | { ok: false; message: string }>;
}

export interface ViewerSources {
  config: Pick<Config, 'telegram'>;
  agents: { byTelegramId(telegramId: string): Promise<Agent | null> };
  supervisors?: SupervisorHook;
}

export interface Signed {
  viewer: Viewer;
  role: Role;
  agent: Agent | null;
}

/** Who is signed in, as the app sees them: agents dial, supervisors and admins watch; anyone else is refused. */
export async function viewerOf(telegramId: string, deps: ViewerSources): Promise<Signed | { refused: string }> {
  const role = await roleOf(telegramId, deps.config.telegram.superAdminIds, deps.agents);
  const agent = activeAgent(role);
  const supervisor = role.kind !== 'admin' && (await deps.supervisors?.isSupervisor(telegramId)) === true;
  if (role.kind !== 'admin' && role.kind !== 'agent' && !supervisor) return { refused: role.kind };
  const kind: MiniAppRole = role.kind === 'admin' ? 'admin' : supervisor ? 'supervisor' : 'agent';
  const name = role.kind === 'unknown' ? `user ${telegramId}` : role.agent?.displayName ?? `user ${telegramId}`;
  return {
    role, agent,
    viewer: {
      telegramId, name, role: kind, watches: kind !== 'agent',
      ...(agent ? { agent: { route: agent.route, callerId: agent.callerId, phone: agent.phone } } : {}),
    },
  };
}

export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7);
  // An EventSource cannot set headers: the event stream carries its token in the query.
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.token === 'string' ? query.token : undefined;
}

