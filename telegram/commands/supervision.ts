/**
 * Supervisors in Telegram: super admins manage them (`/supervisors`), supervisors list live calls
 * (`/live`, one message refreshed in place) and tap 🎧 Listen, 🗣 Whisper or 📢 Barge; their own
 * message then follows the supervision and switches its mode. The agent is told when MONITOR_NOTICE
 * says so, by a line on their call's status message (telegram/call-status.ts). Decisions are the engine's desk's (engine/supervision-desk.ts); this is the wording.
 */
import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'node-telegram-bot-api/types';
import { filter, takeWhile } from 'rxjs';
import { SupervisorRoster } from '../../agents/supervisor-roster';
import { SUPERVISION_MODES, type SupervisionMode } from '../../call/supervision';
import type { LiveCallRow } from '../../engine/supervision-desk';
import type { SupervisionView } from '../../engine/supervision-runner';
import type { BotDeps, Incoming } from '../handler-context';
import { encodeCallback } from '../menus/callback-data';
import { SUPERVISION, numberRefusalText } from '../texts';
import type { Tap } from '../tap';

const USER_ID = /^[1-9]\d{0,19}$/;
/** How often /live's message is refreshed, and for how long after it was asked for (Telegram allows about one edit a second per chat). */
const LIVE_REFRESH_MS = 10_000;
const LIVE_REFRESH_FOR_MS = 10 * 60_000;

function rosterOf(deps: BotDeps): SupervisorRoster {
  return new SupervisorRoster({ supervisors: deps.stores.supervisors, agents: deps.stores.agents, audit: deps.stores.audit, config: deps.config });
}

/** /supervisors, /supervisors add <id> <phone>, /supervisors remove <id> */
export async function onSupervisors(m: Incoming): Promise<void> {
  const [verb, id, phone, ...rest] = m.args.split(/\s+/).filter((w) => w !== '');
  const roster = rosterOf(m.deps);
  if (verb === undefined) {
    const rows = await roster.list();
    return void (await m.reply(rows.length === 0 ? SUPERVISION.none : SUPERVISION.list(rows)));
  }
  if (verb === 'add' && id && phone && rest.length === 0 && USER_ID.test(id)) {
    const result = await roster.add(m.userId, id, phone);
    return void (await m.reply(result.ok ? SUPERVISION.added(id, result.phone, result.isNew) : numberRefusalText(result.check)));
  }
  if (verb === 'remove' && id && !phone && USER_ID.test(id)) {
    return void (await m.reply((await roster.remove(m.userId, id)) ? SUPERVISION.removed(id) : SUPERVISION.unknown(id)));
  }
  await m.reply(SUPERVISION.usage);
}

/** Per chat, the /live message being refreshed and its timer: a new /live replaces it. */
const refreshing = new Map<number, { messageId: number; timer: NodeJS.Timeout }>();

/** /live: the calls live here, refreshed in place for a while. */
export async function onLive(m: Incoming): Promise<void> {
  const desk = m.deps.supervision;
  if (!desk) return void (await m.reply(SUPERVISION.notSetUp));
  if (!(await rosterOf(m.deps).mayMonitor(m.userId))) return void (await m.reply(SUPERVISION.notSupervisor));
  const now = m.deps.now ?? Date.now;
  const first = liveMessage(desk.liveCalls(), now());
  const messageId = await m.reply(first.text, first.markup);
  if (messageId === undefined) return;
  const previous = refreshing.get(m.chatId);
  if (previous) clearInterval(previous.timer);
  const until = now() + LIVE_REFRESH_FOR_MS;
  let shown = first.text;
  const timer = setInterval(() => {
    if (now() > until) {
      clearInterval(timer);
      refreshing.delete(m.chatId);
      return;
    }
    const next = liveMessage(desk.liveCalls(), now());
    // The outbox paces edits per chat; an unchanged text is not sent at all.
    if (next.text === shown) return;
    shown = next.text;
    void m.deps.out.edit(m.chatId, messageId, next.text, next.markup);
  }, LIVE_REFRESH_MS);
  timer.unref();
  refreshing.set(m.chatId, { messageId, timer });
}

/** Stops refreshing every /live message (the bot stops). */
export function stopLiveRefresh(): void {
  for (const { timer } of refreshing.values()) clearInterval(timer);
  refreshing.clear();
}

function liveMessage(calls: readonly LiveCallRow[], now: number): { text: string; markup: InlineKeyboardMarkup } {
  const at = new Date(now).toISOString().slice(11, 19);
  if (calls.length === 0) return { text: SUPERVISION.noLive(at), markup: { inline_keyboard: [] } };
  const lines = calls.map((c, i) => SUPERVISION.liveLine(i + 1, c.agentLabel, c.route, c.customer, c.stage, talk(c, now), c.monitorable));
  const rows: InlineKeyboardButton[][] = calls.flatMap((c, i) => (c.monitorable
    ? [[
      { text: SUPERVISION.listenButton(i + 1), callback_data: encodeCallback({ kind: 'supervise', callId: c.callId, mode: 'listen' }) },
      { text: SUPERVISION.whisperButton(i + 1), callback_data: encodeCallback({ kind: 'supervise', callId: c.callId, mode: 'whisper' }) },
      { text: SUPERVISION.bargeButton(i + 1), callback_data: encodeCallback({ kind: 'supervise', callId: c.callId, mode: 'barge' }) },
    ]]
    : []));
  return { text: [SUPERVISION.liveTitle(calls.length, at), ...lines].join('\n'), markup: { inline_keyboard: rows } };
}

function talk(call: LiveCallRow, now: number): string | null {
  if (call.connectedAt === undefined) return null;
  const s = Math.max(0, Math.floor((now - call.connectedAt) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** 🎧/🗣/📢 under /live: rings the supervisor's phone; their own message follows the supervision from here. */
export async function onSuperviseTap(m: Tap, callId: string, mode: SupervisionMode): Promise<void> {
  const desk = m.deps.supervision;
  if (!desk) return m.answer(SUPERVISION.notSetUp);
  const roster = rosterOf(m.deps);
  if (!(await roster.mayMonitor(m.userId))) return m.answer(SUPERVISION.notSupervisor);
  const supervisor = await roster.acting(m.userId);
  if (!supervisor) return m.answer(SUPERVISION.noPhone);
  const call = desk.liveCalls().find((c) => c.callId === callId);
  const answer = desk.supervise(callId, supervisor, mode);
  if (!answer.ok || !call) return m.answer(SUPERVISION.refusal[answer.ok ? 'no_such_call' : answer.refusal]);
  // Followed from now: the supervisor may answer before the message below is sent.
  const message = m.deps.out.send(m.chatId, SUPERVISION.ringing(call.agentLabel, call.customer));
  followSupervision(m.deps, answer.supervisionId, m.chatId, message, call);
  await m.answer();
}

/** The supervisor's message follows the supervision until it ends. */
function followSupervision(deps: BotDeps, supervisionId: string, chatId: number, message: Promise<number | undefined>, call: LiveCallRow): void {
  const desk = deps.supervision!;
  desk.updates.pipe(filter((v) => v.supervisionId === supervisionId), takeWhile((v) => v.stage !== 'ended', true)).subscribe((view: SupervisionView) => {
    void message.then((messageId) => show(view, messageId));
  });
  // Edits go out in the order the supervision changed: each waits for the message to exist, then the outbox keeps their order.
  function show(view: SupervisionView, messageId: number | undefined): void {
    if (view.stage === 'ended') {
      const seconds = view.answeredAt !== undefined && view.endedAt !== undefined ? Math.round((view.endedAt - view.answeredAt) / 1000) : null;
      const text = SUPERVISION.ended(call.agentLabel, call.customer, SUPERVISION.endReason[view.end ?? 'failed'] ?? view.end ?? '', seconds);
      if (messageId !== undefined) void deps.out.edit(chatId, messageId, text, { inline_keyboard: [] }, 'final');
      return;
    }
    if (view.stage !== 'active') return;
    if (messageId !== undefined) void deps.out.edit(chatId, messageId, SUPERVISION.active(call.agentLabel, call.customer, view.mode), supervisionKeys(supervisionId, view.mode));
  }
}

function supervisionKeys(supervisionId: string, mode: SupervisionMode): InlineKeyboardMarkup {
  const label: Record<SupervisionMode, string> = { listen: SUPERVISION.listen, whisper: SUPERVISION.whisper, barge: SUPERVISION.barge };
  const switches = SUPERVISION_MODES.filter((other) => other !== mode)
    .map((other) => ({ text: label[other], callback_data: encodeCallback({ kind: 'supervisionMode', supervisionId, mode: other }) }));
  return { inline_keyboard: [[...switches, { text: SUPERVISION.leave, callback_data: encodeCallback({ kind: 'supervisionLeave', supervisionId }) }]] };
}

/** A mode button under the supervisor's message: theirs only, while the supervision is on. */
export async function onSupervisionModeTap(m: Tap, supervisionId: string, mode: SupervisionMode): Promise<void> {
  const desk = m.deps.supervision;
  if (!desk) return m.answer(SUPERVISION.notSetUp);
  const result = desk.switchMode(supervisionId, m.userId, mode);
  await m.answer(result === 'ok' ? undefined : SUPERVISION.refusal[result]);
}

export async function onSupervisionLeaveTap(m: Tap, supervisionId: string): Promise<void> {
  const desk = m.deps.supervision;
  if (!desk) return m.answer(SUPERVISION.notSetUp);
  const result = desk.leave(supervisionId, m.userId);
  await m.answer(result === 'ok' ? undefined : SUPERVISION.refusal[result]);
}
