import { waitFor } from '../support/wait-for';
import { ADMIN_ID, E2eBot } from './support/e2e-bot';
import { AsteriskLab } from './support/lab';
import { ANN, PHONE, POOL, PlacedCall, TARGET, VERIFICATION_CODE, answeredWith, callerIdOf, received } from './support/scenario';
import { invitesIn } from './support/sip-trace';

/**
 * Caller-ID verification on a real Asterisk: callbot calls the pool number over its route and
 * sipp, answering, keys the code as RFC 2833 DTMF. sipp can only play digits from its pcaps in a
 * fixed scenario, so this app is given the code those pcaps spell (VERIFICATION_CODE) through the
 * injectable code generator; the service itself makes random codes.
 */
describe('e2e: caller-ID verification through a real Asterisk', () => {
  let lab: AsteriskLab;
  let bot: E2eBot;

  beforeAll(async () => {
    lab = await AsteriskLab.start('caller-ids');
    bot = await E2eBot.start(lab, 'caller-ids', { verificationCode: () => VERIFICATION_CODE });
  });

  afterAll(async () => {
    await bot?.stop();
    await lab?.stop();
  });

  afterEach(async () => {
    for (const call of bot.engine.liveCalls()) bot.engine.cancelCall(call.context.callId, 'system');
    await bot.engine.settled();
    await lab.clearLeftovers();
  });

  it('verification: the pool number is called over Main, its far end keys the code, the number is verified, and an agent\'s call then presents it', async () => {
    const admin = bot.user(ADMIN_ID, 'Ada', 'ada_admin');
    const mark = lab.main.trace.mark();
    await admin.send(`/numbers add ${POOL.keysTheCode} M`);
    await admin.waitFor(/is in the Main pool, unverified/);
    await admin.send(`/numbers verify ${POOL.keysTheCode}`);
    const calling = await admin.waitFor(/^📞 Calling/);
    expect(calling.text).toContain(`this code: ${VERIFICATION_CODE.split('').join(' ')}`);

    await admin.waitFor(/is verified for the Main route/, 15_000);

    const invite = await waitFor(() => invitesIn(lab.main.trace.since(mark)).find((m) => m.requestUser === POOL.keysTheCode), { what: 'the verification INVITE' });
    const sip = lab.main.trace.since(mark).filter((m) => m.callId === invite.callId);
    expect(sip.some(answeredWith(200))).toBe(true);
    // callbot hangs up once the code is keyed: the BYE comes from Asterisk.
    await waitFor(() => lab.main.trace.since(mark).some((m) => m.callId === invite.callId && received('BYE')(m)), { what: 'the BYE to the verified number' });
    expect(await bot.stores.callerIds.find(POOL.keysTheCode, 'M')).toMatchObject({ status: 'verified', verifiedBy: String(ADMIN_ID) });
    expect(JSON.stringify(await bot.stores.audit.latest(10))).not.toContain(VERIFICATION_CODE);
    await lab.expectNothingLeft();

    // The verified number is now a caller ID an agent may have, and their calls present it.
    const agent = { ...ANN, callerId: POOL.keysTheCode };
    const call = await PlacedCall.place(bot, lab, agent, PHONE.hangsUpAfter2s, TARGET.answers);
    await call.status(/Call ended/, 15_000);
    expect(callerIdOf(call.inviteFor(TARGET.answers)!).from).toBe(POOL.keysTheCode);
    await lab.expectNothingLeft();
  }, 45_000);

  it('verification: a pool number that is busy is not verified, the admin is told so plainly, and nothing is left in Asterisk', async () => {
    const admin = bot.user(ADMIN_ID, 'Ada', 'ada_admin');
    await admin.send(`/numbers add ${POOL.busy} M`);
    await admin.waitFor(new RegExp(`\\${POOL.busy} is in the Main pool`));
    const before = admin.messages().length;
    await admin.send(`/numbers verify ${POOL.busy}`);
    const failed = await admin.waitFor(/is not verified: nobody answered/, 15_000, before);
    expect(failed.buttons.map((b) => b.text)).toEqual(['📞 Call again with the same code']);
    expect(await bot.stores.callerIds.isVerified(POOL.busy, 'M')).toBe(false);
    await lab.expectNothingLeft();
  }, 30_000);
});
