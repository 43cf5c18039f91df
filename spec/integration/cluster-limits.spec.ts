import type { DataSource } from 'typeorm';
import { loadConfig } from '../../config/config';
import { silentLogger } from '../../config/logger';
import { ClusterCallStore, serverLeaseName } from '../../cluster/cluster-call-store';
import { LeaseStore } from '../../cluster/lease-store';
import { ClusterDesk } from '../../cluster/cluster-desk';
import { withinGlobalLimits } from '../../cluster/global-limits';
import { createDataSource, openDatabase } from '../../store/data-source';
import { createCallRules } from '../../compliance/rules';
import { createStores } from '../../store';
import { OPEN_RULES_ENV } from '../support/bot-harness';
import { seedVerifiedCallerIds } from '../support/caller-id-pool';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;
const SERVER = { id: 'a1', url: 'http://127.0.0.1:1', username: 'callbot', password: 'x', routes: ['M' as const, 'D' as const], weight: 1 };
const AGENTS = ['2001', '2002', '2003', '2004'];

/**
 * The limits that hold over every instance, with the requests of two instances' intakes at the
 * same instant: each instance's own checks pass, and the database's count under one lock decides.
 */
onPostgres('global limits across instances', () => {
  let url: string;
  let sources: DataSource[];

  beforeEach(async () => {
    url = await freshDatabaseUrl();
    const { dataSource } = await openDatabase(url);
    sources = [dataSource];
    const stores = createStores(dataSource);
    for (const [i, id] of AGENTS.entries()) {
      await stores.agents.authorize({ telegramId: id, phone: `+1555123000${i + 1}`, callerId: '+15550001111', by: '1', displayName: `Agent ${id}` });
      await stores.agents.setRoute(id, 'M');
    }
    await seedVerifiedCallerIds(stores, ['+15550001111'], ['M']);
    // The server is owned and connected, as its owner would have recorded it.
    const token = await new LeaseStore(dataSource).acquire(serverLeaseName('a1'), 'owner', 60_000);
    await new ClusterCallStore(dataSource).setConnected('a1', true, { name: serverLeaseName('a1'), holder: 'owner', token: token! });
  });

  afterEach(async () => {
    for (const source of sources) await closeDatabase(source);
  });

  async function instanceDesk(env: Record<string, string>): Promise<ClusterDesk> {
    const dataSource = createDataSource(url);
    await dataSource.initialize();
    sources.push(dataSource);
    const config = loadConfig({ TELEGRAM_BOT_TOKEN: '1:test', SUPER_ADMIN_IDS: '1', ARI_USERNAME: 'u', ARI_PASSWORD: 'p', ...OPEN_RULES_ENV, ...env });
    const stores = createStores(dataSource);
    const calls = stores.calls;
    return new ClusterDesk({
      config, agents: stores.agents, audit: stores.audit, logger: silentLogger(), rules: createCallRules(config, stores),
      calls: withinGlobalLimits(config, calls), servers: [SERVER], clusterCalls: new ClusterCallStore(dataSource), owners: [], rows: calls,
    });
  }

  it.each([
    ['MAX_CONCURRENT_CALLS=1', { MAX_CONCURRENT_CALLS: '1' }, false, 'capacity'],
    ['ROUTE_MAIN_MAX_CALLS=1', { ROUTE_MAIN_MAX_CALLS: '1' }, false, 'rule'],
    ['CAP_NUMBER_PER_DAY=1, one number', { CAP_NUMBER_PER_DAY: '1' }, true, 'rule'],
  ])('given %s and two agents\' requests on two instances at the same instant, then one is placed and the other refused, every time', async (_what, env, sameNumber, refusal) => {
    const [one, two] = [await instanceDesk(env), await instanceDesk(env)];
    for (let round = 0; round < 8; round += 1) {
      // Each round starts with no live call; the capped number is new each round.
      await sources[0]!.query(`UPDATE calls SET stage = 'ended', outcome = 'completed' WHERE stage <> 'ended'`);
      const numbers = sameNumber ? [`+1202555${1000 + round}`, `+1202555${1000 + round}`] : ['+12025550123', '+12025550124'];
      const agents = round % 2 === 0 ? ['2001', '2002'] : ['2003', '2004'];
      const results = await Promise.all([
        one.placeCall({ agentTelegramId: agents[0]!, targetInput: numbers[0]! }),
        two.placeCall({ agentTelegramId: agents[1]!, targetInput: numbers[1]! }),
      ]);
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      expect(results.flatMap((r) => (r.ok ? [] : [r.refusal]))).toEqual([refusal]);
    }
  });

  it.each([
    // One set-up a second: the do-not-call list is read again when the turn comes.
    ['the number is put on the do-not-call list', { ROUTE_MAIN_CALLS_PER_S: '1' }, { refusal: 'rule', rule: { rule: 'do_not_call' } }],
    // One set-up every 5 s: the request reads its agent again while it waits, and ends long before its turn.
    ['the agent is revoked on another instance', { ROUTE_MAIN_CALLS_PER_S: '0.2', ROUTE_RATE_MAX_WAIT_S: '10' }, { refusal: 'stopped', stopped: 'access_ended' }],
  ])('given a request waiting for its route\'s set-up slot, when %s, then it is refused and only the first call is placed', async (what, env, refused) => {
    const desk = await instanceDesk(env);
    expect(await desk.placeCall({ agentTelegramId: '2001', targetInput: '+12025550123' })).toMatchObject({ ok: true });
    let waits = 0;
    const waiting = desk.placeCall({ agentTelegramId: '2002', targetInput: '+12025550124', onWaiting: () => { waits += 1; } });
    await waitFor(() => waits === 1, { what: 'the second request waiting for its slot' });

    const stores = createStores(sources[0]!);
    if (what.includes('do-not-call')) await stores.dnc.add('+12025550124', { kind: 'admin', addedBy: '1' });
    else await stores.agents.revoke('2002');

    expect(await waiting).toMatchObject({ ok: false, ...refused });
    const [placed] = await sources[0]!.query(`SELECT count(*)::int AS n FROM calls WHERE outcome IS NULL OR outcome <> 'refused'`);
    expect(placed).toEqual({ n: 1 });
  });
});
