import type { DataSource, EntitySubscriberInterface } from 'typeorm';
import { Agent, CallerId } from '../../entities';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';

const kind = testDatabaseKind();
const ROUNDS = 8;

/**
 * Writes to one agent's or one pool number's row that land at the same instant: each changes only
 * what it means to change, so a revocation, a suspension or a removal is never written back over
 * by a write that read the row before it.
 */
describe(`agent and caller-ID writes at the same instant on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;

  beforeEach(async () => {
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
    stores = createStores(dataSource);
  });

  afterEach(() => closeDatabase(dataSource));

  /**
   * Runs `action` the first time a row that `which` picks is read, and lets the read go on only when
   * it is done: a write that read the row before `action` then carries on with what it read.
   */
  function onceWhenRead<E extends object>(entity: new () => E, which: (row: E) => boolean, action: () => Promise<unknown>): void {
    let fired = false;
    const subscriber: EntitySubscriberInterface<E> = {
      listenTo: () => entity,
      afterLoad: async (row) => {
        if (fired || !which(row)) return;
        fired = true;
        await action();
      },
    };
    dataSource.subscribers.push(subscriber);
  }

  /**
   * Fifteen route switches and the admin's number writes, as an agent tapping the confirm buttons
   * while an admin edits, with `other` among them at `at`: each starts a turn of the event loop
   * after the one before, so their reads and writes interleave as separate chats' updates do.
   */
  async function amongRouteAndNumberWrites(telegramId: string, at: number, other: () => Promise<unknown>): Promise<void> {
    const writes: (() => Promise<unknown>)[] = [
      ...Array.from({ length: 15 }, (_, i) => () => stores.agents.setRoute(telegramId, i % 2 ? 'M' : 'D')),
      () => stores.agents.setPhone(telegramId, '+12025550102'),
      () => stores.agents.setCallerId(telegramId, '+15551234567'),
    ];
    writes.splice(at % (writes.length + 1), 0, other);
    const started: Promise<unknown>[] = [];
    for (const write of writes) {
      started.push(write());
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(started);
  }

  it.each([
    ['revoke', 'revoked'],
    ['suspend', 'suspended'],
  ] as const)('given an active agent, when route and number writes race one %s, round after round, then the agent is never active again', async (action, status) => {
    for (let round = 0; round < ROUNDS; round++) {
      const telegramId = String(5000 + round);
      await stores.agents.authorize({ telegramId, phone: '+12025550101', by: '1' });
      await amongRouteAndNumberWrites(telegramId, round * 2, () => stores.agents[action](telegramId));
      expect({ round, status: (await stores.agents.byTelegramId(telegramId))?.status }).toEqual({ round, status });
      expect(await stores.agents.activeAgentByTelegramId(telegramId)).toBeNull();
    }
  });

  it.each([
    ['revoke', 'revoked'],
    ['suspend', 'suspended'],
  ] as const)('given a route switch that has read the agent, when a %s lands before it writes, then the agent stays stopped', async (action, status) => {
    await stores.agents.authorize({ telegramId: '50', phone: '+12025550101', by: '1' });
    onceWhenRead(Agent, (a) => a.telegramId === '50', () => stores.agents[action]('50'));
    await stores.agents.setRoute('50', 'D');
    expect((await stores.agents.byTelegramId('50'))?.status).toBe(status);
  });

  it('given a revoked agent, when they switch route, then nothing changes and they are told no', async () => {
    await stores.agents.authorize({ telegramId: '51', phone: '+12025550101', by: '1' });
    await stores.agents.setRoute('51', 'M');
    await stores.agents.revoke('51');
    expect(await stores.agents.setRoute('51', 'D')).toBeNull();
    expect(await stores.agents.byTelegramId('51')).toMatchObject({ status: 'revoked', route: 'M' });
  });

  it('given an admin\'s number writes, when they race a route switch, then every write keeps its own column', async () => {
    await stores.agents.authorize({ telegramId: '52', phone: '+12025550101', by: '1' });
    await Promise.all([stores.agents.setRoute('52', 'D'), stores.agents.setPhone('52', '+12025550109'), stores.agents.setCallerId('52', '+15551234567')]);
    expect(await stores.agents.byTelegramId('52')).toMatchObject({ status: 'active', route: 'D', phone: '+12025550109', callerId: '+15551234567' });
  });

  it('given an unknown user, when they ask for access while the admin authorizes them, round after round, then neither fails and they end up active', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const telegramId = String(6000 + round);
      // Odd rounds start the admin's write first, even rounds the user's.
      const authorizeFirst = round % 2 === 1 ? stores.agents.authorize({ telegramId, phone: '+12025550101', by: '1' }) : undefined;
      const ask = stores.agents.requestAccess({ telegramId, displayName: 'Ann' });
      const authorize = authorizeFirst ?? stores.agents.authorize({ telegramId, phone: '+12025550101', by: '1' });
      const [asked, authorized] = await Promise.all([ask, authorize]);
      expect(asked.agent.telegramId).toBe(telegramId);
      expect(authorized.status).toBe('active');
      expect((await stores.agents.byTelegramId(telegramId))?.status).toBe('active');
    }
  });

  it('given an unknown user, when they ask for access twice at once, then one row is made and exactly one request is new', async () => {
    const asks = await Promise.all([1, 2, 3].map(() => stores.agents.requestAccess({ telegramId: '53', displayName: 'Ann' })));
    expect(asks.filter((a) => a.isNew)).toHaveLength(1);
    expect(new Set(asks.map((a) => a.agent.id)).size).toBe(1);
  });

  describe('completing a pending request', () => {
    it('given a pending request, when completed, then the agent is active with the phone', async () => {
      await stores.agents.requestAccess({ telegramId: '54', displayName: 'Ann' });
      expect(await stores.agents.approvePending({ telegramId: '54', phone: '+12025550101', by: '1' })).toMatchObject({ status: 'active', phone: '+12025550101', authorizedBy: '1' });
    });

    it.each([
      ['denied', (s: Stores) => s.agents.deny('55')],
      ['revoked after approval', async (s: Stores) => { await s.agents.authorize({ telegramId: '55', phone: '+12025550101', by: '1' }); await s.agents.revoke('55'); }],
      ['suspended after approval', async (s: Stores) => { await s.agents.authorize({ telegramId: '55', phone: '+12025550101', by: '1' }); await s.agents.suspend('55'); }],
    ])('given a request %s, when completed, then nothing changes', async (_what, change) => {
      await stores.agents.requestAccess({ telegramId: '55', displayName: 'Ann' });
      await change(stores);
      const before = await stores.agents.byTelegramId('55');
      expect(await stores.agents.approvePending({ telegramId: '55', phone: '+12025550199', by: '1' })).toBeNull();
      expect(await stores.agents.byTelegramId('55')).toEqual(before);
    });

    it('given a pending request, when it is denied and completed at the same instant, round after round, then it ends denied', async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const telegramId = String(7000 + round);
        await stores.agents.requestAccess({ telegramId, displayName: 'Ann' });
        const approve = stores.agents.approvePending({ telegramId, phone: '+12025550101', by: '1' });
        const deny = stores.agents.deny(telegramId);
        const [approved, denied] = await Promise.all([approve, deny]);
        // Whichever came first, a deny that found the request pending leaves the agent revoked.
        const status = (await stores.agents.byTelegramId(telegramId))?.status;
        expect({ round, status }).toEqual({ round, status: denied ? 'revoked' : 'active' });
        expect(approved === null || denied === null).toBe(true);
      }
    });

    it('given an active agent, when denied, then nothing changes', async () => {
      await stores.agents.authorize({ telegramId: '56', phone: '+12025550101', by: '1' });
      expect(await stores.agents.deny('56')).toBeNull();
      expect((await stores.agents.byTelegramId('56'))?.status).toBe('active');
    });
  });

  describe('the caller-ID pool', () => {
    it('given an unverified number, when its verification succeeds as it is removed, round after round, then it is never back in the pool', async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const number = `+1202555${String(1000 + round)}`;
        await stores.callerIds.add(number, 'M', '1');
        // The removal starts a few turns of the event loop after the verification's write began.
        const verify = stores.callerIds.markVerified(number, 'M', '1', new Date());
        for (let turn = 0; turn < round % 4; turn++) await new Promise((resolve) => setImmediate(resolve));
        const [verified] = await Promise.all([verify, stores.callerIds.remove(number, 'M')]);
        expect({ round, row: await stores.callerIds.find(number, 'M') }).toEqual({ round, row: null });
        expect(await stores.callerIds.isVerified(number, 'M')).toBe(false);
        if (verified) expect(verified.status).toBe('verified');
      }
    });

    it('given a verification that has read its number, when the number is removed before it writes, then it is not put back', async () => {
      await stores.callerIds.add('+12025550176', 'M', '1');
      onceWhenRead(CallerId, (c) => c.number === '+12025550176', () => stores.callerIds.remove('+12025550176'));
      await stores.callerIds.markVerified('+12025550176', 'M', '1', new Date());
      expect(await stores.callerIds.list()).toEqual([]);
    });

    it('given a removed number, when its verification succeeds after, then it is reported gone and not put back', async () => {
      await stores.callerIds.add('+12025550177', 'D', '1');
      await stores.callerIds.remove('+12025550177');
      expect(await stores.callerIds.markVerified('+12025550177', 'D', '1', new Date())).toBeNull();
      expect(await stores.callerIds.list()).toEqual([]);
    });

    it('given a number, when two admins add it at the same instant, then one row is made and exactly one add is new', async () => {
      const adds = await Promise.all([stores.callerIds.add('+12025550178', 'M', '1'), stores.callerIds.add('+12025550178', 'M', '2')]);
      expect(adds.filter((a) => a.isNew)).toHaveLength(1);
      expect(await stores.callerIds.list()).toHaveLength(1);
    });

    it('given a verified number, when verified again, then only its verification columns change', async () => {
      const { entry } = await stores.callerIds.add('+12025550179', 'M', '1');
      const at = new Date('2026-03-04T05:06:07Z');
      expect(await stores.callerIds.markVerified('+12025550179', 'M', '2', at)).toMatchObject({ id: entry.id, status: 'verified', addedBy: '1', verifiedBy: '2', verifiedAt: at });
    });
  });
});
