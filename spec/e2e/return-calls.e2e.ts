import { randomUUID } from 'node:crypto';
import { firstValueFrom } from 'rxjs';
import { seedVerifiedCallerIds } from '../support/caller-id-pool';
import { waitFor } from '../support/wait-for';
import { ADMIN_ID, E2eBot } from './support/e2e-bot';
import { AsteriskLab } from './support/lab';
import { ANN, PHONE, TARGET, callerIdOf } from './support/scenario';
import { invitesIn } from './support/sip-trace';

/**
 * Customers calling a pool number back, through a real Asterisk: a sipp UAC (spec/e2e/sipp/
 * customer-uac.xml) calls in from the Main provider's address; agents' phones are the Main
 * provider's far ends (provider-uas.xml, chosen by the number's last digits).
 */
describe('e2e: return calls through a real Asterisk', () => {
  let lab: AsteriskLab;
  let bot: E2eBot;
  const CUSTOMER = TARGET.answers;
  const POOL_NUMBER = ANN.callerId;

  beforeAll(async () => {
    lab = await AsteriskLab.start('return-calls');
    bot = await E2eBot.start(lab, 'return-calls', { env: { RETURN_CALL_RING_TIMEOUT_S: '5' } });
    await seedVerifiedCallerIds(bot.stores, [POOL_NUMBER], ['M']);
  });

  afterAll(async () => {
    await bot?.stop();
    await lab?.stop();
  });

  afterEach(async () => {
    for (const call of bot.engine.liveCalls()) bot.engine.cancelCall(call.context.callId, 'system');
    await bot.engine.settled();
    await lab.clearLeftovers();
    // Each scenario's agents only: an agent left active would be rung as a free agent of the route.
    for (const a of await bot.stores.agents.list()) if (a.status === 'active') await bot.stores.agents.revoke(a.telegramId);
  });

  async function agent(telegramId: string, phone: string): Promise<number> {
    await bot.stores.agents.authorize({ telegramId, phone, callerId: POOL_NUMBER, by: String(ADMIN_ID), displayName: `Agent ${telegramId}` });
    await bot.stores.agents.setRoute(telegramId, 'M');
    return (await bot.stores.agents.byTelegramId(telegramId))!.id;
  }

  /** The agent called the customer from the pool number an hour ago. */
  async function calledThem(agentId: number): Promise<void> {
    const at = new Date(Date.now() - 3600_000);
    await bot.stores.calls.recordCallRequest({
      id: randomUUID(), agentId, targetInput: CUSTOMER, target: CUSTOMER, callerId: POOL_NUMBER, route: 'M', stage: 'ended', outcome: 'completed',
      requestedAt: at, endedAt: at,
    });
  }

  it('a customer calling the pool number Ann called them from hears ringing, reaches Ann\'s phone (showing their number), and talks to her until they hang up; nothing is left', async () => {
    const ann = await agent('3001', PHONE.answers);
    await calledThem(ann);
    const mark = lab.main.trace.mark();
    const started = firstValueFrom(bot.engine.returnCalls);
    const { code, trace, stdout } = await lab.uac('customer-ann', '127.0.0.2', 5070, POOL_NUMBER, 'customer-uac.xml');
    expect({ code, stdout: code === 0 ? '' : stdout }).toEqual({ code: 0, stdout: '' });
    const answers = trace.since(0).filter((m) => m.dir === 'in' && m.status !== undefined).map((m) => m.status);
    expect(answers.indexOf(180)).toBeGreaterThanOrEqual(0);
    expect(answers.indexOf(180)).toBeLessThan(answers.indexOf(200));
    const toAgent = invitesIn(lab.main.trace.since(mark)).filter((m) => m.requestUser === PHONE.answers);
    expect(toAgent).toHaveLength(1);
    expect(callerIdOf(toAgent[0]!).from).toBe(CUSTOMER);
    const live = await started;
    expect(live.context).toMatchObject({ agentId: ann, target: CUSTOMER, callerId: POOL_NUMBER });
    // The customer hung up (sipp's BYE): the call ends, Ann's leg is hung up, nothing is left.
    await waitFor(() => bot.engine.callsInFlight() === 0, { timeoutMs: 10000, what: 'the return call over in the engine' });
    await bot.engine.writesSettled();
    expect(await bot.stores.calls.byId(live.context.callId)).toMatchObject({
      direction: 'inbound', stage: 'ended', outcome: 'completed', endedBy: 'target', agentId: ann, callerId: POOL_NUMBER,
    });
    await lab.expectNothingLeft();
  });

  it('given Ann\'s phone is busy, then Bob\'s phone rings next and he takes the call; nothing is left', async () => {
    const ann = await agent('3002', PHONE.busy);
    const bob = await agent('3003', PHONE.answers);
    await calledThem(ann);
    const mark = lab.main.trace.mark();
    const started = firstValueFrom(bot.engine.returnCalls);
    const { code, stdout } = await lab.uac('customer-busy', '127.0.0.2', 5070, POOL_NUMBER, 'customer-uac.xml');
    expect({ code, stdout: code === 0 ? '' : stdout }).toEqual({ code: 0, stdout: '' });
    const rung = invitesIn(lab.main.trace.since(mark)).map((m) => m.requestUser);
    expect(rung).toEqual([PHONE.busy, PHONE.answers]);
    const live = await started;
    await waitFor(() => bot.engine.callsInFlight() === 0, { timeoutMs: 10000, what: 'the return call over in the engine' });
    await bot.engine.writesSettled();
    expect(await bot.stores.calls.byId(live.context.callId)).toMatchObject({ direction: 'inbound', stage: 'ended', outcome: 'completed', onCallAgentId: bob });
    await lab.expectNothingLeft();
  });

  it('a call to a number outside the pool is refused (403) and nothing is answered or left', async () => {
    const { code, trace, stdout } = await lab.uac('outside-pool', '127.0.0.2', 5070, '+15559990000');
    const answers = trace.since(0).filter((m) => m.dir === 'in' && m.status !== undefined && m.status >= 200).map((m) => m.status);
    expect({ code, answers, stdout: code === 0 ? '' : stdout }).toEqual({ code: 0, answers: [403], stdout: '' });
    await lab.expectNothingLeft();
  });
});

/**
 * The announcement to the agent (RETURN_CALL_ANNOUNCE=digits) on a real Asterisk: the agent's phone
 * answers and is read the customer's number (Asterisk's digit sounds, Debian's
 * asterisk-core-sounds-en-wav) while the customer's call still rings unanswered; only then are the
 * two joined. Asterisk's RTP counters (`pjsip show channelstats`) say what is sent to the legs.
 */
describe('e2e: a return call announced to the agent before the customer is joined', () => {
  let lab: AsteriskLab;
  let bot: E2eBot;
  const CUSTOMER = TARGET.answers;
  const POOL_NUMBER = ANN.callerId;
  /** Half a second of RTP at 50 packets a second. */
  const HALF_A_SECOND = 25;

  beforeAll(async () => {
    lab = await AsteriskLab.start('return-calls-announce');
    bot = await E2eBot.start(lab, 'return-calls-announce', { env: { RETURN_CALL_RING_TIMEOUT_S: '5', RETURN_CALL_ANNOUNCE: 'digits' } });
    await seedVerifiedCallerIds(bot.stores, [POOL_NUMBER], ['M']);
  });

  afterAll(async () => {
    await bot?.stop();
    await lab?.stop();
  });

  /** RTP packets Asterisk has sent the trunk's legs that are in no bridge (the counters' 18-character names cannot tell legs apart). */
  function sentOutsideBridges(): number {
    return lab.cli('pjsip show channelstats').split('\n').reduce((sum, line) => {
      const words = line.trim().split(/\s+/);
      if (!words[0]?.startsWith('trunk-main-')) return sum;
      return sum + Number(words[7] ?? 0);
    }, 0);
  }

  it('given digits, when Ann answers, then her leg alone is sent the customer\'s number while the customer still rings, and they are joined once it was read; nothing is left', async () => {
    await bot.stores.agents.authorize({ telegramId: '3101', phone: PHONE.answers, callerId: POOL_NUMBER, by: String(ADMIN_ID), displayName: 'Ann' });
    await bot.stores.agents.setRoute('3101', 'M');
    const ann = (await bot.stores.agents.byTelegramId('3101'))!.id;
    const at = new Date(Date.now() - 3600_000);
    await bot.stores.calls.recordCallRequest({
      id: randomUUID(), agentId: ann, targetInput: CUSTOMER, target: CUSTOMER, callerId: POOL_NUMBER, route: 'M', stage: 'ended', outcome: 'completed',
      requestedAt: at, endedAt: at,
    });
    const started = firstValueFrom(bot.engine.returnCalls);
    // Eleven digits take Asterisk about nine seconds to read: the customer's scenario may take longer than the default.
    const customer = lab.uac('customer-announced', '127.0.0.2', 5070, POOL_NUMBER, 'customer-uac.xml', 30);
    const { context: { callId } } = await started;
    await waitFor(async () => (await bot.ari.getChannel(`${callId}-agent`))?.state === 'Up', { timeoutMs: 10000, what: 'Ann\'s phone answered' });
    const before = sentOutsideBridges();
    await waitFor(() => sentOutsideBridges() - before >= HALF_A_SECOND, { timeoutMs: 4000, everyMs: 100, what: 'half a second of RTP sent to Ann\'s leg' });
    // Meanwhile the customer's call is still ringing, unanswered, and nobody is in the call's bridge.
    const customerChannel = (await bot.ari.listChannels()).find((c) => c.id !== `${callId}-agent`);
    expect(customerChannel?.state).toBe('Ring');
    expect((await bot.ari.getBridge(`${callId}-bridge`))?.channelIds ?? []).toEqual([]);

    const { code, trace, stdout } = await customer;
    expect({ code, stdout: code === 0 ? '' : stdout }).toEqual({ code: 0, stdout: '' });
    const answers = trace.since(0).filter((m) => m.dir === 'in' && m.status !== undefined).map((m) => m.status);
    expect(answers.indexOf(180)).toBeLessThan(answers.indexOf(200));
    await waitFor(() => bot.engine.callsInFlight() === 0, { timeoutMs: 10000, what: 'the return call over in the engine' });
    await bot.engine.writesSettled();
    const row = await bot.stores.calls.byId(callId);
    expect(row).toMatchObject({ direction: 'inbound', stage: 'ended', outcome: 'completed', endedBy: 'target' });
    // Joined once the number was read (PlaybackFinished), not at once nor on a failed playback: several seconds after Ann answered.
    expect(row!.connectedAt!.getTime() - row!.agentAnsweredAt!.getTime()).toBeGreaterThan(5000);
    await lab.expectNothingLeft();
  });
});
