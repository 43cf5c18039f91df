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
