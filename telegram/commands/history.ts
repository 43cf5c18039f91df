import { formatForDisplay } from '../../phone/number-policy';
import type { Call, CallLeg } from '../../entities';
import type { Incoming } from '../handler-context';
import { activeAgent } from '../roles';
import { AFTER_CALL, formatDuration, outcomeName, routeTag, T } from '../texts';

/** /history: the agent's last 10 calls, and for a call of more than two parties who else was on it and for how long. */
export async function onHistory(m: Incoming): Promise<void> {
  const agent = activeAgent(m.role);
  if (!agent) return void (await m.reply(T.notAllowed));
  const calls = await m.deps.stores.calls.recentCallsOfAgent(agent.id, 10);
  if (calls.length === 0) return void (await m.reply(T.historyEmpty));
  const legs = await m.deps.stores.legs.legsOf(calls.map((c) => c.id));
  const codes = m.deps.config.afterCall.dispositions;
  const labelOf = (code: string) => codes.find((c) => c.code === code)?.label ?? code;
  await m.reply(`${T.historyTitle}\n${historyLines(calls, legs, labelOf).join('\n')}`);
}

/** How much of a note a /history line shows: the list is a reminder, the note itself is in the export. */
const NOTE_SHOWN = 40;

/**
 * One line per call, with its disposition and the start of its note, each followed by a line per
 * party beyond its first two (a two-party call reads as it always has).
 */
export function historyLines(
  calls: readonly Call[], legsByCall: ReadonlyMap<string, readonly CallLeg[]>, dispositionLabel: (code: string) => string = (code) => code,
): string[] {
  return calls.flatMap((c) => {
    const when = c.requestedAt.toISOString().slice(0, 16).replace('T', ' ');
    const target = c.target ? formatForDisplay(c.target) : c.targetInput;
    const outcome = c.outcome ? outcomeName(c.outcome) : T.callInProgress;
    const talk = c.connectedAt && c.endedAt ? ` · ${formatDuration((c.endedAt.getTime() - c.connectedAt.getTime()) / 1000)}` : '';
    const disposition = c.disposition ? ` · ${AFTER_CALL.historyDisposition(dispositionLabel(c.disposition))}` : '';
    const note = c.note ? ` · ${AFTER_CALL.historyNote(briefly(c.note))}` : '';
    return [`${when} UTC · ${target} ${routeTag(c.route)} · ${outcome}${talk}${disposition}${note}`, ...partyLines(legsByCall.get(c.id) ?? [], c.endedAt).map((line) => `   ${line}`)];
  });
}

/** A note on one line, cut at a character (never inside a surrogate pair) with … when longer. */
function briefly(note: string): string {
  const chars = [...note.replace(/\s+/g, ' ').trim()];
  return chars.length > NOTE_SHOWN ? `${chars.slice(0, NOTE_SHOWN - 1).join('')}…` : chars.join('');
}

/**
 * Who joined a call besides its first two legs, in words. A party who was still on when the agent
 * who placed the call left has taken it over (a transfer); one brought in as conferenced is a
 * conference; any other answered party was consulted while the customer waited. A leg whose end
 * was never written (the service stopped) ended with its call.
 */
function partyLines(legs: readonly CallLeg[], callEndedAt: Date | null): string[] {
  const endOf = (leg: CallLeg | undefined) => leg?.endedAt ?? callEndedAt;
  const placerLeft = endOf(legs.find((l) => l.legId === 'agent'));
  return legs.filter((l) => l.legId !== 'agent' && l.legId !== 'target').map((leg) => {
    const label = leg.label ?? (leg.number ? formatForDisplay(leg.number) : leg.legId);
    if (!leg.answeredAt) return T.historyParty.unanswered(label);
    const ended = endOf(leg);
    const talk = ended ? formatDuration((ended.getTime() - leg.answeredAt.getTime()) / 1000) : undefined;
    if (leg.role === 'conferenced') return T.historyParty.conference(label, talk);
    const stayedAfterPlacer = placerLeft !== null && (ended === null || ended.getTime() > placerLeft.getTime());
    return stayedAfterPlacer ? T.historyParty.transferred(label, talk) : T.historyParty.consulted(label, talk);
  });
}
