/**
 * Supervisors in Telegram: super admins manage them (`/supervisors`), supervisors list live calls
 * (`/live`, one message refreshed in place) and tap 🎧 Listen, 🗣 Whisper or 📢 Barge; their own
 * message then follows the supervision and switches its mode. The agent is told when MONITOR_NOTICE
 * says so, by a line on their call's status message (telegram/call-status.ts). Decisions are the engine's desk's (engine/supervision-desk.ts); this is the wording.
 * In cluster mode the taps are recorded for the owner of the call's server (clusterSupervision), which sends and edits the supervisor's message (supervisorMessages).
 */
import type { InlineKeyboardButton, InlineKeyboardMarkup } from 'node-telegram-bot-api/types';
import { filter, takeWhile } from 'rxjs';
import { SupervisorRoster } from '../../agents/supervisor-roster';
import { SUPERVISION_MODES, type SupervisionMode } from '../../call/supervision';
import type { LiveCallRow, RequestedSupervisions, Supervisor } from '../../engine/supervision-desk';
import type { SupervisionView } from '../../engine/supervision-runner';
import type { BotDeps, Incoming } from '../handler-context';
import { encodeCallback } from '../menus/callback-data';
import { CLUSTER_SUPERVISION, SUPERVISION, numberRefusalText } from '../texts';
import type { TelegramOut } from '../telegram-out';
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

/** The live calls /live lists: this process's (single instance), or the whole cluster's from the database. */
function liveCallsOf(deps: BotDeps): (() => Promise<LiveCallRow[]>) | undefined {
  const remote = deps.clusterSupervision;
  if (remote) return () => remote.liveCalls();
  const desk = deps.supervision;
  return desk ? () => Promise.resolve(desk.liveCalls()) : undefined;
}

/** /live: the live calls, refreshed in place for a while. */
export async function onLive(m: Incoming): Promise<void> {
  const liveCalls = liveCallsOf(m.deps);
  if (!liveCalls) return void (await m.reply(SUPERVISION.notSetUp));
  if (!(await rosterOf(m.deps).mayMonitor(m.userId))) return void (await m.reply(SUPERVISION.notSupervisor));
  const now = m.deps.now ?? Date.now;
  const first = liveMessage(await liveCalls(), now());
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
    void liveCalls().then((calls) => {
      const next = liveMessage(calls, now());
      // The outbox paces edits per chat; an unchanged text is not sent at all.
      if (next.text === shown) return;
      shown = next.text;
      void m.deps.out.edit(m.chatId, messageId, next.text, next.markup);
    }).catch((err: unknown) => m.deps.logger.warn('refreshing /live failed; the next refresh tries again', { err }));
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
  const remote = m.deps.clusterSupervision;
  if (!desk && !remote) return m.answer(SUPERVISION.notSetUp);
  const roster = rosterOf(m.deps);
  if (!(await roster.mayMonitor(m.userId))) return m.answer(SUPERVISION.notSupervisor);
  const supervisor = await roster.acting(m.userId);
  if (!supervisor) return m.answer(SUPERVISION.noPhone);
  if (remote) return superviseInCluster(m, remote, callId, supervisor, mode);
  if (!desk) return m.answer(SUPERVISION.notSetUp);
  const call = desk.liveCalls().find((c) => c.callId === callId);
  const answer = desk.supervise(callId, supervisor, mode);
  if (!answer.ok || !call) return m.answer(SUPERVISION.refusal[answer.ok ? 'no_such_call' : answer.refusal]);
  // Followed from now: the supervisor may answer before the message below is sent.
  const message = m.deps.out.send(m.chatId, SUPERVISION.ringing(call.agentLabel, call.customer));
  followSupervision(m.deps, answer.supervisionId, m.chatId, message, call);
  await m.answer();
}

/** Cluster mode: recorded for the owner of the call's server, which rings the supervisor there and sends their message. */
async function superviseInCluster(m: Tap, remote: RequestedSupervisions, callId: string, supervisor: Supervisor, mode: SupervisionMode): Promise<void> {
  const answer = await remote.supervise(callId, supervisor, mode, String(m.chatId));
  await m.answer(answer.ok ? undefined : SUPERVISION.refusal[answer.refusal]);
}

/** The supervisor's message follows the supervision until it ends. */
function followSupervision(deps: BotDeps, supervisionId: string, chatId: number, message: Promise<number | undefined>, call: LiveCallRow): void {
  const desk = deps.supervision!;
  desk.updates.pipe(filter((v) => v.supervisionId === supervisionId), takeWhile((v) => v.stage !== 'ended', true)).subscribe((view: SupervisionView) => {
    void message.then((messageId) => show(view, messageId));
  });
  // Edits go out in the order the supervision changed: each waits for the message to exist, then the outbox keeps their order.
  function show(view: SupervisionView, messageId: number | undefined): void {
    if (messageId !== undefined) showSupervision(deps.out, chatId, messageId, supervisionId, call, view);
  }
}

/** A supervision as its supervisor's message shows it; in cluster mode `end` may also be `restart` or a refusal at ringing time. */
export type ShownSupervision = Omit<SupervisionView, 'end'> & { end?: string };

/** Edits the supervisor's message to the supervision's stage: its mode and switches while on, why and how long once ended. */
export function showSupervision(
  out: Pick<TelegramOut, 'edit'>, chatId: number | string, messageId: number, supervisionId: string, call: { agentLabel: string; customer: string }, view: ShownSupervision,
): void {
  if (view.stage === 'ended') {
    const seconds = view.answeredAt !== undefined && view.endedAt !== undefined ? Math.round((view.endedAt - view.answeredAt) / 1000) : null;
    const end = view.end ?? 'failed';
    const why = SUPERVISION.endReason[end] ?? CLUSTER_SUPERVISION.endReason[end] ?? SUPERVISION.refusal[end] ?? end;
    void out.edit(chatId, messageId, SUPERVISION.ended(call.agentLabel, call.customer, why, seconds), { inline_keyboard: [] }, 'final');
    return;
  }
  if (view.stage !== 'active') return;
  void out.edit(chatId, messageId, SUPERVISION.active(call.agentLabel, call.customer, view.mode), supervisionKeys(supervisionId, view.mode));
}

/**
 * The supervisor's messages as the owner of the call's server keeps them in cluster mode
 * (cluster/server-supervisions.ts): the ringing message, its edits, and why one was not rung.
 */
export function supervisorMessages(out: Pick<TelegramOut, 'send' | 'edit'>): {
  ringing(chatId: string, call: { agentLabel: string; customer: string }): Promise<number | undefined>;
  changed(chatId: string, messageId: number, supervisionId: string, call: { agentLabel: string; customer: string }, view: ShownSupervision): void;
  notRun(chatId: string, why: string): void;
} {
  return {
    ringing: (chatId, call) => out.send(chatId, SUPERVISION.ringing(call.agentLabel, call.customer)),
    changed: (chatId, messageId, supervisionId, call, view) => showSupervision(out, chatId, messageId, supervisionId, call, view),
    notRun: (chatId, why) => {
      const text = why === 'stale' ? CLUSTER_SUPERVISION.stale
        : why === 'not_supervisor' ? SUPERVISION.notSupervisor : why === 'no_phone' ? SUPERVISION.noPhone : SUPERVISION.refusal[why] ?? why;
      void out.send(chatId, text);
    },
  };
}

function supervisionKeys(supervisionId: string, mode: SupervisionMode): InlineKeyboardMarkup {
  const label: Record<SupervisionMode, string> = { listen: SUPERVISION.listen, whisper: SUPERVISION.whisper, barge: SUPERVISION.barge };
  const switches = SUPERVISION_MODES.filter((other) => other !== mode)
    .map((other) => ({ text: label[other], callback_data: encodeCallback({ kind: 'supervisionMode', supervisionId, mode: other }) }));
  return { inline_keyboard: [[...switches, { text: SUPERVISION.leave, callback_data: encodeCallback({ kind: 'supervisionLeave', supervisionId }) }]] };
}

/** A mode button under the supervisor's message: theirs only, while the supervision is on. */
export async function onSupervisionModeTap(m: Tap, supervisionId: string, mode: SupervisionMode): Promise<void> {
  const remote = m.deps.clusterSupervision;
  if (remote) {
    const asked = await remote.switchMode(supervisionId, m.userId, mode);
    return m.answer(asked === 'ok' ? undefined : SUPERVISION.refusal[asked]);
  }
  const desk = m.deps.supervision;
  if (!desk) return m.answer(SUPERVISION.notSetUp);
  const result = desk.switchMode(supervisionId, m.userId, mode);
  await m.answer(result === 'ok' ? undefined : SUPERVISION.refusal[result]);
}

export async function onSupervisionLeaveTap(m: Tap, supervisionId: string): Promise<void> {
  const remote = m.deps.clusterSupervision;
  if (remote) {
    const asked = await remote.leave(supervisionId, m.userId);
    return m.answer(asked === 'ok' ? undefined : SUPERVISION.refusal[asked]);
  }
  const desk = m.deps.supervision;
  if (!desk) return m.answer(SUPERVISION.notSetUp);
  const result = desk.leave(supervisionId, m.userId);
  await m.answer(result === 'ok' ? undefined : SUPERVISION.refusal[result]);
}
