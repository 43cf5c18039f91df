import type { RouteCode } from '../../call/call-types';
import { checkDialableNumber } from '../../phone/number-policy';
import type { VerifyStart } from '../../verification/caller-id-verification';
import type { Incoming } from '../handler-context';
import { unverifiedNumbers, verifyAgain } from '../menus/keyboards';
import { POOL, T, numberRefusalText } from '../texts';

/** The caller-ID pool's commands: /numbers, /numbers add|remove|verify. Super admins only (command-table.ts). */
export async function onNumbers(m: Incoming): Promise<void> {
  const [sub, numberInput, routeInput, ...rest] = m.args.split(/\s+/).filter(Boolean);
  if (sub === undefined) return listNumbers(m);
  if (!numberInput || rest.length > 0 || !['add', 'remove', 'verify'].includes(sub)) return void (await m.reply(T.usage.numbers));
  if (sub === 'add' && !routeInput) return void (await m.reply(T.usage.numbers));
  const number = poolNumber(m, numberInput);
  if (!number.ok) return void (await m.reply(T.fieldRefused(T.fieldName.number, number.reason)));
  const route = routeInput === undefined ? undefined : parseRoute(routeInput);
  if (route === null) return void (await m.reply(POOL.invalidRoute));
  if (sub === 'add') return addNumber(m, number.e164, route!);
  if (sub === 'remove') return removeNumber(m, number.e164, route);
  const routeOf = route ?? await onlyRoute(m, number.e164);
  if (routeOf) await verifyNumber(m, number.e164, routeOf);
}

/** A pool number must be one callbot could dial: it calls it to verify it. */
function poolNumber(m: Incoming, input: string): { ok: true; e164: string } | { ok: false; reason: string } {
  const { defaultRegion, allowedCountries } = m.deps.config;
  const checked = checkDialableNumber(input, { defaultRegion, allowedCountries });
  return checked.ok ? { ok: true, e164: checked.e164 } : { ok: false, reason: numberRefusalText(checked) };
}

function parseRoute(input: string): RouteCode | null {
  const route = input.toUpperCase();
  return route === 'M' || route === 'D' ? route : null;
}

/** The route of a number given without one: the only pool it is in, or the admin is asked. */
async function onlyRoute(m: Incoming, number: string): Promise<RouteCode | undefined> {
  const entries = await m.deps.stores.callerIds.routesOf(number);
  const [first] = entries;
  if (first && entries.length === 1) return first.route;
  await m.reply(entries.length === 0 ? POOL.notInPool(number) : POOL.whichRoute(number));
  return undefined;
}

async function listNumbers(m: Incoming): Promise<void> {
  const entries = await m.deps.stores.callerIds.list();
  if (entries.length === 0) return void (await m.reply(POOL.empty));
  const lines = entries.map((e) => POOL.entry(e.number, e.route, e.status === 'verified' ? e.verifiedAt ?? e.createdAt : null, m.deps.verification.pending(e.number, e.route)));
  const unverified = entries.filter((e) => e.status !== 'verified')
    .map((e) => ({ number: e.number, route: e.route, label: POOL.verifyButton(e.number, e.route) }));
  await m.reply([POOL.title, ...lines].join('\n'), unverified.length > 0 ? unverifiedNumbers(unverified) : undefined);
}

async function addNumber(m: Incoming, number: string, route: RouteCode): Promise<void> {
  const { entry, isNew } = await m.deps.pool.add(m.userId, number, route);
  if (!isNew) return void (await m.reply(POOL.alreadyInPool(number, route, entry.status === 'verified')));
  await m.reply(POOL.added(number, route));
}

/** Out of the pool at once: the call rule reads the pool on every request, and a verification in progress ends. */
async function removeNumber(m: Incoming, number: string, route: RouteCode | undefined): Promise<void> {
  const { routes, agents } = await m.deps.pool.remove(m.userId, number, route);
  if (routes.length === 0) return void (await m.reply(POOL.notInPool(number)));
  await m.reply(POOL.removed(number, routes, agents));
}

/** A new code, shown to the admin, and the call that asks for it (also the pool list's button). */
export async function verifyNumber(m: Incoming, number: string, route: RouteCode): Promise<void> {
  await started(m, number, route, await m.deps.verification.verify(number, route, m.userId));
}

/** The "call again" button: the code in force, for a call nobody answered. */
export async function callNumberAgain(m: Incoming, number: string, route: RouteCode): Promise<void> {
  await started(m, number, route, await m.deps.verification.callAgain(number, route));
}

async function started(m: Incoming, number: string, route: RouteCode, start: VerifyStart): Promise<void> {
  if (!start.ok) return void (await m.reply(POOL.refused(start.refusal, number, route)));
  await m.reply(POOL.calling(number, route, start.code, start.expiresAt, start.attemptsLeft));
  // The result comes when the call ends, long after this update has been answered.
  void start.outcome.then(async (outcome) => {
    await m.reply(POOL.outcome(outcome), outcome.codeValid ? verifyAgain(number, route, POOL.callAgainButton) : undefined);
  }).catch((err: unknown) => m.deps.logger.warn('telling the admin a verification result failed', { number, route, err }));
}
