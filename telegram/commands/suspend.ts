import type { AbuseAlerts, AlertRecord } from '../abuse-alerts';
import type { Incoming } from '../handler-context';
import { ALERT, T } from '../texts';

/**
 * ⛔ Suspend agent under an abuse alert (a super admin, checked before): the agent is stopped at
 * once, their live call ended, and the audit log keeps who did it and which alert led to it.
 */
export async function onSuspend(m: Incoming, alerts: AbuseAlerts, record: AlertRecord): Promise<void> {
  const id = record.alert.agentTelegramId;
  const agent = await m.deps.stores.agents.suspend(id);
  if (!agent) {
    const now = await m.deps.stores.agents.byTelegramId(id);
    return void (await m.reply(ALERT.notActive(id, now?.status ?? 'unknown')));
  }
  // A request still waiting for its turn ends now; one placed just before is live below, and ended.
  await m.deps.desk.stopRequestsOf(id, 'suspended');
  const live = await m.deps.desk.liveCallOfAgent(agent.id);
  const ended = live !== undefined && await m.deps.desk.cancelCallAs(live.context.callId, { agentId: null, isAdmin: true }) === 'cancelled';
  const { kind, count } = record.alert;
  await m.deps.stores.audit.record({
    actor: m.userId, action: 'suspend', subject: id,
    details: `alert ${kind} (count=${count})${ended && live ? `, ended live call ${live.context.callId}` : ''}`,
  });
  alerts.markSuspended(record, m.userId);
  await m.reply(ALERT.suspended(id, ended));
  await m.deps.out.send(id, T.youAreSuspended);
}
