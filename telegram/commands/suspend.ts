import type { AbuseAlerts, AlertRecord } from '../abuse-alerts';
import type { Incoming } from '../handler-context';
import { ALERT, T } from '../texts';

/**
 * ⛔ Suspend agent under an abuse alert (a super admin, checked before): the agent is stopped at
 * once, their live call ended, and the audit log keeps who did it and which alert led to it.
 */
export async function onSuspend(m: Incoming, alerts: AbuseAlerts, record: AlertRecord): Promise<void> {
  const id = record.alert.agentTelegramId;
  const { kind, count } = record.alert;
  const suspended = await m.deps.accounts.suspend(m.userId, id, ALERT.auditReason(kind, count));
  if (!suspended) {
    const now = await m.deps.stores.agents.byTelegramId(id);
    return void (await m.reply(ALERT.notActive(id, now?.status ?? 'unknown')));
  }
  alerts.markSuspended(record, m.userId);
  await m.reply(ALERT.suspended(id, suspended.endedCallId !== undefined));
  await m.deps.out.send(id, T.youAreSuspended);
}
