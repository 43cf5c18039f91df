import type { DataSource } from 'typeorm';
import { openDatabase } from '../../store/data-source';
import type { SqliteDriver } from 'typeorm/driver/sqlite/SqliteDriver';
import { Call, CallLeg, MIGRATIONS } from '../../entities';
import { ENDED_BY_MIGRATION } from '../../entities/migrations/1766500000000-calls-one-live-per-agent';
import { AgentHasLiveCall } from '../../engine/call-engine-ports';
import { createStores, type Stores } from '../../store';
import { SqliteConnection } from '../../store/sqlite-connection';
import { CallRowSql } from '../../store/call-row-sql';
import type { NewCall } from '../../store/call-store';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';

const kind = testDatabaseKind();

describe(`data layer on ${kind}`, () => {
  let url: string;
  let dataSource: DataSource;
  let stores: Stores;

  beforeAll(() => {
    // Printed on purpose: the test log must show which database really ran.
    process.stdout.write(`data layer spec running on ${kind}\n`);
  });

  beforeEach(async () => {
    url = await freshDatabaseUrl();
    ({ dataSource } = await openDatabase(url));
    stores = createStores(dataSource);
  });

  afterEach(() => closeDatabase(dataSource));

  /** Reverts the latest migrations until the named one is reverted too. */
  async function undoMigrationsDownTo(name: string): Promise<void> {
    const index = MIGRATIONS.findIndex((m) => m.name === name);
    if (index < 0) throw new Error(`no migration ${name}`);
    for (const _migration of MIGRATIONS.slice(index)) await dataSource.undoLastMigration();
  }

  describe('migrations', () => {
    it('given an empty database, when opened again, then no migration is pending the second time', async () => {
      await closeDatabase(dataSource);
      const reopened = await openDatabase(url);
      dataSource = reopened.dataSource;
      expect(reopened.applied).toEqual([]);
      expect(await dataSource.showMigrations()).toBe(false);
    });

    it('given the migrations applied, then the schema matches the entities exactly', async () => {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    });

    it('given the migrations applied, when reverted, then the tables are gone and can be rebuilt', async () => {
      for (const _migration of MIGRATIONS) await dataSource.undoLastMigration();
      const tables = await dataSource.createQueryRunner().getTables(['agents', 'calls', 'audit_events', 'leases']);
      expect(tables).toHaveLength(0);
      await dataSource.runMigrations();
      expect(await dataSource.createQueryRunner().hasTable('calls')).toBe(true);
    });
    it('given rows written under the first schema\'s camelCase columns, when migrated to snake_case, then every row, index and the foreign key are kept', async () => {
      for (const _migration of MIGRATIONS.slice(1)) await dataSource.undoLastMigration();
      const q = (name: string) => dataSource.driver.escape(name);
      const requestedAt = dataSource.getMetadata(Call).findColumnWithPropertyName('requestedAt');
      const asStored = (date: Date): unknown => (requestedAt ? dataSource.driver.preparePersistentValue(date, requestedAt) : date);
      const p = (i: number) => dataSource.driver.createParameter(`p${i}`, i);
      await dataSource.query(`INSERT INTO agents (${q('telegramId')}, ${q('displayName')}, ${q('callerId')}, status) VALUES (${p(0)}, ${p(1)}, ${p(2)}, 'active')`,
        ['9007199254740993', 'Ann', '+12025550100']);
      const [{ id: agentId }] = await dataSource.query(`SELECT id FROM agents`) as { id: number }[];
      await dataSource.query(
        `INSERT INTO calls (id, ${q('agentId')}, ${q('targetInput')}, stage, ${q('requestedAt')}, ${q('statusMessageId')}) VALUES (${p(0)}, ${p(1)}, ${p(2)}, 'ended', ${p(3)}, ${p(4)})`,
        ['call-1', agentId, '202 555 0123', asStored(new Date('2026-01-02T03:04:05Z')), 77],
      );

      await dataSource.runMigrations();

      const [row] = await dataSource.query('SELECT telegram_id, display_name, caller_id FROM agents') as Record<string, string>[];
      expect(row).toEqual({ telegram_id: '9007199254740993', display_name: 'Ann', caller_id: '+12025550100' });
      const call = await dataSource.getRepository(Call).findOneByOrFail({ id: 'call-1' });
      expect(call).toMatchObject({ agentId, targetInput: '202 555 0123', statusMessageId: 77 });
      expect(call.requestedAt.toISOString()).toBe('2026-01-02T03:04:05.000Z');
      expect(await stores.agents.activeAgentByTelegramId('9007199254740993')).toMatchObject({ displayName: 'Ann' });
      const calls = await dataSource.createQueryRunner().getTable('calls');
      expect(calls?.indices.find((i) => i.name === 'ix_calls_agent_requested')?.columnNames).toEqual(['agent_id', 'requested_at']);
      expect(calls?.foreignKeys.map((f) => f.columnNames)).toEqual([['agent_id']]);
      await expect(dataSource.query(`INSERT INTO calls (id, agent_id, target_input, stage, requested_at) VALUES ('call-2', 999, 'x', 'ended', ${p(0)})`, [asStored(new Date())]))
        .rejects.toThrow();
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    });
  });

  describe('one live call per agent on the line (a transfer hands the call on)', () => {
    const at = (minute: number) => new Date(Date.UTC(2026, 11, 6, 10, minute));
    let ann: number;
    let bob: number;
    beforeEach(async () => {
      ann = (await stores.agents.authorize({ telegramId: '1', phone: '+12025550101', by: '1' })).id;
      bob = (await stores.agents.authorize({ telegramId: '2', phone: '+12025550102', by: '1' })).id;
      await stores.calls.recordCallRequest({ id: 'anns', agentId: ann, targetInput: 'x', stage: 'connected', requestedAt: at(1) });
    });

    it('given Ann transferred her call to Bob and left it, then Ann\'s next call is recorded while Bob\'s goes on, and another process\'s call for Bob is refused', async () => {
      await stores.calls.recordCallTransition('anns', { onCallAgentId: bob });

      expect(await stores.calls.latestPlacedCallOfAgent(ann)).toEqual({ requestedAt: at(1), endedAt: at(1) });
      expect(await stores.calls.latestPlacedCallOfAgent(bob)).toEqual({ requestedAt: at(1), endedAt: null });
      await stores.calls.recordCallRequest({ id: 'anns-next', agentId: ann, targetInput: 'x', stage: 'requested', requestedAt: at(2) });
      // Another process on the same database.
      const other = await openDatabase(url);
      try {
        await expect(createStores(other.dataSource).calls.recordCallRequest({ id: 'bobs', agentId: bob, targetInput: 'x', stage: 'requested', requestedAt: at(3) }))
          .rejects.toBeInstanceOf(AgentHasLiveCall);
      } finally {
        await closeDatabase(other.dataSource);
      }
      expect((await stores.calls.byId('anns'))).toMatchObject({ agentId: ann, onCallAgentId: bob, stage: 'connected' });
    });

    it('given Ann\'s leg ended when she left her call by a transfer, then her call reads as ended for her from then on', async () => {
      await stores.calls.recordCallTransition('anns', { onCallAgentId: bob });
      await dataSource.getRepository(CallLeg).insert({ callId: 'anns', legId: 'agent', agentId: ann, endedAt: at(5) });
      expect(await stores.calls.latestPlacedCallOfAgent(ann)).toEqual({ requestedAt: at(1), endedAt: at(5) });
    });

    it('given Ann\'s call cold-transferred to an outside number and no agent on the line, then Ann can place another call', async () => {
      await stores.calls.recordCallTransition('anns', { onCallAgentId: null });
      expect((await stores.calls.latestPlacedCallOfAgent(ann))?.endedAt).not.toBeNull();
      await stores.calls.recordCallRequest({ id: 'anns-next', agentId: ann, targetInput: 'x', stage: 'requested', requestedAt: at(2) });
      expect((await stores.calls.liveCalls()).map((c) => c.id).sort()).toEqual(['anns', 'anns-next']);
    });

    it('given Ann consulting a colleague (still on the line), then her second live call is refused', async () => {
      await expect(stores.calls.recordCallRequest({ id: 'anns-next', agentId: ann, targetInput: 'x', stage: 'requested', requestedAt: at(2) }))
        .rejects.toBeInstanceOf(AgentHasLiveCall);
      expect(await stores.calls.latestPlacedCallOfAgent(ann)).toEqual({ requestedAt: at(1), endedAt: null });
    });

    it('given live and ended calls from before the column, when migrated, then each live call holds its placer and the ended ones hold nobody', async () => {
      await undoMigrationsDownTo('CallsOneLivePerAgentOnCall1766800000000');
      await recordOldCall({ id: 'bobs-ended', agentId: bob, targetInput: 'x', stage: 'ended', outcome: 'completed', requestedAt: at(0), endedAt: at(1) });
      await dataSource.runMigrations();
      expect(await stores.calls.byId('anns')).toMatchObject({ onCallAgentId: ann });
      expect(await stores.calls.byId('bobs-ended')).toMatchObject({ onCallAgentId: null });
      await expect(stores.calls.recordCallRequest({ id: 'anns-next', agentId: ann, targetInput: 'x', stage: 'requested', requestedAt: at(2) }))
        .rejects.toBeInstanceOf(AgentHasLiveCall);
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    });
  });

  describe('the suspended status migration', () => {
    it('given agents of every status, when reverted and applied again, then every row is kept and a suspended agent becomes revoked', async () => {
      for (const id of ['1', '2', '3']) await stores.agents.authorize({ telegramId: id, phone: '+12025550101', by: '1' });
      await stores.agents.suspend('2');
      await stores.agents.revoke('3');
      await undoMigrationsDownTo('AgentStatusSuspended1766300000000');
      await dataSource.runMigrations();
      expect((await stores.agents.list()).map((a) => [a.telegramId, a.status]).sort()).toEqual([['1', 'active'], ['2', 'revoked'], ['3', 'revoked']]);
      expect(await stores.agents.suspend('1')).toMatchObject({ status: 'suspended' });
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
      const calls = await dataSource.createQueryRunner().getTable('calls');
      expect(calls?.foreignKeys.map((f) => f.columnNames)).toEqual([['agent_id']]);
    });
  });

  /** A calls row as written before the agent on the call had a column (the store writes it now). */
  async function recordOldCall(row: NewCall): Promise<void> {
    const insert = new CallRowSql(dataSource).insert(row);
    await dataSource.query(insert.sql, insert.parameters);
  }

  describe('the webhook events once migration', () => {
    const row = (eventId: string, body: string) => ({ endpointId: 1, eventId, eventType: 'call.ended', callId: 'c1', body, createdAt: 1 });
    it('given one event queued twice for an endpoint before the index, when migrated, then the first row is kept and queuing it again adds nothing; reverted and applied again, the schema matches', async () => {
      await undoMigrationsDownTo('WebhookEventOnce1768050000000');
      const insert = (eventId: string, body: string) => dataSource.query(
        `INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, call_id, body, state, attempts, created_at, next_attempt_at) VALUES (1, '${eventId}', 'call.ended', 'c1', '${body}', 'pending', 0, 1, 0)`,
      );
      await insert('e1', 'first');
      await insert('e1', 'second');
      await insert('e2', 'other');
      await dataSource.runMigrations();
      const bodies = async () => (await dataSource.query('SELECT event_id, body FROM webhook_deliveries ORDER BY id') as Array<{ event_id: string; body: string }>).map((r) => `${r.event_id}:${r.body}`);
      expect(await bodies()).toEqual(['e1:first', 'e2:other']);
      await stores.webhookDeliveries.enqueue([row('e1', 'again'), row('e3', 'new')]);
      expect(await bodies()).toEqual(['e1:first', 'e2:other', 'e3:new']);
      await dataSource.undoLastMigration();
      await dataSource.runMigrations();
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    });
  });

  describe('the party request kinds migration (cluster party requests)', () => {
    const kinds = async () => (await dataSource.query('SELECT id, kind, mode, consult_end FROM party_requests ORDER BY id') as Array<Record<string, unknown>>)
      .map((r) => `${String(r.id)}:${String(r.kind)}:${String(r.mode)}:${String(r.consult_end)}`);
    it('given a transfer request from before the kinds, when migrated, then it reads as a transfer and a consultation\'s end can be asked; reverted, only the transfer is kept; applied again, it is still a transfer', async () => {
      await undoMigrationsDownTo('PartyRequestKinds1768250000000');
      await dataSource.query(`INSERT INTO party_requests (id, call_id, server_id, requester_telegram_id, requester_agent_id, requester_is_admin, mode, target_agent_id, stage, requested_at)
        VALUES ('r1', 'c1', 'a1', '2001', 1, ${kind === 'postgres' ? 'false' : '0'}, 'cold', 2, 'requested', 1)`);
      await dataSource.runMigrations();
      expect(await kinds()).toEqual(['r1:transfer:cold:null']);
      await dataSource.query(`INSERT INTO party_requests (id, call_id, server_id, requester_telegram_id, requester_agent_id, requester_is_admin, kind, consult_end, stage, requested_at)
        VALUES ('r2', 'c1', 'a1', '2001', 1, ${kind === 'postgres' ? 'false' : '0'}, 'finish', 'back', 'requested', 2)`);
      expect(await kinds()).toEqual(['r1:transfer:cold:null', 'r2:finish:null:back']);
      await undoMigrationsDownTo('PartyRequestKinds1768250000000');
      expect((await dataSource.query('SELECT id, mode FROM party_requests') as Array<Record<string, unknown>>).map((r) => `${String(r.id)}:${String(r.mode)}`)).toEqual(['r1:cold']);
      await dataSource.runMigrations();
      expect(await kinds()).toEqual(['r1:transfer:cold:null']);
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    });
  });

  describe('the call legs\' change announcements migration (cluster cards)', () => {
    const triggers = async () => (kind === 'postgres'
      ? (await dataSource.query(`SELECT tgname FROM pg_trigger WHERE tgname = 'call_legs_changed'`) as Array<{ tgname: string }>).map((r) => r.tgname)
      : []);
    it('given a call with legs, when the migration is reverted and applied again, then the legs are kept and written as before, the trigger is there on PostgreSQL alone, and the schema matches', async () => {
      const ann = (await stores.agents.authorize({ telegramId: '100', phone: '+12025550101', by: '1' })).id;
      await stores.calls.recordCallRequest({ id: 'c1', agentId: ann, targetInput: 'x', stage: 'requested', requestedAt: new Date(), serverId: 'a1' });
      await stores.legs.recordLeg('c1', 'p3', { role: 'consulted', label: 'Bob', requestedAt: new Date(1000) });
      expect(await triggers()).toEqual(kind === 'postgres' ? ['call_legs_changed'] : []);
      await undoMigrationsDownTo('CallLegChanges1768350000000');
      expect(await triggers()).toEqual([]);
      await stores.legs.recordLeg('c1', 'p3', { answeredAt: new Date(2000) });
      await dataSource.runMigrations();
      expect(await triggers()).toEqual(kind === 'postgres' ? ['call_legs_changed'] : []);
      await stores.legs.recordLeg('c1', 'p3', { endedAt: new Date(3000) });
      const [leg] = (await stores.legs.legsOf(['c1'])).get('c1') ?? [];
      expect(leg).toMatchObject({ legId: 'p3', role: 'consulted', label: 'Bob', answeredAt: new Date(2000), endedAt: new Date(3000) });
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    });
  });

  describe('the calls direction migration (return calls)', () => {
    const at = (minute: number) => new Date(Date.UTC(2026, 11, 6, 10, minute));
    it('given calls from before the column, when migrated, then they are outbound and return nothing; reverted and applied again, the schema matches', async () => {
      const ann = (await stores.agents.authorize({ telegramId: '100', phone: '+12025550101', by: '1' })).id;
      await undoMigrationsDownTo('CallsDirection1767750000000');
      await recordOldCall({ id: 'old', agentId: ann, targetInput: 'x', stage: 'ended', outcome: 'completed', requestedAt: at(1), endedAt: at(2) });
      await dataSource.runMigrations();
      expect(await stores.calls.byId('old')).toMatchObject({ direction: 'outbound', returnsCallId: null });
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    });

    it('given calls from before the customer channel column (return calls in cluster mode), when migrated, then they name no channel; a return call names its own; reverted and applied again, the schema matches', async () => {
      const ann = (await stores.agents.authorize({ telegramId: '100', phone: '+12025550101', by: '1' })).id;
      await undoMigrationsDownTo('CallsCustomerChannel1768000000000');
      await recordOldCall({ id: 'old', agentId: ann, targetInput: 'x', stage: 'ended', outcome: 'completed', requestedAt: at(1), endedAt: at(2) });
      await dataSource.runMigrations();
      expect(await stores.calls.byId('old')).toMatchObject({ customerChannelId: null });
      await stores.calls.recordCallRequest({
        id: 'back', agentId: ann, targetInput: 'x', stage: 'requested', requestedAt: at(3), direction: 'inbound', customerChannelId: '1733480000.42',
      });
      expect(await stores.calls.byId('back')).toMatchObject({ direction: 'inbound', customerChannelId: '1733480000.42' });
      await undoMigrationsDownTo('CallsCustomerChannel1768000000000');
      await dataSource.runMigrations();
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    });

    it('given calls to a customer, then the return call reads the agents\' placed calls within the window, latest first, never refused requests nor the customer\'s own calls', async () => {
      const ann = (await stores.agents.authorize({ telegramId: '100', phone: '+12025550101', by: '1' })).id;
      const bob = (await stores.agents.authorize({ telegramId: '200', phone: '+12025550102', by: '1' })).id;
      const customer = '+12025550123';
      const ended = { stage: 'ended' as const, target: customer, targetInput: customer, callerId: '+15550001111', route: 'M' as const };
      await stores.calls.recordCallRequest({ id: 'too-old', agentId: ann, ...ended, outcome: 'completed', requestedAt: at(1), endedAt: at(1) });
      await stores.calls.recordCallRequest({ id: 'anns', agentId: ann, ...ended, outcome: 'completed', requestedAt: at(10), endedAt: at(11), disposition: 'callback', note: 'wants a quote' });
      await stores.calls.recordCallRequest({ id: 'bobs', agentId: bob, ...ended, outcome: 'target_no_answer', requestedAt: at(20), endedAt: at(21) });
      await stores.calls.recordCallRequest({ id: 'refused', agentId: bob, ...ended, outcome: 'refused', requestedAt: at(30), endedAt: at(30) });
      await stores.calls.recordCallRequest({ id: 'theirs', agentId: ann, ...ended, direction: 'inbound', returnsCallId: 'anns', outcome: 'completed', requestedAt: at(40), endedAt: at(41) });
      await stores.calls.recordCallRequest({ id: 'other', agentId: ann, ...ended, target: '+12025550199', outcome: 'completed', requestedAt: at(50), endedAt: at(51) });
      const found = await stores.calls.callsToCustomerSince(customer, at(5));
      expect(found.map((c) => c.id)).toEqual(['bobs', 'anns']);
      expect(found[1]).toMatchObject({ agentId: ann, route: 'M', callerId: '+15550001111', disposition: 'callback', note: 'wants a quote' });
      expect(await stores.calls.byId('theirs')).toMatchObject({ direction: 'inbound', returnsCallId: 'anns' });
    });
  });

  describe('the one-live-call-per-agent migration', () => {
    async function agents(...telegramIds: string[]): Promise<number[]> {
      const ids: number[] = [];
      for (const telegramId of telegramIds) ids.push((await stores.agents.authorize({ telegramId, phone: '+12025550101', by: '1' })).id);
      return ids;
    }
    const at = (minute: number) => new Date(Date.UTC(2026, 10, 24, 10, minute));

    it('given ended calls and a live one of different agents, when migrated, then every row is kept as it was', async () => {
      await undoMigrationsDownTo('CallsOneLivePerAgent1766500000000');
      const [a, b, c] = await agents('1', '2', '3');
      await recordOldCall({ id: 'ended-a', agentId: a!, targetInput: 'x', stage: 'ended', outcome: 'completed', requestedAt: at(1), endedAt: at(2) });
      await recordOldCall({ id: 'ended-b', agentId: b!, targetInput: 'x', stage: 'ended', outcome: 'refused', requestedAt: at(3), endedAt: at(3) });
      await recordOldCall({ id: 'live-c', agentId: c!, targetInput: 'x', stage: 'connected', requestedAt: at(4) });
      // Read as rows, not entities: later migrations' columns do not exist yet.
      const rows = () => dataSource.query('SELECT id, agent_id, stage, outcome, requested_at, ended_at, detail FROM calls ORDER BY id') as Promise<unknown[]>;
      const before = await rows();

      await dataSource.runMigrations();

      expect(await rows()).toEqual(before);
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    });

    it('given an agent with two live calls from before the rule, when migrated, then the older one is ended as interrupted and says why, and the newer one stays live', async () => {
      await undoMigrationsDownTo('CallsOneLivePerAgent1766500000000');
      const [a] = await agents('1');
      await recordOldCall({ id: 'older', agentId: a!, targetInput: 'x', stage: 'connected', requestedAt: at(1) });
      await recordOldCall({ id: 'newer', agentId: a!, targetInput: 'x', stage: 'agent_ringing', requestedAt: at(2) });
      const warn = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
      try {
        await dataSource.runMigrations();
        expect(warn).toHaveBeenCalledWith(expect.stringContaining('ended 1 older live call(s)'));
      } finally {
        warn.mockRestore();
      }

      const older = await stores.calls.byId('older');
      expect(older).toMatchObject({ stage: 'ended', outcome: 'interrupted', endedBy: 'app', detail: ENDED_BY_MIGRATION });
      expect(older?.endedAt).toBeInstanceOf(Date);
      expect(Math.abs(older!.endedAt!.getTime() - Date.now())).toBeLessThan(60_000);
      expect((await stores.calls.liveCalls()).map((c) => c.id)).toEqual(['newer']);
    });

    it('given an agent with a live call, then a second live row is refused as AgentHasLiveCall, a refused request is still written, and ending the call frees the agent', async () => {
      const [a, b] = await agents('1', '2');
      await stores.calls.recordCallRequest({ id: 'live', agentId: a!, targetInput: 'x', stage: 'requested', requestedAt: at(1) });
      await expect(stores.calls.recordCallRequest({ id: 'second', agentId: a!, targetInput: 'x', stage: 'requested', requestedAt: at(2) }))
        .rejects.toBeInstanceOf(AgentHasLiveCall);
      await stores.calls.recordCallRequest({ id: 'refused', agentId: a!, targetInput: 'x', stage: 'ended', outcome: 'refused', requestedAt: at(2), endedAt: at(2) });
      await stores.calls.recordCallRequest({ id: 'other-agent', agentId: b!, targetInput: 'x', stage: 'requested', requestedAt: at(2) });
      // Any other refusal of the database stays what it was.
      await expect(stores.calls.recordCallRequest({ id: 'refused', agentId: b!, targetInput: 'x', stage: 'ended', requestedAt: at(2) }))
        .rejects.not.toBeInstanceOf(AgentHasLiveCall);

      await stores.calls.recordCallTransition('live', { stage: 'ended', outcome: 'completed', endedAt: at(3) });
      await stores.calls.recordCallRequest({ id: 'next', agentId: a!, targetInput: 'x', stage: 'requested', requestedAt: at(4) });
      expect((await stores.calls.liveCalls()).map((c) => c.id).sort()).toEqual(['next', 'other-agent']);
      expect(await stores.calls.byId('second')).toBeNull();
    });
  });

  describe('agents', () => {
    it('given an unknown user, when they ask for access, then they become a pending agent with no route', async () => {
      const { agent, isNew } = await stores.agents.requestAccess({ telegramId: '42', username: 'ann', displayName: 'Ann' });
      expect(isNew).toBe(true);
      expect(agent).toMatchObject({ status: 'pending', route: null, phone: null });
      expect((await stores.agents.requestAccess({ telegramId: '42' })).isNew).toBe(false);
      expect(await stores.agents.activeAgentByTelegramId('42')).toBeNull();
    });

    it('given Telegram ids beyond 2^31 and 2^53, then they are stored and found exactly', async () => {
      for (const id of ['2147483649', '9007199254740993']) {
        await stores.agents.authorize({ telegramId: id, phone: '+12025550101', by: '1' });
        expect((await stores.agents.activeAgentByTelegramId(id))?.telegramId).toBe(id);
      }
    });

    it('given an agent, when authorized, revoked and re-authorized, then status and route follow', async () => {
      await stores.agents.authorize({ telegramId: '7', phone: '+12025550101', callerId: '+15551234567', by: '1' });
      await stores.agents.setRoute('7', 'D');
      await stores.agents.revoke('7');
      expect(await stores.agents.activeAgentByTelegramId('7')).toBeNull();
      const back = await stores.agents.authorize({ telegramId: '7', phone: '+12025550102', by: '1' });
      expect(back).toMatchObject({ status: 'active', route: 'D', phone: '+12025550102', callerId: '+15551234567', authorizedBy: '1' });
    });

    it('given an active agent, when suspended, then only the first suspension counts, they are not active, and /authorize restores them', async () => {
      await stores.agents.authorize({ telegramId: '9', phone: '+12025550101', by: '1' });
      await stores.agents.setRoute('9', 'M');
      const [first, second] = await Promise.all([stores.agents.suspend('9'), stores.agents.suspend('9')].map((p) => p.then((a) => a?.status ?? null)));
      expect([first, second].sort()).toEqual([null, 'suspended'].sort());
      expect(await stores.agents.activeAgentByTelegramId('9')).toBeNull();
      expect((await stores.agents.byTelegramId('9'))?.status).toBe('suspended');
      const back = await stores.agents.authorize({ telegramId: '9', phone: '+12025550101', by: '1' });
      expect(back).toMatchObject({ status: 'active', route: 'M' });
    });

    it.each(['pending', 'revoked', 'unknown'])('given a %s user, then suspending does nothing', async (status) => {
      if (status !== 'unknown') await stores.agents.requestAccess({ telegramId: '10' });
      if (status === 'revoked') await stores.agents.revoke('10');
      expect(await stores.agents.suspend('10')).toBeNull();
      expect((await stores.agents.byTelegramId('10'))?.status).toBe(status === 'unknown' ? undefined : status);
    });

    it('given a route choice, then it survives a restart of the database connection', async () => {
      await stores.agents.authorize({ telegramId: '8', phone: '+12025550101', by: '1' });
      await stores.agents.setRoute('8', 'M');
      await closeDatabase(dataSource);
      ({ dataSource } = await openDatabase(url));
      expect((await createStores(dataSource).agents.byTelegramId('8'))?.route).toBe('M');
    });

    it('given a Telegram id already stored, then a second row for it is refused by the database', async () => {
      await stores.agents.requestAccess({ telegramId: '9' });
      await expect(dataSource.getRepository('Agent').insert({ telegramId: '9', displayName: '' })).rejects.toThrow();
    });
  });

  describe('calls', () => {
    async function agentId(): Promise<number> {
      return (await stores.agents.authorize({ telegramId: '100', phone: '+12025550101', by: '1' })).id;
    }

    it('given a request, when it moves through its stages, then every transition is on the row', async () => {
      const id = await agentId();
      const t0 = new Date('2026-11-24T10:00:00.123Z');
      await stores.calls.recordCallRequest({ id: 'c-1', agentId: id, targetInput: '202-555-0123', stage: 'requested', requestedAt: t0 });
      expect((await stores.calls.liveCalls()).map((c) => c.id)).toEqual(['c-1']);
      await stores.calls.recordCallTransition('c-1', { stage: 'agent_ringing', agentRingingAt: new Date(t0.getTime() + 500) });
      await stores.calls.recordCallTransition('c-1', { stage: 'ended', outcome: 'agent_busy', hangupCause: 17, endedAt: new Date(t0.getTime() + 900) });
      const row = await stores.calls.byId('c-1');
      expect(row).toMatchObject({ stage: 'ended', outcome: 'agent_busy', hangupCause: 17 });
      expect(row?.requestedAt.toISOString()).toBe(t0.toISOString());
      expect(row?.agentRingingAt?.getTime()).toBe(t0.getTime() + 500);
      expect(row?.endedAt?.getTime()).toBe(t0.getTime() + 900);
      await stores.calls.recordCallTransition('c-1', { detail: 'x', hangupCauseText: null });
      expect(await stores.calls.byId('c-1')).toMatchObject({ detail: 'x', hangupCauseText: null, hangupCause: 17, outcome: 'agent_busy' });
      await expect(stores.calls.recordCallTransition('c-1', { nope: 1 } as never)).rejects.toThrow(/nope/);
      expect(await stores.calls.liveCalls()).toEqual([]);
    });

    it('given every kind of field, when written through the cached statements, then the row reads back as TypeORM itself would write it', async () => {
      const id = await agentId();
      const at = (ms: number) => new Date(Date.UTC(2026, 10, 24, 10, 0, 0, ms));
      const fields = {
        agentId: id, targetInput: "O'Brien \"x\" ☎️ 𝟚𝟘𝟚", target: '+12025550123', callerId: '+15551234567', route: 'D' as const,
        agentEndpoint: 'PJSIP/{number}@dev', targetEndpoint: null, stage: 'ended' as const, outcome: 'completed' as const,
        detail: 'line 1\nline 2; DROP TABLE calls; --', hangupCause: 16, hangupCauseText: 'Normal Clearing', endedBy: 'target' as const,
        requestedAt: at(1), agentRingingAt: at(2), agentAnsweredAt: at(3), targetRingingAt: at(4), connectedAt: at(5), endedAt: at(999),
        telegramChatId: '-1001234567890', statusMessageId: 2147483647, onCallAgentId: id,
      };
      await dataSource.getRepository(Call).insert({ id: 'by-typeorm', ...fields });
      await stores.calls.recordCallRequest({ id: 'cached', agentId: id, targetInput: fields.targetInput, stage: 'requested', requestedAt: at(1) });
      const { agentId: _a, targetInput: _t, requestedAt: _r, ...rest } = fields;
      await stores.calls.recordCallTransition('cached', rest);
      // The same columns again, other values: the cached statement must not keep the first ones.
      await stores.calls.recordCallRequest({ id: 'again', agentId: id, targetInput: 'y', stage: 'requested', requestedAt: at(7) });
      await stores.calls.recordCallTransition('again', { ...rest, detail: null, endedAt: at(8) });

      const { id: _1, ...viaTypeorm } = (await stores.calls.byId('by-typeorm'))!;
      const { id: _2, ...viaCache } = (await stores.calls.byId('cached'))!;
      expect(viaCache).toEqual(viaTypeorm);
      // Stored alike too, not only read alike: SQLite compares the stored date text when sorting.
      const raw = await dataSource.query(`SELECT * FROM calls WHERE id IN ('by-typeorm', 'cached') ORDER BY id`) as Record<string, unknown>[];
      expect({ ...raw[0], id: 'x' }).toEqual({ ...raw[1], id: 'x' });
      expect(viaCache.endedAt?.getTime()).toBe(at(999).getTime());
      expect(await stores.calls.byId('again')).toMatchObject({ targetInput: 'y', detail: null, requestedAt: at(7), endedAt: at(8), outcome: 'completed' });
      expect(await stores.calls.byId('by-typeorm')).toMatchObject({ detail: fields.detail });
      expect(await dataSource.getRepository(Call).count()).toBe(3);
    });

    // SQLite's own write path; PostgreSQL writes through TypeORM's pool and the other specs here.
    if (kind === 'sqlite') it('given SQLite, then a call write prepares its statement once per set of columns, and the connection still closes', async () => {
      // One agent each: an agent has one live call at a time.
      const ids = await Promise.all(['101', '102', '103'].map(async (telegramId) => (await stores.agents.authorize({ telegramId, phone: '+12025550101', by: '1' })).id));
      const driver = dataSource.driver as SqliteDriver;
      const connection = driver.databaseConnection as SqliteConnection;
      expect(connection).toBeInstanceOf(SqliteConnection);
      const prepare = jest.spyOn(connection, 'prepare');
      for (const [i, callId] of ['p-1', 'p-2', 'p-3'].entries()) {
        await stores.calls.recordCallRequest({ id: callId, agentId: ids[i]!, targetInput: 'x', stage: 'requested', requestedAt: new Date() });
        await stores.calls.recordCallTransition(callId, { stage: 'agent_ringing', agentRingingAt: new Date() });
      }
      await Promise.all(['p-1', 'p-2', 'p-3'].map((callId) => stores.calls.recordCallTransition(callId, { stage: 'ended', outcome: 'agent_busy' })));
      expect(prepare).toHaveBeenCalledTimes(3);
      expect((await stores.calls.byId('p-3'))?.stage).toBe('ended');
      await dataSource.destroy();
      expect(dataSource.isInitialized).toBe(false);
      ({ dataSource } = await openDatabase(url));
      expect((await createStores(dataSource).calls.byId('p-2'))?.outcome).toBe('agent_busy');
    });

    it('given refused and placed calls, then history lists the placed ones newest first, at most ten', async () => {
      const id = await agentId();
      for (let i = 0; i < 12; i += 1) {
        await stores.calls.recordCallRequest({
          id: `c-${i}`, agentId: id, targetInput: 'x', stage: 'ended', outcome: i === 11 ? 'refused' : 'completed',
          requestedAt: new Date(Date.UTC(2026, 10, 24, 10, i)),
        });
      }
      const history = await stores.calls.recentCallsOfAgent(id);
      expect(history.map((c) => c.id)).toEqual(['c-10', 'c-9', 'c-8', 'c-7', 'c-6', 'c-5', 'c-4', 'c-3', 'c-2', 'c-1']);
    });

    it('given a call for an agent that does not exist, then the database refuses it', async () => {
      await expect(stores.calls.recordCallRequest({ id: 'orphan', agentId: 999, targetInput: 'x', stage: 'requested', requestedAt: new Date() }))
        .rejects.toThrow();
    });
  });

  describe('audit log', () => {
    it('given several events, then the latest come first and long fields are capped', async () => {
      await stores.audit.record({ actor: '1', action: 'authorize', subject: '42', details: 'phone +12025550101' });
      await stores.audit.record({ actor: '1', action: 'revoke', subject: '42', details: 'x'.repeat(5000) });
      const [last, first] = await stores.audit.latest(20);
      expect(last).toMatchObject({ action: 'revoke', subject: '42' });
      expect(last?.details).toHaveLength(1024);
      expect(first).toMatchObject({ action: 'authorize', actor: '1' });
    });
  });
});
