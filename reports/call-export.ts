import fs from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Agent, Call, CallLeg } from '../entities';
import type { CallRange } from '../store/report-store';
import { talkSecondsOf } from './call-stats';
import { inertCell } from './csv-cells';

/** Which of these calls have a recording kept (the recording capability answers; none until it is wired). */
export type RecordingsPresent = (callIds: string[]) => Promise<Set<string>>;

export const noRecordings: RecordingsPresent = async () => new Set();

export const EXPORT_COLUMNS = [
  'requested_at', 'connected_at', 'ended_at', 'agent_telegram_id', 'agent_name', 'route', 'number',
  'outcome', 'talk_time_s', 'transfers', 'disposition', 'note', 'recording',
] as const;

/** Where an export reads from: the calls a page at a time, and what each page needs besides. */
export interface ExportSources {
  pages(range: CallRange): AsyncIterable<Call[]>;
  agentsByIds(ids: readonly number[]): Promise<Map<number, Agent>>;
  legsOf(callIds: readonly string[]): Promise<Map<string, CallLeg[]>>;
  recordingsPresent: RecordingsPresent;
}

/**
 * How many times a call was handed on: parties (other than the first two legs and conferenced
 * ones) who answered and were still on when the agent who placed it left, as /history tells a
 * transfer. A leg whose end was never written ended with its call.
 */
export function transfersOf(legs: readonly CallLeg[], callEndedAt: Date | null): number {
  const endOf = (leg: CallLeg | undefined) => leg?.endedAt ?? callEndedAt;
  const placerLeft = endOf(legs.find((l) => l.legId === 'agent'));
  if (placerLeft === null) return 0;
  return legs.filter((leg) => {
    if (leg.legId === 'agent' || leg.legId === 'target' || !leg.answeredAt || leg.role === 'conferenced') return false;
    const ended = endOf(leg);
    return ended === null || ended.getTime() > placerLeft.getTime();
  }).length;
}

/** One call as a CSV row: times in ISO 8601 UTC, talk time in whole seconds, free text made inert. */
export function exportRow(call: Call, agent: Agent | undefined, legs: readonly CallLeg[], recorded: boolean): string[] {
  const iso = (d: Date | null) => (d ? d.toISOString() : '');
  return [
    iso(call.requestedAt), iso(call.connectedAt), iso(call.endedAt),
    agent?.telegramId ?? '', inertCell(agent?.displayName ?? ''), call.route ?? '',
    inertCell(call.target ?? call.targetInput), call.outcome ?? 'in_progress', String(talkSecondsOf(call)),
    String(transfersOf(legs, call.endedAt)), inertCell(call.disposition ?? ''), inertCell(call.note ?? ''), recorded ? 'yes' : 'no',
  ];
}

/**
 * Writes the calls of a range to a CSV file, a page at a time: each page's agents, legs and
 * recordings are looked up in one go, and the file stream's back-pressure paces the reading, so
 * memory holds a page whatever the range. Resolves to the number of calls written.
 */
export async function writeCallsCsv(sources: ExportSources, range: CallRange, file: string): Promise<number> {
  let written = 0;
  async function* rows(): AsyncGenerator<string[]> {
    for await (const page of sources.pages(range)) {
      const ids = page.map((c) => c.id);
      const [agents, legs, recorded] = await Promise.all([
        sources.agentsByIds(page.map((c) => c.agentId)), sources.legsOf(ids), sources.recordingsPresent(ids),
      ]);
      for (const call of page) yield exportRow(call, agents.get(call.agentId), legs.get(call.id) ?? [], recorded.has(call.id));
      written += page.length;
    }
  }
  await pipeline(rows(), stringify({ header: true, columns: [...EXPORT_COLUMNS] }), fs.createWriteStream(file));
  return written;
}
