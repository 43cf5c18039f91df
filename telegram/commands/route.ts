import type { RouteCode } from '../../call/call-types';
import type { Incoming } from '../handler-context';
import { routeChoice, routeConfirmation, settingsMenu } from '../menus/keyboards';
import type { Agent } from '../../entities';
import { activeAgent, type Role } from '../roles';
import { INTEGRATION_TEXT, T } from '../texts';
import { integrationAutoOf } from './integration';
import { placeCall } from './call';

/** /route, /route M, /route D. */
export async function onRoute(m: Incoming): Promise<void> {
  const agent = activeAgent(m.role);
  if (!agent) return void (await m.reply(T.notAllowed));
  const arg = m.args.toUpperCase();
  if (arg === '') {
    await m.reply(`${T.currentRoute(agent.route)}\n${T.selectRoute}`, routeChoice());
    return;
  }
  if (arg !== 'M' && arg !== 'D') return void (await m.reply(T.usage.route));
  await switchRoute(m, arg);
}

/** /settings and the Settings button. */
export async function onSettings(m: Incoming): Promise<void> {
  const agent = activeAgent(m.role);
  if (!agent) return void (await m.reply(T.notAllowed));
  const auto = await integrationAutoOf(m.deps, agent.telegramId);
  const text = T.settings(agent.callerId ?? m.deps.config.defaultCallerId ?? null, agent.route, agent.phone);
  await m.reply(auto === undefined ? text : `${text}\n${INTEGRATION_TEXT.autoLine(auto)}`, settingsMenu(auto));
}

/** The `Select Route 🌐` button. */
export async function onSelectRoute(m: Incoming): Promise<void> {
  await m.reply(T.selectRoute, routeChoice());
}

/** A route button: asks to confirm before anything changes. */
export async function onPickRoute(m: Incoming, route: RouteCode): Promise<void> {
  await m.reply(T.confirmRoute(route), routeConfirmation(route));
}

export async function onConfirmRoute(m: Incoming, route: RouteCode): Promise<void> {
  await switchRoute(m, route);
}

export async function onCancelRoute(m: Incoming): Promise<void> {
  await m.reply(T.routeUnchanged(activeAgent(m.role)?.route ?? null));
}

/** A route button under "Choose a route first": sets the first route, then places the waiting call. */
export async function onRouteThenCall(m: Incoming, route: RouteCode, number: string): Promise<void> {
  const agent = await switchRoute(m, route);
  if (!agent) return;
  await placeCall({ ...m, role: withAgent(m.role, agent) }, number);
}

/** The same person, with their agent record as it is after a change. */
function withAgent(role: Role, agent: Agent): Role {
  return role.kind === 'admin' ? { kind: 'admin', agent } : { kind: 'agent', agent };
}

async function switchRoute(m: Incoming, route: RouteCode): Promise<Agent | null | undefined> {
  const agent = activeAgent(m.role);
  if (!agent) return void (await m.reply(T.notAllowed));
  const updated = await m.deps.accounts.setRoute(agent, route);
  // Revoked or suspended since this update was read: nothing changed.
  if (!updated) return void (await m.reply(T.notAllowed));
  await m.reply(T.routeChanged(route));
  return updated;
}
