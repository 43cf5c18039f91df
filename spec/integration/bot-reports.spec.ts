import { parse } from 'csv-parse/sync';
import { PNG } from 'pngjs';
import { ADMIN_ID, BotHarness, type TestUser } from '../support/bot-harness';
import { endedCall } from '../support/report-calls';
import { waitFor } from '../support/wait-for';

/**
 * Reports through the local Bot API server: /export as a CSV document parsed back, /stats as a PNG
 * decoded, bulk onboarding from a document with its one summary and the documents it refuses, and
 * the daily report sent once across a restart with an injected clock.
 */
describe('bot: reports', () => {
  const NOW = Date.UTC(2026, 11, 6, 12, 0);
  const at = (h: number, m = 0) => new Date(Date.UTC(2026, 11, 6, h, m));
  let h: BotHarness;
  let admin: TestUser;
  let ann: TestUser;
  let annId: number;
  let bobId: number;
  /** The calls the recording capability says it keeps a recording of. */
  const recorded = new Set<string>();

  async function start(env: Record<string, string> = {}, now: () => number = () => NOW): Promise<void> {
    h = await BotHarness.start({ env, now, recordingsPresent: async (ids) => new Set(ids.filter((id) => recorded.has(id))) });
    admin = h.user(ADMIN_ID, 'Ada', 'ada_admin');
    await h.verifiedCallerIds(['+15551234567']);
    for (const [id, phone, name] of [['2001', '+15551230001', 'Ann'], ['2002', '+15551230002', 'Bob']] as const) {
      await h.stores.agents.authorize({ telegramId: id, phone, callerId: '+15551234567', by: String(ADMIN_ID), displayName: name });
    }
    annId = (await h.stores.agents.byTelegramId('2001'))!.id;
    bobId = (await h.stores.agents.byTelegramId('2002'))!.id;
    ann = h.user(2001, 'Ann', 'ann');
  }

  afterEach(() => h?.stop());

  async function answer(user: TestUser, text: string): Promise<string> {
    const before = user.messages().length;
    await user.send(text);
    return (await user.waitForNew(before)).text;
  }

  async function csvTo(chatId: number, count: number): Promise<{ caption: string; fileName: string; rows: Record<string, string>[] }> {
    const docs = await waitFor(() => (h.documentsTo(chatId).length >= count ? h.documentsTo(chatId) : undefined), { what: 'the export document' });
    const doc = docs[count - 1]!;
    return { caption: doc.caption, fileName: doc.fileName, rows: parse(doc.content, { columns: true }) as Record<string, string>[] };
  }

  describe('/export', () => {
    beforeEach(() => start());

    it('given calls of two agents, when the admin exports a day, then the CSV parses back to every call of it with its columns, formula cells made inert', async () => {
      const first = await endedCall(h.stores, annId, at(9), { talkS: 65, disposition: 'interested', note: '=HYPERLINK("http://evil")' });
      await h.stores.legs.recordLeg(first.id, 'agent', { role: 'agent', answeredAt: at(9), endedAt: at(9, 1) });
      await h.stores.legs.recordLeg(first.id, 'p3', { role: 'consulted', label: 'Bob', answeredAt: at(9, 0) });
      await endedCall(h.stores, bobId, at(10));
      recorded.add(first.id);
      await endedCall(h.stores, annId, new Date(Date.UTC(2026, 11, 5, 23, 59)));

      await admin.send('/export 2026-12-06 2026-12-06');
      const { caption, fileName, rows } = await csvTo(ADMIN_ID, 1);

      expect(fileName).toBe('calls-2026-12-06-to-2026-12-06.csv');
      expect(caption).toBe('Calls from 2026-12-06 to 2026-12-06 (UTC): 2.');
      expect(rows).toEqual([
        {
          requested_at: '2026-12-06T09:00:00.000Z', connected_at: '2026-12-06T09:00:05.000Z', ended_at: '2026-12-06T09:01:10.000Z',
          agent_telegram_id: '2001', agent_name: 'Ann', route: 'M', number: "'+12025550123", outcome: 'completed', talk_time_s: '65',
          transfers: '1', disposition: 'interested', note: '\'=HYPERLINK("http://evil")', recording: 'yes',
        },
        expect.objectContaining({ agent_telegram_id: '2002', outcome: 'target_no_answer', talk_time_s: '0', transfers: '0', recording: 'no' }),
      ]);
      const audited = await waitFor(async () => (await h.stores.audit.latest(5)).find((e) => e.action === 'calls_export'), { what: 'the export audited' });
      expect(audited).toMatchObject({ actor: String(ADMIN_ID), subject: '2', details: '2026-12-06T00:00:00.000Z to 2026-12-07T00:00:00.000Z, all agents' });

      await admin.send('/export 2026-12-01 2002');
      const bobs = await csvTo(ADMIN_ID, 2);
      expect(bobs.fileName).toBe('calls-2026-12-01-to-2026-12-06-agent-2002.csv');
      expect(bobs.rows.map((r) => r.agent_telegram_id)).toEqual(['2002']);
    });

    it('given an agent, then /export gives only their own calls, and naming another agent is refused', async () => {
      await endedCall(h.stores, annId, at(9), { talkS: 10 });
      await endedCall(h.stores, bobId, at(9, 30), { talkS: 10 });

      await ann.send('/export');
      const { rows } = await csvTo(2001, 1);
      expect(rows.map((r) => r.agent_telegram_id)).toEqual(['2001']);
      expect(await answer(ann, '/export 2026-12-06 2002')).toBe('Agents export their own calls only: leave out the agent, or give your own Telegram user id.');
      expect(h.documentsTo(2001)).toHaveLength(1);
    });

    it('given bad dates, an unknown agent or no calls, then each gets a clear reply and no document', async () => {
      for (const [command, reply] of [
        ['/export 2026-13-45', '❌ "2026-13-45" is not a date. Write dates as YYYY-MM-DD, e.g. 2026-12-01.'],
        ['/export yesterday', '❌ "yesterday" is not a date. Write dates as YYYY-MM-DD, e.g. 2026-12-01.'],
        ['/export 2026-02-30', '❌ "2026-02-30" is not a date. Write dates as YYYY-MM-DD, e.g. 2026-12-01.'],
        ['/export 2026-12-07 2026-12-01', '❌ The first date (2026-12-07) is after the second (2026-12-01). Write the earlier date first.'],
        ['/export 2026-12-01 2026-12-02 2026-12-03', expect.stringMatching(/^Usage: \/export/)],
        ['/export 2026-12-01 9999', '❌ No agent has the Telegram user id 9999. /agents lists them.'],
        ['/export 2026-11-01 2026-11-30', 'No calls from 2026-11-01 to 2026-11-30 (UTC).'],
      ] as const) {
        expect(await answer(admin, command)).toEqual(reply);
      }
      expect(h.documentsTo(ADMIN_ID)).toEqual([]);
    });
  });

  describe('/stats', () => {
    beforeEach(() => start());

    it('given calls today, when the admin asks, then a PNG chart of the expected size with more than one colour comes, and the figures as text', async () => {
      await endedCall(h.stores, annId, at(9), { talkS: 120 });
      await endedCall(h.stores, annId, at(9, 20));
      await endedCall(h.stores, bobId, at(11), { talkS: 60 });
      await endedCall(h.stores, bobId, at(11, 5), { outcome: 'refused', endedAt: at(11, 5), connectedAt: null });

      await admin.send('/stats');
      const figures = await admin.waitFor(/^📊 Calls today/, 20_000);
      expect(figures.text).toBe([
        '📊 Calls today (2026-12-06, UTC)',
        'Placed: 3 · answered: 2 (67%)',
        'Talk time: 3:00',
        'By agent (talk time · placed · answered):',
        'Ann — 2:00 · 2 · 1',
        'Bob — 1:00 · 1 · 1',
      ].join('\n'));
      const [photo] = h.photosTo(ADMIN_ID);
      expect(photo?.caption).toBe('📊 Calls today (2026-12-06, UTC)');
      const png = PNG.sync.read(photo!.content);
      expect([png.width, png.height]).toEqual([1200, 800]);
      const colours = new Set<number>();
      for (let i = 0; i < png.data.length; i += 4) colours.add(png.data.readUInt32BE(i));
      expect(colours.size).toBeGreaterThan(5);
    }, 30_000);

    it('given no calls, or a period it does not know, then it says so in words and sends no chart', async () => {
      expect(await answer(admin, '/stats week')).toBe('📊 Calls in the last 7 days (2026-11-30 to 2026-12-06, UTC)\nNo calls were placed.');
      expect(await answer(admin, '/stats month')).toBe('Usage: /stats today or /stats week (today is the default).');
      expect(await answer(ann, '/stats')).toBe('You are not allowed to do that.');
      expect(h.photosTo(ADMIN_ID)).toEqual([]);
    });
  });

  describe('bulk onboarding', () => {
    beforeEach(() => start());

    const agentCount = async () => (await h.stores.agents.list()).length;

    it('given a CSV of agents captioned /onboard, then one summary says how many were added and updated and which lines were invalid and why, each authorized and audited as /authorize', async () => {
      await admin.sendDocument('team.csv', [
        'telegram_id,phone,name,route',
        '3001,+1 202 555 0131,Cleo,M',
        '2002,+12025550132,Bob B.,D',
        'x3003,+12025550133,Nobody,M',
        '3004,12,Shorty,M',
        '3005,+12025550135,Dora,Q',
        '3006,+12025550136,"Eve, the second",',
      ].join('\n'), '/onboard');

      const summary = await admin.waitFor(/^Agents from team\.csv:/);
      expect(summary.text).toBe([
        'Agents from team.csv:',
        'added: 2',
        'updated: 1',
        'invalid lines: 3',
        'line 4: telegram_id is not a Telegram user id (digits only)',
        'line 5: phone: That number is too short.',
        'line 6: route "Q" is not M or D',
      ].join('\n'));
      expect(admin.messages().map((m) => m.history)).toEqual([['⏳ Adding agents from team.csv…', '✅ Read team.csv: 6 lines.'], [summary.text]]);
      expect(await h.stores.agents.byTelegramId('3001')).toMatchObject({ status: 'active', phone: '+12025550131', displayName: 'Cleo', route: 'M', authorizedBy: String(ADMIN_ID) });
      expect(await h.stores.agents.byTelegramId('2002')).toMatchObject({ phone: '+12025550132', displayName: 'Bob B.', route: 'D' });
      expect(await h.stores.agents.byTelegramId('3006')).toMatchObject({ displayName: 'Eve, the second', route: null });
      expect(await h.stores.agents.byTelegramId('3004')).toBeNull();
      const audit = (await h.stores.audit.latest(10)).filter((e) => e.action === 'authorize').map((e) => [e.subject, e.details]).reverse();
      expect(audit.slice(-3)).toEqual([['3001', 'phone +12025550131, route M'], ['2002', 'phone +12025550132, route D'], ['3006', 'phone +12025550136']]);
    });

    it.each([
      ['an empty CSV', 'empty.csv', Buffer.alloc(0), '❌ empty.csv: nothing was changed. The file is empty.'],
      ['a CSV of 100,000 lines', 'huge.csv', `telegram_id,phone\n${Array.from({ length: 100_000 }, (_, i) => `${i + 1},1`).join('\n')}`,
        '❌ huge.csv: nothing was changed. It has more than 10,000 lines: split it into several files.'],
      ['a binary that is not CSV', 'photo.csv', Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(4000, 0x00)]),
        '❌ photo.csv: nothing was changed. The file is not a text CSV file (save the sheet as CSV, UTF-8).'],
      ['a file without the header', 'noheader.csv', '3001,+12025550131,Cleo,M\n',
        '❌ noheader.csv: nothing was changed. Its first line must name the columns: telegram_id,phone,name,route (name and route may be left out).'],
    ])('given %s, then it is refused whole with a clear reply and no agent is written', async (_what, name, content, reply) => {
      const before = await agentCount();
      await admin.sendDocument(name, content, '/onboard');
      expect((await admin.waitFor(/^❌/, 15_000)).text).toBe(reply);
      expect(await agentCount()).toBe(before);
    }, 30_000);

    it('given a 20 MB document, then it is refused from its size before it is downloaded', async () => {
      await admin.sendDocument('big.csv', Buffer.alloc(20 * 1024 * 1024, 0x41), '/onboard');
      expect((await admin.waitFor(/^❌/)).text).toBe('❌ big.csv is larger than 2 MB. Send at most 10,000 lines per file; split a longer list into several files.');
      expect(h.files.counts).toMatchObject({ getFile: 0, downloads: 0 });
    });

    it('given an agent sending a document captioned /onboard, then it is refused and nothing is read', async () => {
      expect(await (async () => {
        const before = ann.messages().length;
        await ann.sendDocument('team.csv', 'telegram_id,phone\n3001,+12025550131\n', '/onboard');
        return (await ann.waitForNew(before)).text;
      })()).toBe('Only super admins can add agents.');
      expect(h.files.counts.getFile).toBe(0);
    });
  });

  describe('the daily report', () => {
    it('given DAILY_REPORT_HOUR, then the report of the day before goes to the admin once that hour has come, not again after a restart, and again the next day', async () => {
      let now = Date.UTC(2026, 11, 6, 6, 59); // 07:59 in Berlin
      await start({ DAILY_REPORT_HOUR: '8', REPORT_TIME_ZONE: 'Europe/Berlin' }, () => now);
      await endedCall(h.stores, annId, new Date(Date.UTC(2026, 11, 5, 9)), { talkS: 30 });
      expect(await h.callBot.dailyReport.checkNow()).toBe('not_yet');

      now = Date.UTC(2026, 11, 6, 7, 0);
      expect(await h.callBot.dailyReport.checkNow()).toBe('sent');
      const report = await admin.waitFor(/^📊 Daily report/, 20_000);
      expect(report.text).toMatch(/^📊 Daily report \(2026-12-05, Europe\/Berlin\)\nPlaced: 1 · answered: 1 \(100%\)/);
      expect(h.photosTo(ADMIN_ID).map((p) => p.caption)).toEqual(['📊 Daily report (2026-12-05, Europe/Berlin)']);

      h = await h.restarted();
      expect(await h.callBot.dailyReport.checkNow()).toBe('already_sent');
      expect(admin.messages().filter((m) => m.text.startsWith('📊 Daily report'))).toHaveLength(1);

      now = Date.UTC(2026, 11, 7, 7, 30);
      expect(await h.callBot.dailyReport.checkNow()).toBe('sent');
      await admin.waitFor(/^📊 Daily report \(2026-12-06, Europe\/Berlin\)\nNo calls were placed\.$/);
      expect(admin.messages().filter((m) => m.text.startsWith('📊 Daily report'))).toHaveLength(2);
    }, 60_000);
  });
});
