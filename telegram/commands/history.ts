import { formatForDisplay } from '../../phone/number-policy';
import type { Incoming } from '../handler-context';
import { activeAgent } from '../roles';
import { formatDuration, outcomeName, routeTag, T } from '../texts';

/** /history: the agent's last 10 calls. */
export async function onHistory(m: Incoming): Promise<void> {
  const agent = activeAgent(m.role);
  if (!agent) return void (await m.reply(T.notAllowed));
  const calls = await m.deps.stores.calls.recentCallsOfAgent(agent.id, 10);
  if (calls.length === 0) return void (await m.reply(T.historyEmpty));
  const lines = calls.map((c) => {
    const when = c.requestedAt.toISOString().slice(0, 16).replace('T', ' ');
    const target = c.target ? formatForDisplay(c.target) : c.targetInput;
    const outcome = c.outcome ? outcomeName(c.outcome) : T.callInProgress;
    const talk = c.connectedAt && c.endedAt ? ` · ${formatDuration((c.endedAt.getTime() - c.connectedAt.getTime()) / 1000)}` : '';
    return `${when} UTC · ${target} ${routeTag(c.route)} · ${outcome}${talk}`;
  });
  await m.reply(`${T.historyTitle}\n${lines.join('\n')}`);
}
