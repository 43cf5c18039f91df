import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Agent, Call, CallLeg } from '../../entities';
import { EXPORT_COLUMNS, exportRow, transfersOf, writeCallsCsv } from '../../reports/call-export';
import { inertCell } from '../../reports/csv-cells';

const t = (s: number) => new Date(Date.UTC(2026, 11, 6, 9, 0, s));

function call(id: string, fields: Partial<Call> = {}): Call {
  return {
    id, agentId: 1, targetInput: '2025550123', target: '+12025550123', route: 'M', stage: 'ended', outcome: 'completed',
    requestedAt: t(0), connectedAt: t(10), endedAt: t(75), disposition: null, note: null, ...fields,
  } as Call;
}

function leg(legId: string, fields: Partial<CallLeg> = {}): CallLeg {
  return { callId: 'c1', legId, role: 'consulted', label: null, agentId: null, number: null, requestedAt: t(0), answeredAt: t(20), endedAt: null, hangupCause: null, ...fields } as CallLeg;
}

const ann = { id: 1, telegramId: '2001', displayName: 'Ann' } as Agent;

describe('the CSV export of calls', () => {
  it('given cells that begin with = + - or @, then each gets a leading apostrophe and other text stays as it is', () => {
    expect(['=1+1', '+12025550123', '-2', '@SUM(A1)', '\t=x', 'plain', '', 'a=b'].map(inertCell))
      .toEqual(["'=1+1", "'+12025550123", "'-2", "'@SUM(A1)", "'\t=x", 'plain', '', 'a=b']);
  });

  it('given a call, then its row holds ISO UTC times, the agent, route, number, outcome, whole seconds of talk, transfers, disposition, note and recording', () => {
    const row = exportRow(call('c1', { disposition: 'interested', note: '=HYPERLINK("http://x")' }), ann, [], true);
    expect(Object.fromEntries(EXPORT_COLUMNS.map((c, i) => [c, row[i]]))).toEqual({
      requested_at: '2026-12-06T09:00:00.000Z', connected_at: '2026-12-06T09:00:10.000Z', ended_at: '2026-12-06T09:01:15.000Z',
      agent_telegram_id: '2001', agent_name: 'Ann', route: 'M', number: "'+12025550123", outcome: 'completed', talk_time_s: '65',
      transfers: '0', disposition: 'interested', note: '\'=HYPERLINK("http://x")', recording: 'yes',
    });
  });

  it('given the legs of a call, then a transfer is an answered party still on when the placer left; consulted, unanswered and conferenced ones are not', () => {
    const legs = [
      leg('agent', { role: 'agent', endedAt: t(50) }), leg('target', { role: 'customer' }),
      leg('p3', { endedAt: t(40) }), leg('p4', { answeredAt: null }), leg('p5', { role: 'conferenced' }), leg('p6', { endedAt: t(70) }), leg('p7'),
    ];
    expect(transfersOf(legs, t(75))).toBe(2);
    expect(transfersOf([], t(75))).toBe(0);
  });

  it('given three pages of calls, when written, then the file parses back (csv-parse) to a header and every row in order, quotes and newlines intact', async () => {
    const pages = [[call('c1', { note: 'said "no", twice\nthen hung up' })], [call('c2'), call('c3', { connectedAt: null, outcome: 'target_busy' })], [call('c4')]];
    const looked: string[][] = [];
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'export-spec-')), 'calls.csv');
    const written = await writeCallsCsv({
      pages: async function* () { yield* pages; },
      agentsByIds: async () => new Map([[1, ann]]),
      legsOf: async (ids) => { looked.push([...ids]); return new Map(); },
      recordingsPresent: async (ids) => new Set(ids.filter((id) => id === 'c2')),
    }, { from: t(0), to: t(100) }, file);

    expect(written).toBe(4);
    expect(looked).toEqual([['c1'], ['c2', 'c3'], ['c4']]);
    const rows = parse(fs.readFileSync(file), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => [r.note, r.talk_time_s, r.recording, r.outcome])).toEqual([
      ['said "no", twice\nthen hung up', '65', 'no', 'completed'], ['', '65', 'yes', 'completed'], ['', '0', 'no', 'target_busy'], ['', '65', 'no', 'completed'],
    ]);
    expect(Object.keys(rows[0]!)).toEqual([...EXPORT_COLUMNS]);
  });
});
