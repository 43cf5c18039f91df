import * as admin from './commands/admin';
import { placeCall } from './commands/call';
import { callbackRefusal, onCallbackCall, onCallbackCancel, onCallbackPick } from './commands/callbacks';
import { markRefusal, onMarkDoNotCall } from './commands/dnc';
import { onDispositionTap } from './commands/after-call';
import { onHistory } from './commands/history';
import * as numbers from './commands/numbers';
import { onCancelRoute, onConfirmRoute, onPickRoute, onRouteThenCall, onSelectRoute, onSettings } from './commands/route';
import { onSuspend } from './commands/suspend';
import { onSuperviseTap, onSupervisionLeaveTap, onSupervisionModeTap } from './commands/supervision';
import { onCancelInput, onConsultEnd, onPickAgent, onPickParty, onTransferMenu, onTypeNumber, partyButtonRefusal } from './commands/parties';
import type { CommandAudience } from './command-table';
import type { CallbackAction } from './menus/callback-data';
import { activeAgent, mayUse } from './roles';
import { ownerOf } from './party-status';
import { onIntegrationAuto, onIntegrationCall, onIntegrationNotNow, onLinkCancel } from './commands/integration';
import { ALERT, RECORDING, T } from './texts';
import type { Tap } from './tap';

export type { Tap } from './tap';

type ActionOf<K extends CallbackAction['kind']> = Extract<CallbackAction, { kind: K }>;

export interface CallbackEntry<K extends CallbackAction['kind']> {
  /** Who may tap it: anyone (the handler or `refuse` decides), active agents, or super admins. */
  who: CommandAudience;
  /** Why this person may not use this button now (a stale one), as the alert they see; checked before `run`. */
  refuse?: (m: Tap, action: ActionOf<K>) => Promise<string | undefined>;
  /**
   * The handler answers the tap itself, with what came of it (a hang-up refused by the engine);
   * otherwise the tap is answered before the handler runs.
   */
  answersItself?: boolean;
  run: (m: Tap, action: ActionOf<K>) => Promise<void>;
}

export type CallbackTable = { [K in CallbackAction['kind']]: CallbackEntry<K> };

/** Every button, once: who may use it and what it does. */
export const CALLBACKS: CallbackTable = {
  menu: {
    who: 'agent',
    run: (m, a) => (a.menu === 'settings' ? onSettings(m) : a.menu === 'history' ? onHistory(m) : onSelectRoute(m)),
  },
  pickRoute: { who: 'agent', run: (m, a) => onPickRoute(m, a.route) },
  confirmRoute: { who: 'agent', run: (m, a) => onConfirmRoute(m, a.route) },
  cancelRoute: { who: 'agent', run: (m) => onCancelRoute(m) },
  routeThenCall: { who: 'agent', run: (m, a) => onRouteThenCall(m, a.route, a.number) },
  call: { who: 'agent', run: async (m, a) => void (await placeCall(m, a.number)) },
  // The engine decides who may end a call (its agent, or an admin), and ends it when they may.
  hangup: { who: 'anyone', answersItself: true, run: onHangupTap },
  dncMark: { who: 'anyone', refuse: (m, a) => markRefusal(m, a.callId, activeAgent(m.role)?.id ?? null), run: (m, a) => onMarkDoNotCall(m, a.callId) },
  // Who may choose (the call's agent, once it ended) is decided with the write: the handler answers a refusal itself.
  dispose: { who: 'anyone', answersItself: true, run: (m, a) => onDispositionTap(m, a.callId, a.code) },
  approve: { who: 'admin', run: (m, a) => admin.onApprove(m, a.telegramId) },
  deny: { who: 'admin', run: (m, a) => admin.onDeny(m, a.telegramId) },
  verifyNumber: { who: 'admin', run: (m, a) => numbers.verifyNumber(m, a.number, a.route) },
  callNumberAgain: { who: 'admin', run: (m, a) => numbers.callNumberAgain(m, a.number, a.route) },
  suspend: {
    who: 'admin',
    refuse: async (m, a) => (m.alerts.record(a.alertId) ? undefined : ALERT.staleAlert),
    run: async (m, a) => {
      // Gone only if another admin's tap suspended the agent since the check.
      const record = m.alerts.record(a.alertId);
      await (record ? onSuspend(m, m.alerts, record) : m.reply(ALERT.staleAlert));
    },
  },
  // A call's party buttons: its owner's or a super admin's (partyButtonRefusal), while it is connected; the engine checks the request again.
  transferMenu: { who: 'anyone', refuse: (m, a) => partyButtonRefusal(m, a.callId), run: (m, a) => onTransferMenu(m, a.callId) },
  transferMode: { who: 'anyone', refuse: (m, a) => partyButtonRefusal(m, a.callId), run: (m, a) => onPickParty(m, a.callId, a.mode) },
  addMenu: { who: 'anyone', refuse: (m, a) => partyButtonRefusal(m, a.callId), run: (m, a) => onPickParty(m, a.callId, 'add') },
  pickAgent: { who: 'anyone', refuse: (m, a) => partyButtonRefusal(m, a.callId), answersItself: true, run: (m, a) => onPickAgent(m, a.callId, a.purpose, a.agentId) },
  typeNumber: { who: 'anyone', refuse: (m, a) => partyButtonRefusal(m, a.callId), run: (m, a) => onTypeNumber(m, a.callId, a.purpose) },
  consultEnd: { who: 'anyone', refuse: (m, a) => partyButtonRefusal(m, a.callId), answersItself: true, run: (m, a) => onConsultEnd(m, a.callId, a.how) },
  cancelInput: { who: 'anyone', answersItself: true, run: (m) => onCancelInput(m) },
  // Scheduled callbacks: the agent's own; an admin may cancel anyone's (callbackRefusal).
  callbackPick: { who: 'agent', run: (m, a) => onCallbackPick(m, a.callId, a.pick) },
  callbackCall: { who: 'agent', refuse: (m, a) => callbackRefusal(m, a.callbackId, 'call'), run: (m, a) => onCallbackCall(m, a.callbackId) },
  callbackCancel: { who: 'anyone', refuse: (m, a) => callbackRefusal(m, a.callbackId, 'cancel'), answersItself: true, run: (m, a) => onCallbackCancel(m, a.callbackId) },
  // ⏸/▶️ under a recorded call: its agent's (the call's owner now); the engine checks the recording allows it.
  recording: { who: 'agent', refuse: (m, a) => recordingButtonRefusal(m, a.callId), answersItself: true, run: onRecordingTap },
  // Supervisors need not be agents: the handlers check the roster, and the desk who started a supervision.
  supervise: { who: 'anyone', answersItself: true, run: (m, a) => onSuperviseTap(m, a.callId, a.mode) },
  supervisionMode: { who: 'anyone', answersItself: true, run: (m, a) => onSupervisionModeTap(m, a.supervisionId, a.mode) },
  supervisionLeave: { who: 'anyone', answersItself: true, run: (m, a) => onSupervisionLeaveTap(m, a.supervisionId) },
  // A CRM's call request (HTTP API): its own agent's, claimed once while fresh; then placed as /call.
  integrationCall: { who: 'agent', answersItself: true, run: (m, a) => onIntegrationCall(m, a.requestId) },
  integrationNotNow: { who: 'agent', answersItself: true, run: (m, a) => onIntegrationNotNow(m, a.requestId) },
  integrationAuto: { who: 'agent', run: (m, a) => onIntegrationAuto(m, a.on) },
  linkCancel: { who: 'anyone', answersItself: true, run: (m) => onLinkCancel(m) },
};

/** Runs a decoded tap through its entry: who may, whether it is stale, then its handler; the tap is always answered. */
export async function runCallback<K extends CallbackAction['kind']>(m: Tap, action: ActionOf<K>, table: CallbackTable = CALLBACKS): Promise<void> {
  const entry: CallbackEntry<K> = table[action.kind as K];
  try {
    if (!mayUse(m.role, entry.who)) return await m.answer(T.notAllowed);
    const refusal = await entry.refuse?.(m, action);
    if (refusal) return await m.answer(refusal);
    if (!entry.answersItself) await m.answer();
    await entry.run(m, action);
  } finally {
    await m.answer();
  }
}

async function onHangupTap(m: Tap, action: ActionOf<'hangup'>): Promise<void> {
  const answer = await m.deps.desk.cancelCallAs(action.callId, { agentId: activeAgent(m.role)?.id ?? null, isAdmin: m.role.kind === 'admin' });
  await m.answer(answer === 'cancelled' ? undefined : answer === 'not_yours' ? T.notYourCall : T.staleButton);
}

/** The recording's button is the call's agent's own: the one who has the call now, per the status this process shows. */
async function recordingButtonRefusal(m: Tap, callId: string): Promise<string | undefined> {
  const view = m.deps.views.of(callId);
  if (!view) return T.staleButton;
  return activeAgent(m.role)?.id === ownerOf(view) ? undefined : RECORDING.notOwner;
}

/** Pauses or resumes the recording; done, it is audited (who, which call) and the status message says it. */
async function onRecordingTap(m: Tap, action: ActionOf<'recording'>): Promise<void> {
  const done = await m.deps.desk.toggleRecording(action.callId, action.pause, m.userId);
  if (!done) return m.answer(RECORDING.notNow);
  await m.deps.stores.audit.record({ actor: m.userId, action: action.pause ? 'recording_paused' : 'recording_resumed', subject: action.callId });
  await m.answer();
}
