import { ADMIN_ID, BotHarness, type TestUser } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';

const POOL_NUMBER = '+12025550100';

/**
 * The caller-ID pool as the super admin and the agents meet it: through the local Bot API server,
 * with the ARI simulator playing the phone that answers the verification call.
 */
describe('bot: the caller-ID pool and its verification', () => {
  let h: BotHarness;
  let admin: TestUser;

  beforeEach(async () => {
    h = await BotHarness.start();
    admin = h.user(ADMIN_ID, 'Ada', 'ada_admin');
  });

  afterEach(() => h.stop());

  /** Sends a command as the admin and waits for the reply that matches. */
  async function ask(text: string, reply: RegExp) {
    const before = admin.messages().length;
    await admin.send(text);
    return admin.waitFor(reply, 8000, before);
  }

  /** The verification call's channel, once it has answered. */
  const answeredVerification = () => waitFor(() => h.sim.channels().find((c) => c.id.startsWith('verify-') && c.state === 'Up'), {
    what: 'the verification call answered',
  });

  /** The person who answers keys in what they read. */
  async function keyIn(digits: string): Promise<void> {
    const channel = await answeredVerification();
    for (const digit of digits) h.sim.farEndDtmf(channel.id, digit);
  }

  /** The code as the admin's message shows it: six digits, spaced. */
  const codeIn = (text: string) => text.match(/this code: ((?:\d ){5}\d)/)?.[1]?.replace(/ /g, '');

  it('given the admin manages the pool, then /numbers add, the list with its status and /numbers remove say what happened, and bad input says why', async () => {
    await ask('/numbers', /^The caller-ID pool is empty/);
    await ask(`/numbers add ${POOL_NUMBER} M`, new RegExp(`^✅ \\${POOL_NUMBER} is in the Main pool, unverified`));
    await ask('/numbers add 202-555-0101 d', /^✅ \+12025550101 is in the Development pool, unverified/);
    await ask(`/numbers add ${POOL_NUMBER} M`, /is already in the Main pool \(unverified\)/);
    await ask('/numbers add 911 M', /^❌ Number: Emergency and service numbers/);
    await ask(`/numbers add ${POOL_NUMBER} X`, /^The route is M \(Main\) or D \(Development\)/);
    await ask(`/numbers add ${POOL_NUMBER}`, /^Usage: \/numbers/);

    const list = await ask('/numbers', /^Caller-ID pool:/);
    expect(list.text).toBe([
      'Caller-ID pool:',
      '+12025550101 [D] · ⚠️ unverified: agents cannot use it yet',
      `${POOL_NUMBER} [M] · ⚠️ unverified: agents cannot use it yet`,
    ].join('\n'));
    expect(list.buttons.map((b) => b.text)).toEqual(['📞 Verify +12025550101 [D]', `📞 Verify ${POOL_NUMBER} [M]`]);

    await ask('/numbers remove +12025550101', /^🗑 \+12025550101 is out of the Development pool: no call uses it from now on\.$/);
    await ask('/numbers remove +12025550101', /is not in the caller-ID pool/);
    expect((await h.stores.audit.latest(3)).map((e) => e.action)).toEqual(['caller_id_remove', 'caller_id_add', 'caller_id_add']);
  });

  it('given /numbers verify, then the admin reads a code, the number is called over its route, and keying that code in verifies it; the code is in no audit entry', async () => {
    await ask(`/numbers add ${POOL_NUMBER} M`, /is in the Main pool/);

    const calling = await ask(`/numbers verify ${POOL_NUMBER}`, /^📞 Calling/);
    const code = codeIn(calling.text);
    expect(calling.text).toMatch(new RegExp(`^📞 Calling \\${POOL_NUMBER} over the Main route\\. Whoever answers keys in this code: (\\d ){5}\\d`
      + ' \\(valid until \\d\\d:\\d\\d UTC, 3 wrong entries allowed\\)\\. Do not share it otherwise\\.$'));
    expect(code).toMatch(/^\d{6}$/);
    expect(h.sim.invites().map((i) => i.endpoint)).toEqual([`PJSIP/${POOL_NUMBER}@trunk-main`]);

    await keyIn(code!);

    await admin.waitFor(new RegExp(`^✅ \\${POOL_NUMBER} is verified for the Main route: agents on it may now use it as their caller ID\\.$`));
    const list = await ask('/numbers', /^Caller-ID pool:/);
    expect(list.text).toMatch(new RegExp(`\\${POOL_NUMBER} \\[M\\] · ✅ verified \\d{4}-\\d\\d-\\d\\d`));
    expect(list.buttons).toEqual([]);
    const audit = await h.stores.audit.latest(5);
    expect(audit.map((e) => e.action)).toEqual(['caller_id_verified', 'caller_id_verify_call', 'caller_id_add']);
    expect(JSON.stringify(audit)).not.toContain(code);
  });

  it('given a wrong code keyed, then the admin reads plainly that it is not verified and how many entries are left, and the same code can call again', async () => {
    await ask(`/numbers add ${POOL_NUMBER} M`, /is in the Main pool/);
    await ask('/numbers', /^Caller-ID pool:/);
    await admin.tap(`📞 Verify ${POOL_NUMBER} [M]`);
    const calling = await admin.waitFor(/^📞 Calling/);
    const code = codeIn(calling.text)!;
    const wrong = code.split('').map((d) => String((Number(d) + 1) % 10)).join('');

    await keyIn(wrong);
    await waitFor(() => h.sim.events().filter((e) => e.event.type === 'ChannelDtmfReceived').length === 6, { what: 'the digits keyed' });
    h.sim.farEndHangup((await answeredVerification()).id);

    const failed = await admin.waitFor(/is not verified/);
    expect(failed.text).toMatch(new RegExp(`^❌ \\${POOL_NUMBER} \\[M\\] is not verified: the call was answered, but hung up before the right code was keyed in`
      + ' \\(1 wrong entry\\)\\. The code stays valid until \\d\\d:\\d\\d UTC \\(2 wrong entries left\\)'));
    expect(failed.buttons.map((b) => b.text)).toEqual(['📞 Call again with the same code']);

    await admin.tap('📞 Call again with the same code');
    const again = await admin.waitFor(/Whoever answers keys in the code sent before/, 8000, admin.messages().length - 1);
    expect(again.text).toMatch(/2 wrong entries allowed/);
    await keyIn(code);
    await admin.waitFor(/is verified for the Main route/);
  });

  it('given a number that is not verified, then /setcallerid and /authorize refuse it as a caller ID and say what to do', async () => {
    await h.stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', by: String(ADMIN_ID), displayName: 'Ann' });
    await h.stores.agents.setRoute('2001', 'M');
    await ask(`/numbers add ${POOL_NUMBER} M`, /is in the Main pool/);

    await ask(`/setcallerid 2001 ${POOL_NUMBER}`, new RegExp(`^❌ Caller ID: \\${POOL_NUMBER} is not a verified number of the Main pool \\(the agent's route\\)\\.`
      + ` Add it with /numbers add \\${POOL_NUMBER} M and verify it with /numbers verify \\${POOL_NUMBER} M\\.$`));
    await ask(`/authorize 2002 +12025550111 ${POOL_NUMBER}`, new RegExp(`^❌ Caller ID: \\${POOL_NUMBER} is not a verified number of the caller-ID pool\\.`));
    expect(await h.stores.agents.byTelegramId('2002')).toBeNull();
    expect((await h.stores.agents.byTelegramId('2001'))?.callerId).toBeNull();

    await h.verifiedCallerIds([POOL_NUMBER], ['M']);
    await ask(`/setcallerid 2001 ${POOL_NUMBER}`, new RegExp(`^✅ 2001: Caller ID: \\${POOL_NUMBER} \\[M\\]$`));
  });

  it('given an agent whose caller ID is verified only for the other route, then /call is refused by the rule with what to do, and nothing is dialed', async () => {
    await h.verifiedCallerIds([POOL_NUMBER], ['D']);
    await h.stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: POOL_NUMBER, by: String(ADMIN_ID), displayName: 'Ann' });
    await h.stores.agents.setRoute('2001', 'M');
    const agent = h.user(2001, 'Ann', 'ann');

    await agent.send('/call (202) 555-0123');

    await agent.waitFor(new RegExp(`^⛔ Your caller ID \\${POOL_NUMBER} is not a verified number of the Main route \\(it is verified for Development only\\),`
      + ' so it cannot be shown\\. Ask an admin to verify it for this route, or to give you another caller ID\\.$'));
    expect(h.sim.invites()).toEqual([]);
    expect((await h.stores.audit.latest(1))[0]).toMatchObject({ action: 'call_refused', details: expect.stringMatching(/^rule: caller_id_not_verified/) });
  });

  it('given an agent calling with a verified caller ID, when the admin removes it from the pool, then their next /call is refused at once', async () => {
    await h.verifiedCallerIds([POOL_NUMBER], ['M']);
    await h.stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: POOL_NUMBER, by: String(ADMIN_ID), displayName: 'Ann' });
    await h.stores.agents.setRoute('2001', 'M');
    const agent = h.user(2001, 'Ann', 'ann');
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550777') ? { kind: 'answer', ringMs: 20, hangupAfterMs: 100 } : undefined));
    await agent.send('/call (202) 555-0777');
    await agent.waitFor(/Call ended/, 15_000);
    expect(h.sim.invites().map((i) => i.fromNumber)).toEqual([POOL_NUMBER, POOL_NUMBER]);

    await ask(`/numbers remove ${POOL_NUMBER}`, new RegExp(`^🗑 \\${POOL_NUMBER} is out of the Main pool: no call uses it from now on\\.`
      + ' Agents with it as their caller ID \\(2001\\) are refused until they get another one \\(/setcallerid\\)\\.$'));
    const before = agent.messages().length;
    await agent.send('/call (202) 555-0777');

    await agent.waitFor(/^⛔ Your caller ID \+12025550100 is not a verified number of the Main route, so it cannot be shown/, 8000, before);
    expect(h.sim.invites()).toHaveLength(2);
  }, 30_000);
});
