import type { DataSource } from 'typeorm';
import { AgentService } from '../../agents/agent-service';
import type { CallDesk } from '../../engine/call-desk';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import { seedVerifiedCallerIds } from '../support/caller-id-pool';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';

const kind = testDatabaseKind();
const ADMIN = '1000';
const CALL_ID = '0f0e0d0c-0b0a-4908-8706-050403020100';

/** A desk that records what the service asked of it: the agent's live call is CALL_ID while `live` says so. */
function recordingDesk(live: { agentId?: number }) {
  const asked: string[] = [];
  const desk: Pick<CallDesk, 'stopRequestsOf' | 'liveCallOfAgent' | 'cancelCall' | 'cancelCallAs'> = {
    stopRequestsOf: async (telegramId, why) => { asked.push(`stop ${telegramId} ${why}`); },
    liveCallOfAgent: async (agentId) => (agentId === live.agentId
      ? { context: { callId: CALL_ID, agentId, agentTelegramId: '', agentPhone: '', target: '', route: 'M', callerId: null }, stage: 'connected' }
      : undefined),
    cancelCall: async (callId, by) => { asked.push(`cancel ${callId} ${by}`); return true; },
    cancelCallAs: async (callId, who) => { asked.push(`cancel ${callId} admin=${who.isAdmin}`); return 'cancelled'; },
  };
  return { desk, asked };
}

describe(`the agents service on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;
  let live: { agentId?: number };
  let asked: string[];
  let service: AgentService;

  beforeEach(async () => {
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
    stores = createStores(dataSource);
    live = {};
    const recording = recordingDesk(live);
    asked = recording.asked;
    service = new AgentService({ agents: stores.agents, callerIds: stores.callerIds, audit: stores.audit, desk: recording.desk, numbers: { defaultRegion: 'US', allowedCountries: ['US', 'CA'] } });
  });

  afterEach(() => closeDatabase(dataSource));

  const audit = async () => (await stores.audit.latest(20)).map((e) => ({ actor: e.actor, action: e.action, subject: e.subject, details: e.details })).reverse();

  it('given an unknown user, when they ask twice, then one pending agent and one audit entry', async () => {
    expect((await service.requestAccess({ telegramId: '2001', username: 'ann', displayName: 'Ann' })).isNew).toBe(true);
    expect((await service.requestAccess({ telegramId: '2001', username: 'ann', displayName: 'Ann' })).isNew).toBe(false);
    expect(await audit()).toEqual([{ actor: '2001', action: 'access_requested', subject: '2001', details: 'Ann' }]);
  });

  it('given a phone typed loosely and a caller ID not in the pool, then nobody is authorized and nothing is audited; with a verified one, the agent is and the audit says so', async () => {
    const refused = await service.authorize(ADMIN, { telegramId: '2001', phone: '(202) 555-0123', callerId: '+12025550100' });
    expect(refused).toMatchObject({ ok: false, refusal: 'unverified_caller_id', number: '+12025550100', route: null, verifiedOn: [] });
    expect(await stores.agents.byTelegramId('2001')).toBeNull();
    expect(await audit()).toEqual([]);

    await seedVerifiedCallerIds(stores, ['+12025550100'], ['M']);
    expect(await service.authorize(ADMIN, { telegramId: '2001', phone: '(202) 555-0123', callerId: '+12025550100' })).toMatchObject({ ok: true, phone: '+12025550123', callerId: '+12025550100' });
    expect(await audit()).toEqual([{ actor: ADMIN, action: 'authorize', subject: '2001', details: 'phone +12025550123, caller ID +12025550100' }]);
  });

  it('given a request denied since, when the admin replies to the old prompt, then it stays denied and nothing more is audited', async () => {
    await service.requestAccess({ telegramId: '2001', displayName: 'Ann' });
    expect(await service.deny(ADMIN, '2001')).not.toBeNull();
    expect(await service.authorize(ADMIN, { telegramId: '2001', phone: '+12025550123', onlyPending: true })).toEqual({ ok: false, refusal: 'not_pending', status: 'revoked' });
    expect((await audit()).map((e) => e.action)).toEqual(['access_requested', 'deny']);
  });

  it('given an agent on a live call, when revoked, then their waiting requests stop, the call ends, and the audit names it', async () => {
    await service.authorize(ADMIN, { telegramId: '2001', phone: '+12025550123' });
    live.agentId = (await stores.agents.byTelegramId('2001'))!.id;
    expect(await service.revoke(ADMIN, '2001')).toMatchObject({ agent: { status: 'revoked' }, endedCallId: CALL_ID });
    expect(asked).toEqual(['stop 2001 revoked', `cancel ${CALL_ID} admin`]);
    expect((await audit()).at(-1)).toEqual({ actor: ADMIN, action: 'revoke', subject: '2001', details: `ended live call ${CALL_ID}` });
  });

  it('given an agent suspended once, when suspended again, then the second changes nothing, stops nothing and is not audited', async () => {
    await service.authorize(ADMIN, { telegramId: '2001', phone: '+12025550123' });
    live.agentId = (await stores.agents.byTelegramId('2001'))!.id;
    expect(await service.suspend(ADMIN, '2001', 'alert call_rate (count=9)')).toMatchObject({ agent: { status: 'suspended' }, endedCallId: CALL_ID });
    expect(await service.suspend('1001', '2001', 'alert call_rate (count=9)')).toBeNull();
    expect(asked).toEqual(['stop 2001 suspended', `cancel ${CALL_ID} admin=true`]);
    expect((await audit()).filter((e) => e.action === 'suspend')).toEqual([
      { actor: ADMIN, action: 'suspend', subject: '2001', details: `alert call_rate (count=9), ended live call ${CALL_ID}` },
    ]);
  });

  it('given a suspended agent, when their route is set, then it is refused and not audited; an active agent\'s change is', async () => {
    await service.authorize(ADMIN, { telegramId: '2001', phone: '+12025550123' });
    const agent = (await stores.agents.byTelegramId('2001'))!;
    expect(await service.setRoute(agent, 'M')).toMatchObject({ route: 'M' });
    await service.suspend(ADMIN, '2001', 'alert');
    expect(await service.setRoute(agent, 'D')).toBeNull();
    expect((await stores.agents.byTelegramId('2001'))!.route).toBe('M');
    expect((await audit()).filter((e) => e.action === 'route_changed')).toEqual([{ actor: '2001', action: 'route_changed', subject: '2001', details: '– -> M' }]);
  });

  it('given phones and caller IDs set, then a bad number is refused with its reason and an unknown agent is named; each change is audited', async () => {
    expect(await service.setNumber(ADMIN, '2001', 'phone', '+12025550123')).toEqual({ ok: false, refusal: 'unknown_agent' });
    await service.authorize(ADMIN, { telegramId: '2001', phone: '+12025550123' });
    expect(await service.setNumber(ADMIN, '2001', 'phone', '911')).toMatchObject({ ok: false, refusal: 'invalid', field: 'phone' });
    expect(await service.setNumber(ADMIN, '2001', 'phone', '202 555 0199')).toMatchObject({ ok: true, number: '+12025550199' });
    await seedVerifiedCallerIds(stores, ['+12025550100'], ['D']);
    await stores.agents.setRoute('2001', 'M');
    expect(await service.setNumber(ADMIN, '2001', 'callerId', '+12025550100')).toMatchObject({ ok: false, refusal: 'unverified_caller_id', route: 'M', verifiedOn: ['D'] });
    expect((await audit()).map((e) => `${e.action} ${e.details}`)).toEqual(['authorize phone +12025550123', 'set_phone +12025550199']);
  });
});
