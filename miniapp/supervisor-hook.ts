/**
 * The wallboard's 🎧/🗣/📢 on the supervisors' desk: the same roster and the same checks as /live's
 * buttons, so a supervisor gets in the Mini App exactly what they get in the chat.
 */
import type { SupervisorRoster } from '../agents/supervisor-roster';
import type { SupervisionDesk } from '../engine/supervision-desk';
import { SUPERVISION } from '../telegram/texts';
import type { SupervisorHook } from './viewers';

export function supervisorHook(desk: SupervisionDesk, roster: SupervisorRoster): SupervisorHook {
  return {
    actions: ['listen', 'whisper', 'barge'],
    isSupervisor: (telegramId) => roster.mayMonitor(telegramId),
    async act(callId, action, by) {
      if (!(await roster.mayMonitor(by.telegramId))) return { ok: false, message: SUPERVISION.notSupervisor };
      const supervisor = await roster.acting(by.telegramId);
      if (!supervisor) return { ok: false, message: SUPERVISION.noPhone };
      const answer = desk.supervise(callId, supervisor, action);
      return answer.ok ? { ok: true } : { ok: false, message: SUPERVISION.refusal[answer.refusal] ?? answer.refusal };
    },
  };
}
