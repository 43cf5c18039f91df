import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_ID, BotHarness, type TestUser } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';

/**
 * The do-not-call list from Telegram: the admin's /dnc commands, importing a file and exporting the
 * list as documents, the agent's "asked not to be called" button, and /call refused by the list.
 * Files travel through the Bot API's getFile, download URL and sendDocument (spec/support/bot-api-files.ts).
 */
describe('bot: do-not-call list', () => {
  let h: BotHarness;
  let admin: TestUser;
  let agent: TestUser;

  /** Each chat's turns in progress, seen as cluster mode's chat locks see them. */
  const openTurns = new Map<number, number>();

  beforeEach(async () => {
    openTurns.clear();
    h = await BotHarness.start({
      inChatTurn: async (chatId, handle) => {
        openTurns.set(chatId, (openTurns.get(chatId) ?? 0) + 1);
        try {
          return await handle();
        } finally {
          openTurns.set(chatId, openTurns.get(chatId)! - 1);
        }
      },
    });
    admin = h.user(ADMIN_ID, 'Ada', 'ada_admin');
    await h.verifiedCallerIds(['+15551234567']);
    await h.stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: '+15551234567', by: String(ADMIN_ID), displayName: 'Ann' });
    await h.stores.agents.setRoute('2001', 'M');
    agent = h.user(2001, 'Ann', 'ann');
  });

  afterEach(() => h.stop());

  async function answer(user: TestUser, text: string): Promise<string> {
    const before = user.messages().length;
    await user.send(text);
    return (await user.waitForNew(before)).text;
  }

  const actions = async () => (await h.stores.audit.latest(50)).map((e) => ({ actor: e.actor, action: e.action, subject: e.subject, details: e.details }));

  it('given the admin, when they add, check and remove numbers, then each reply says what happened and the audit log keeps who and why', async () => {
    for (const [command, reply] of [
      ['/dnc', /^Usage: \/dnc add <number> \[reason\]/],
      ['/dnc add', /^Usage: \/dnc add/],
      ['/dnc frobnicate +12025550123', /^Usage: \/dnc add/],
      ['/dnc remove +12025550123 extra', /^❌ Number: That is not a phone number/],
      ['/dnc add 12', /^❌ Number: That number is too short\.$/],
      ['/dnc add (202) 555-0123 customer complaint', /^🚫 \+1 202-555-0123 is on the do-not-call list now\.$/],
      ['/dnc add +1 202 555 0123 again', /^\+1 202-555-0123 was already on the do-not-call list \(since \d{4}-\d\d-\d\d\)\.$/],
      ['/dnc check 2025550123', /^🚫 \+1 202-555-0123 is on the do-not-call list since \d{4}-\d\d-\d\d, added by 1000: customer complaint\.$/],
      ['/dnc add +442079460958', /^🚫 \+44 20 7946 0958 is on the do-not-call list now\.$/],
      ['/dnc remove +12025550123', /^✅ \+1 202-555-0123 is off the do-not-call list\.$/],
      ['/dnc remove +12025550123', /^\+1 202-555-0123 is not on the do-not-call list\.$/],
      ['/dnc check +12025550123', /^\+1 202-555-0123 is not on the do-not-call list\.$/],
    ] as const) {
      expect(await answer(admin, command)).toMatch(reply);
    }
    expect(await h.stores.dnc.lookup('+442079460958')).toMatchObject({ kind: 'admin', addedBy: String(ADMIN_ID), reason: '' });
    expect((await actions()).filter((e) => e.action.startsWith('dnc_')).reverse()).toEqual([
      { actor: '1000', action: 'dnc_add', subject: '+12025550123', details: 'customer complaint' },
      { actor: '1000', action: 'dnc_add', subject: '+442079460958', details: '' },
      { actor: '1000', action: 'dnc_remove', subject: '+12025550123', details: expect.stringMatching(/^listed \S+ \(admin by 1000: customer complaint\)$/) },
    ]);
  });

  it('given an agent, then /dnc and documents are refused', async () => {
    expect(await answer(agent, '/dnc add +12025550123')).toBe('You are not allowed to do that.');
    const before = agent.messages().length;
    await agent.sendDocument('list.txt', '2025550123\n');
    expect((await agent.waitForNew(before)).text).toBe('Only super admins can import do-not-call lists.');
    expect(await h.stores.dnc.count()).toBe(0);
    expect(h.files.counts.getFile).toBe(0);
  });

  it('given a document from the admin, when it is imported, then a progress message and a summary with the invalid lines follow, and the listing is audited', async () => {
    await h.stores.dnc.add('+12025550101', { kind: 'admin', addedBy: '1000' });
    const lines = ['202,5550100', '202,5550101', 'garbage', '(202) 555-0102', ...Array.from({ length: 30 }, (_, i) => (i % 2 ? `bad ${i}` : `202555${1000 + i}`))];
    await admin.sendDocument('registry.csv', lines.join('\r\n'), 'National DNC Registry, March');
    const progress = await admin.waitFor(/^(⏳|✅) Import/);
    const summary = await admin.waitFor(/^Do-not-call import of registry\.csv:/);
    expect(progress.history[0]).toBe('⏳ Importing registry.csv…');
    expect(admin.messages().find((m) => m.messageId === progress.messageId)?.text).toBe('✅ Imported registry.csv: 34 lines read.');
    expect(summary.text).toBe([
      'Do-not-call import of registry.csv:',
      'added: 17',
      'already present: 1',
      'invalid lines: 16 (line 3, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34)',
    ].join('\n'));
    expect(h.files.counts).toMatchObject({ getFile: 1, downloads: 1 });
    expect(await h.stores.dnc.lookup('+12025550102')).toMatchObject({ kind: 'import', addedBy: '1000', reason: 'National DNC Registry, March' });
    expect((await actions()).find((e) => e.action === 'dnc_import')).toEqual({
      actor: '1000', action: 'dnc_import', subject: 'registry.csv',
      details: expect.stringMatching(/^listing \d+: 17 added, 1 already present, 16 invalid of 34 lines; National DNC Registry, March$/),
    });
  });

  it('given more invalid lines than are listed, then the summary lists the first twenty and says there are more', async () => {
    await admin.sendDocument('bad.txt', Array.from({ length: 25 }, (_, i) => `no number ${i}`).join('\n'));
    const summary = await admin.waitFor(/^Do-not-call import of bad\.txt:/);
    expect(summary.text).toContain(`invalid lines: 25 (line ${Array.from({ length: 20 }, (_, i) => i + 1).join(', ')}, …)`);
  });

  it('given an import that takes seconds, then the progress message is edited while it runs, at most once every three seconds', async () => {
    const lines = Array.from({ length: 40_000 }, (_, i) => `${200 + (i % 800)},${2_000_000 + i}`);
    const file = `${lines.join('\n')}\n`;
    // Downloaded over about seven seconds: four batches of 10,000 numbers arrive along the way.
    await admin.sendDocument('big.txt', file, undefined, { bytesPerSecond: Math.ceil(file.length / 7) });
    const summary = await admin.waitFor(/^Do-not-call import of big\.txt:/, 30_000);
    expect(summary.text).toContain('added: 40,000');
    const progress = admin.messages().find((m) => m.history[0] === '⏳ Importing big.txt…')!;
    const middle = progress.history.slice(1, -1);
    expect(middle.length).toBeGreaterThanOrEqual(1);
    expect(middle.length).toBeLessThanOrEqual(3);
    for (const text of middle) expect(text).toMatch(/^⏳ Importing big\.txt: [\d,]+ lines read, [\d,]+ added, 0 already present, 0 invalid…$/);
    expect(progress.history.at(-1)).toBe('✅ Imported big.txt: 40,000 lines read.');
    expect(await h.stores.dnc.count()).toBe(40_000);
  }, 60_000);

  it('given a large import under way, when the admin sends /revoke, then it is answered at once, the chat\'s turn is not held for the import, and the import still ends with its summary', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => { release = resolve; });
    const lines = Array.from({ length: 30_000 }, (_, i) => `${200 + (i % 800)},${2_000_000 + i}`);
    const file = `${lines.join('\n')}\n`;
    try {
      // The download stops halfway until released: the import cannot end before the revocation.
      await admin.sendDocument('big.txt', file, undefined, { holdAfter: { bytes: Math.floor(file.length / 2), until: held } });
      await admin.waitFor(/^⏳ Importing big\.txt/);
      await waitFor(async () => (await h.stores.dnc.count()) >= 10_000, { timeoutMs: 10_000, what: 'the first batch stored' });
      await waitFor(() => openTurns.get(ADMIN_ID) === 0, { timeoutMs: 2000, what: 'the admin chat\'s turn (its cluster lock) released while the import runs' });

      const before = admin.messages().length;
      await admin.send('/revoke 2001');
      await admin.waitFor(/^🚫 Agent 2001 is revoked\.$/, 3000, before);
      expect((await h.stores.agents.byTelegramId('2001'))?.status).toBe('revoked');
      expect(admin.messages().filter((m) => m.text.startsWith('Do-not-call import of big.txt'))).toEqual([]);
    } finally {
      release();
    }

    const summary = await admin.waitFor(/^Do-not-call import of big\.txt:/, 30_000);
    expect(summary.text).toContain('added: 30,000');
    const progress = admin.messages().find((m) => m.history[0] === '⏳ Importing big.txt…')!;
    expect(progress.text).toBe('✅ Imported big.txt: 30,000 lines read.');
    expect(await h.stores.dnc.count()).toBe(30_000);
  }, 60_000);

  it('given a local Bot API server started with --local, when the admin sends a document, then it is read from the path getFile names', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-local-bot-api-'));
    const file = path.join(dir, 'registry.txt');
    fs.writeFileSync(file, '202,5550161\n202,5550162\n');

    await admin.sendDocument('registry.txt', 'not what is on the disk\n', undefined, { localPath: file });

    await waitFor(() => admin.messages().some((msg) => msg.text.startsWith('Do-not-call import of registry.txt')), { what: 'the import summary' });
    expect(admin.messages().at(-1)?.text).toContain('added: 2');
    expect(await h.stores.dnc.lookup('+12025550162')).toMatchObject({ kind: 'import' });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('given a listed number, when the admin exports, then a CSV document comes back that imports again as already present', async () => {
    await h.stores.dnc.add('+12025550123', { kind: 'admin', addedBy: '1000', reason: 'said "never", twice' });
    await h.stores.dnc.add('+442079460958', { kind: 'agent', addedBy: '2001', reason: 'asked not to be called', callId: 'c-1' });
    await admin.send('/dnc export');
    const [document] = await waitFor(() => (h.documentsTo(ADMIN_ID).length ? h.documentsTo(ADMIN_ID) : undefined), { what: 'the export document' });
    expect(document!.fileName).toMatch(/^do-not-call-\d{4}-\d\d-\d\d\.csv$/);
    expect(document!.caption).toBe('Do-not-call list: 2 numbers.');
    const rows = document!.content.toString().trim().split('\n');
    expect(rows[0]).toBe('number,since,kind,added_by,reason');
    expect(rows.slice(1)).toEqual([
      expect.stringMatching(/^\+12025550123,\d{4}-\d\d-\d\dT[\d:.]+Z,admin,1000,"said ""never"", twice"$/),
      expect.stringMatching(/^\+442079460958,\S+,agent,2001,asked not to be called$/),
    ]);
    await admin.sendDocument('export.csv', document!.content);
    expect((await admin.waitFor(/^Do-not-call import of export\.csv:/)).text).toContain('added: 0\nalready present: 2\ninvalid lines: 0');
    expect((await actions()).map((e) => e.action)).toContain('dnc_export');
  });

  it('given an empty list, then the export says so and sends no document', async () => {
    expect(await answer(admin, '/dnc export')).toBe('The do-not-call list is empty.');
    expect(h.documentsTo(ADMIN_ID)).toEqual([]);
  });

  it('given a listed number, when an agent calls it, then the call is refused with the date and nothing is dialed', async () => {
    const { entry } = await h.stores.dnc.add('+12025550123', { kind: 'admin', addedBy: '1000', reason: 'complaint' });
    expect(await answer(agent, '/call (202) 555-0123')).toBe(`⛔ This number is on the do-not-call list (since ${entry.since.toISOString().slice(0, 10)}).`);
    expect(h.sim.requests().filter((r) => r.method === 'POST' && r.path.startsWith('/ari/channels'))).toEqual([]);
    expect((await actions()).find((e) => e.action === 'call_refused')).toMatchObject({ actor: '2001', details: expect.stringMatching(/^rule: do_not_call \(since=/) });
  });

  describe('the "asked not to be called" disposition (the do-not-call button folded into the outcome buttons)', () => {
    async function completedCall(): Promise<string> {
      h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 50, hangupAfterMs: 300 } : undefined));
      await agent.send('/call +12025550123');
      const status = await agent.waitFor(/Call ended/, 15000);
      expect(status.buttons.map((b) => b.text)).toContain('Asked not to be called');
      await h.engine.settled();
      return status.buttons.find((b) => b.text === 'Asked not to be called')!.data;
    }

    it('given the agent\'s own ended call, when tapped, then the number is listed under the agent with the call, audited, and the next call is refused', async () => {
      const data = await completedCall();
      const callId = data.slice('dp:dnc:'.length);
      await agent.tap('Asked not to be called');
      await agent.waitFor(/^🚫 \+1 202-555-0123 asked not to be called: it is on the do-not-call list now\.$/);
      expect(await h.stores.dnc.lookup('+12025550123')).toMatchObject({ kind: 'agent', addedBy: '2001', reason: 'asked not to be called', callId });
      expect((await actions()).find((e) => e.action === 'dnc_mark')).toEqual({ actor: '2001', action: 'dnc_mark', subject: '+12025550123', details: `call ${callId}: asked not to be called` });
      expect(await answer(agent, '/call +12025550123')).toMatch(/^⛔ This number is on the do-not-call list \(since /);
      await agent.tap(/Asked not to be called$/);
      await agent.waitFor(/was already on the do-not-call list/);
    }, 30000);

    it('given a status message sent before the outcome buttons, when its own 🚫 button is tapped, then it still lists the number', async () => {
      const callId = (await completedCall()).slice('dp:dnc:'.length);
      await agent.tapData(`nd:${callId}`);
      await agent.waitFor(/^🚫 \+1 202-555-0123 asked not to be called/);
      expect(await h.stores.dnc.lookup('+12025550123')).toMatchObject({ kind: 'agent', callId });
    }, 30000);

    it.each([
      ['another agent taps it', 2002, (data: string) => data, 'That is not your call.'],
      ['the admin taps it', ADMIN_ID, (data: string) => data, 'That is not your call.'],
      ['the data names an unknown call', 2001, () => 'dp:dnc:00000000-0000-4000-8000-000000000000', 'This button is no longer valid.'],
      ['the data names a number instead of a call', 2001, () => 'dp:dnc:+12025550199', 'This button is no longer valid.'],
      ['the old button names another agent\'s call', 2002, (data: string) => `nd:${data.slice('dp:dnc:'.length)}`, 'That is not your call.'],
    ])('given %s, then nothing is listed', async (_what, who, forge, alert) => {
      await h.stores.agents.authorize({ telegramId: '2002', phone: '+15551230002', by: String(ADMIN_ID), displayName: 'Bob' });
      const data = await completedCall();
      const user = who === 2001 ? agent : h.user(who);
      const before = user.messages().length;
      const answered = new Promise<string | undefined>((resolve) => {
        const original = h.out.answer.bind(h.out);
        h.out.answer = async (id, text, isAlert) => {
          resolve(text);
          return original(id, text, isAlert);
        };
      });
      await user.tapData(forge(data));
      expect(await answered).toBe(alert);
      expect(await h.stores.dnc.count()).toBe(0);
      expect(user.messages()).toHaveLength(before);
      expect((await actions()).map((e) => e.action)).not.toContain('dnc_mark');
    }, 30000);
  });

  it('given no do-not-call code among DISPOSITION_CODES, then a completed call keeps the 🚫 Asked not to be called button of its own', async () => {
    await h.stop();
    h = await BotHarness.start({ env: { DISPOSITION_CODES: 'sale:Sale,no_sale:No sale' } });
    await h.verifiedCallerIds(['+15551234567']);
    await h.stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: '+15551234567', by: String(ADMIN_ID), displayName: 'Ann' });
    await h.stores.agents.setRoute('2001', 'M');
    agent = h.user(2001, 'Ann', 'ann');
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 50, hangupAfterMs: 300 } : undefined));
    await agent.send('/call +12025550123');
    const status = await agent.waitFor(/Call ended/, 15000);
    expect(status.buttons.map((b) => b.text)).toEqual(['🔁 Call again', 'Sale', 'No sale', '🚫 Asked not to be called']);
  }, 30000);
});
