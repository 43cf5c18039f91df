import { checkDialableNumber, formatForDisplay } from '../../phone/number-policy';
import type { Incoming } from '../handler-context';
import { liveCallsForAdmin } from '../menus/keyboards';
import { POOL, callerIdLine, T, numberRefusalText } from '../texts';

const USER_ID = /^[1-9]\d{0,19}$/;

/** The admin commands all take whitespace-separated words; phones are written without spaces. */
function words(m: Incoming): string[] {
  return m.args.split(/\s+/).filter(Boolean);
}

function checkNumber(m: Incoming, input: string) {
  const { defaultRegion, allowedCountries } = m.deps.config;
  return checkDialableNumber(input, { defaultRegion, allowedCountries });
}

async function audit(m: Incoming, action: string, subject: string, details = ''): Promise<void> {
  await m.deps.stores.audit.record({ actor: m.userId, action, subject, details });
}

/** /authorize <telegram_user_id> <phone> [caller_id] */
export async function onAuthorize(m: Incoming): Promise<void> {
  const [id, phoneInput, callerInput, ...rest] = words(m);
  if (!id || !phoneInput || rest.length > 0) return void (await m.reply(T.usage.authorize));
  if (!USER_ID.test(id)) return void (await m.reply(T.invalidUserId));
  await activate(m, id, phoneInput, { callerInput });
}

/**
 * Authorizes an agent with a phone (and a caller ID). `onlyPending`: a reply to an access request's
 * prompt, which completes that request only while it is pending, never one denied, revoked or suspended since.
 */
async function activate(m: Incoming, id: string, phoneInput: string, { callerInput, onlyPending = false }: { callerInput?: string; onlyPending?: boolean }): Promise<void> {
  const phone = checkNumber(m, phoneInput);
  if (!phone.ok) return void (await m.reply(T.fieldRefused('Phone', numberRefusalText(phone))));
  let callerId: string | undefined;
  if (callerInput !== undefined) {
    const checked = checkNumber(m, callerInput);
    if (!checked.ok) return void (await m.reply(T.fieldRefused('Caller ID', numberRefusalText(checked))));
    const unverified = await unverifiedCallerId(m, checked.e164, id);
    if (unverified) return void (await m.reply(T.fieldRefused('Caller ID', unverified)));
    callerId = checked.e164;
  }
  const { agents } = m.deps.stores;
  const authorization = { telegramId: id, phone: phone.e164, callerId, by: m.userId };
  const agent = onlyPending ? await agents.approvePending(authorization) : await agents.authorize(authorization);
  if (!agent) {
    const now = await agents.byTelegramId(id);
    return void (await m.reply(T.approvalNotPending(id, now?.status ?? 'unknown')));
  }
  await audit(m, 'authorize', id, `phone ${phone.e164}${callerId ? `, caller ID ${callerId}` : ''}`);
  await m.reply(T.authorized(id, phone.e164, agent.callerId, m.deps.config.defaultCallerId));
  await m.deps.out.send(id, T.youAreAuthorized);
}

/**
 * Why a number cannot be an agent's caller ID, or undefined when it can: it must be a verified pool
 * number of the agent's route, or of some route while the agent has none yet. The call rule checks
 * it again on every call, so a later route switch or removal is caught there.
 */
async function unverifiedCallerId(m: Incoming, number: string, telegramId: string): Promise<string | undefined> {
  const route = (await m.deps.stores.agents.byTelegramId(telegramId))?.route ?? null;
  const verifiedOn = (await m.deps.stores.callerIds.routesOf(number)).filter((e) => e.status === 'verified').map((e) => e.route);
  if (route ? verifiedOn.includes(route) : verifiedOn.length > 0) return undefined;
  return POOL.callerIdNotVerified(number, route, verifiedOn);
}

/** /revoke <telegram_user_id>: also ends the agent's live call. */
export async function onRevoke(m: Incoming): Promise<void> {
  const [id, ...rest] = words(m);
  if (!id || rest.length > 0) return void (await m.reply(T.usage.revoke));
  if (!USER_ID.test(id)) return void (await m.reply(T.invalidUserId));
  const agent = await m.deps.stores.agents.revoke(id);
  if (!agent) return void (await m.reply(T.unknownAgent(id)));
  // A request still waiting for its turn ends now; one placed just before is live below, and ended.
  await m.deps.desk.stopRequestsOf(id, 'revoked');
  const live = await m.deps.desk.liveCallOfAgent(agent.id);
  if (live) await m.deps.desk.cancelCall(live.context.callId, 'admin');
  await audit(m, 'revoke', id, live ? `ended live call ${live.context.callId}` : '');
  await m.reply(T.revoked(id, Boolean(live)));
  await m.deps.out.send(id, T.youAreRevoked);
}

/** The two "set a number of an agent" commands differ only in the field, its label and the reply. */
const NUMBER_FIELDS = {
  phone: { usage: T.usage.setphone, label: 'Phone', action: 'set_phone' },
  callerId: { usage: T.usage.setcallerid, label: 'Caller ID', action: 'set_caller_id' },
} as const;

async function setAgentNumber(m: Incoming, field: keyof typeof NUMBER_FIELDS): Promise<void> {
  const { usage, label, action } = NUMBER_FIELDS[field];
  const [id, input, ...rest] = words(m);
  if (!id || !input || rest.length > 0) return void (await m.reply(usage));
  if (!USER_ID.test(id)) return void (await m.reply(T.invalidUserId));
  const number = checkNumber(m, input);
  if (!number.ok) return void (await m.reply(T.fieldRefused(label, numberRefusalText(number))));
  const { agents } = m.deps.stores;
  if (field === 'callerId') {
    if (!(await agents.byTelegramId(id))) return void (await m.reply(T.unknownAgent(id)));
    const unverified = await unverifiedCallerId(m, number.e164, id);
    if (unverified) return void (await m.reply(T.fieldRefused(label, unverified)));
  }
  const agent = field === 'phone' ? await agents.setPhone(id, number.e164) : await agents.setCallerId(id, number.e164);
  if (!agent) return void (await m.reply(T.unknownAgent(id)));
  await audit(m, action, id, number.e164);
  await m.reply(field === 'phone' ? T.phoneSet(id, number.e164) : T.callerIdSet(id, number.e164, agent.route));
}

/** /setphone <telegram_user_id> <phone> */
export function onSetPhone(m: Incoming): Promise<void> {
  return setAgentNumber(m, 'phone');
}

/** /setcallerid <telegram_user_id> <number> */
export function onSetCallerId(m: Incoming): Promise<void> {
  return setAgentNumber(m, 'callerId');
}

/** /agents */
export async function onAgents(m: Incoming): Promise<void> {
  const agents = await m.deps.stores.agents.list();
  if (agents.length === 0) return void (await m.reply(T.noAgents));
  const lines = await Promise.all(agents.map(async (a) => {
    const live = await m.deps.desk.liveCallOfAgent(a.id);
    const liveText = live ? ` · 📞 live call to ${formatForDisplay(live.context.target)} (${live.stage})` : '';
    return `${a.displayName || '—'} (${a.username ? `@${a.username}, ` : ''}id ${a.telegramId}) · ${a.status}\n`
      + `  phone ${a.phone ?? '—'} · ${callerIdLine(a.callerId ?? m.deps.config.defaultCallerId ?? null, a.route)}${liveText}`;
  }));
  await m.reply(lines.join('\n'));
}

/** /calls: live calls, each with its own hang-up button. */
export async function onCalls(m: Incoming): Promise<void> {
  const calls = await m.deps.desk.liveCalls();
  if (calls.length === 0) return void (await m.reply(T.noLiveCalls));
  const labelled = calls.map((c) => ({
    callId: c.context.callId,
    label: `${c.context.agentTelegramId} → ${formatForDisplay(c.context.target)} [${c.context.route}] · ${c.stage}`,
  }));
  await m.reply(`Live calls (${calls.length}):\n${labelled.map((c) => c.label).join('\n')}`, liveCallsForAdmin(labelled));
}

/** /audit: the last 20 audit events. */
export async function onAudit(m: Incoming): Promise<void> {
  const events = await m.deps.stores.audit.latest(20);
  if (events.length === 0) return void (await m.reply(T.auditEmpty));
  const lines = events.map((e) => `${e.createdAt.toISOString().slice(0, 19).replace('T', ' ')} · ${e.actor} · ${e.action}${e.subject ? ` · ${e.subject}` : ''}${e.details ? ` · ${e.details.slice(0, 120)}` : ''}`);
  await m.reply(lines.join('\n'));
}

/** ✅ Approve on an access request: asks the admin for the agent's phone as a reply. */
export async function onApprove(m: Incoming, id: string): Promise<void> {
  const agent = await m.deps.stores.agents.byTelegramId(id);
  if (!agent || agent.status !== 'pending') {
    return void (await m.reply(T.alreadyHandled(id, agent?.status ?? 'unknown')));
  }
  await m.reply(T.askPhone(agent.displayName || id, id), { force_reply: true, input_field_placeholder: '+12025550123' });
}

/** ❌ Deny on an access request. */
export async function onDeny(m: Incoming, id: string): Promise<void> {
  // Conditional, so a request approved in the meantime is not denied after all.
  const denied = await m.deps.stores.agents.deny(id);
  if (!denied) {
    const agent = await m.deps.stores.agents.byTelegramId(id);
    return void (await m.reply(T.alreadyHandled(id, agent?.status ?? 'unknown')));
  }
  await audit(m, 'deny', id);
  await m.reply(T.denied(id));
  await m.deps.out.send(id, T.youAreDenied);
}

const ASK_PHONE = /\(id ([1-9]\d{0,19})\)\.$/;

/** The admin's reply to "Reply to this message with the phone number for … (id N)." */
export async function onApprovalReply(m: Incoming, repliedText: string): Promise<boolean> {
  const id = repliedText.match(ASK_PHONE)?.[1];
  if (!id) return false;
  const phoneInput = m.args.trim();
  if (!phoneInput) {
    await m.reply(T.approvalNeedsReply);
    return true;
  }
  await activate(m, id, phoneInput, { onlyPending: true });
  return true;
}
