import type { NumberRefused } from '../../agents/agent-service';
import { formatForDisplay } from '../../phone/number-policy';
import type { Incoming } from '../handler-context';
import { liveCallsForAdmin } from '../menus/keyboards';
import { POOL, callerIdLine, T, numberRefusalText } from '../texts';

const USER_ID = /^[1-9]\d{0,19}$/;

/** The admin commands all take whitespace-separated words; phones are written without spaces. */
function words(m: Incoming): string[] {
  return m.args.split(/\s+/).filter(Boolean);
}

/** "❌ Phone: …" or "❌ Caller ID: …": why a number of an agent was refused. */
function numberRefusedText(refused: NumberRefused): string {
  const label = refused.field === 'phone' ? T.fieldName.phone : T.fieldName.callerId;
  return T.fieldRefused(label, refused.refusal === 'invalid' ? numberRefusalText(refused.check) : POOL.callerIdNotVerified(refused.number, refused.route, refused.verifiedOn));
}

/** /authorize <telegram_user_id> <phone> [caller_id] */
export async function onAuthorize(m: Incoming): Promise<void> {
  const [id, phoneInput, callerInput, ...rest] = words(m);
  if (!id || !phoneInput || rest.length > 0) return void (await m.reply(T.usage.authorize));
  if (!USER_ID.test(id)) return void (await m.reply(T.invalidUserId));
  await activate(m, id, phoneInput, { callerInput });
}

/** Authorizes an agent with a phone (and a caller ID); `onlyPending` for a reply to an access request's prompt. */
async function activate(m: Incoming, id: string, phoneInput: string, { callerInput, onlyPending = false }: { callerInput?: string; onlyPending?: boolean }): Promise<void> {
  const result = await m.deps.accounts.authorize(m.userId, { telegramId: id, phone: phoneInput, ...(callerInput !== undefined ? { callerId: callerInput } : {}), onlyPending });
  if (!result.ok) {
    return void (await m.reply(result.refusal === 'not_pending' ? T.approvalNotPending(id, result.status) : numberRefusedText(result)));
  }
  await m.reply(T.authorized(id, result.phone, result.agent.callerId, m.deps.config.defaultCallerId));
  await m.deps.out.send(id, T.youAreAuthorized);
}

/** /revoke <telegram_user_id>: also ends the agent's live call. */
export async function onRevoke(m: Incoming): Promise<void> {
  const [id, ...rest] = words(m);
  if (!id || rest.length > 0) return void (await m.reply(T.usage.revoke));
  if (!USER_ID.test(id)) return void (await m.reply(T.invalidUserId));
  const revoked = await m.deps.accounts.revoke(m.userId, id);
  if (!revoked) return void (await m.reply(T.unknownAgent(id)));
  await m.reply(T.revoked(id, revoked.endedCallId !== undefined));
  await m.deps.out.send(id, T.youAreRevoked);
}

/** The two "set a number of an agent" commands differ only in the field, its usage line and the reply. */
async function setAgentNumber(m: Incoming, field: 'phone' | 'callerId'): Promise<void> {
  const [id, input, ...rest] = words(m);
  if (!id || !input || rest.length > 0) return void (await m.reply(field === 'phone' ? T.usage.setphone : T.usage.setcallerid));
  if (!USER_ID.test(id)) return void (await m.reply(T.invalidUserId));
  const result = await m.deps.accounts.setNumber(m.userId, id, field, input);
  if (!result.ok) return void (await m.reply(result.refusal === 'unknown_agent' ? T.unknownAgent(id) : numberRefusedText(result)));
  await m.reply(field === 'phone' ? T.phoneSet(id, result.number) : T.callerIdSet(id, result.number, result.agent.route));
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
    return T.agentLine(a, callerIdLine(a.callerId ?? m.deps.config.defaultCallerId ?? null, a.route), live ? { customer: formatForDisplay(live.context.target), stage: live.stage } : undefined);
  }));
  await m.reply(lines.join('\n'));
}

/** /calls: live calls, each with its own hang-up button. */
export async function onCalls(m: Incoming): Promise<void> {
  const calls = await m.deps.desk.liveCalls();
  if (calls.length === 0) return void (await m.reply(T.noLiveCalls));
  const labelled = calls.map((c) => ({
    callId: c.context.callId,
    label: T.liveCallLabel(c.context.agentTelegramId, formatForDisplay(c.context.target), c.context.route, c.stage),
  }));
  await m.reply(T.liveCallsTitle(labelled.length, labelled.map((c) => c.label)), liveCallsForAdmin(labelled));
}

/** /audit: the last 20 audit events. */
export async function onAudit(m: Incoming): Promise<void> {
  const events = await m.deps.stores.audit.latest(20);
  if (events.length === 0) return void (await m.reply(T.auditEmpty));
  await m.reply(events.map(T.auditLine).join('\n'));
}

/** ✅ Approve on an access request: asks the admin for the agent's phone as a reply. */
export async function onApprove(m: Incoming, id: string): Promise<void> {
  const agent = await m.deps.stores.agents.byTelegramId(id);
  if (!agent || agent.status !== 'pending') {
    return void (await m.reply(T.alreadyHandled(id, agent?.status ?? 'unknown')));
  }
  await m.reply(T.askPhone(agent.displayName || id, id), { force_reply: true, input_field_placeholder: T.phonePlaceholder });
}

/** ❌ Deny on an access request. */
export async function onDeny(m: Incoming, id: string): Promise<void> {
  // Conditional, so a request approved in the meantime is not denied after all.
  const denied = await m.deps.accounts.deny(m.userId, id);
  if (!denied) {
    const agent = await m.deps.stores.agents.byTelegramId(id);
    return void (await m.reply(T.alreadyHandled(id, agent?.status ?? 'unknown')));
  }
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
