import type { DataSource } from 'typeorm';
import { SupervisorRoster } from '../../agents/supervisor-roster';
import { loadConfig } from '../../config/config';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import { TEST_ENV } from '../support/engine-harness';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';

const kind = testDatabaseKind();

describe(`supervisors, on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;
  let roster: SupervisorRoster;

  beforeEach(async () => {
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
    stores = createStores(dataSource);
    roster = new SupervisorRoster({ supervisors: stores.supervisors, agents: stores.agents, audit: stores.audit, config: loadConfig(TEST_ENV) });
  });

  afterEach(() => closeDatabase(dataSource));

  const actions = async () => (await stores.audit.latest(20)).reverse().map((e) => `${e.actor} ${e.action} ${e.subject} ${e.details}`);

  it('given a super admin, when they add, re-add with a new phone and remove a supervisor, then the table follows and each change is audited', async () => {
    expect(await roster.add('1000', '3001', '(202) 555-0142')).toEqual({ ok: true, phone: '+12025550142', isNew: true });
    expect(await roster.add('1000', '3001', '+12025550143')).toEqual({ ok: true, phone: '+12025550143', isNew: false });
    expect((await roster.list()).map((s) => [s.telegramId, s.phone, s.addedBy])).toEqual([['3001', '+12025550143', '1000']]);
    expect(await roster.remove('1000', '3001')).toBe(true);
    expect(await roster.remove('1000', '3001')).toBe(false);
    expect(await actions()).toEqual([
      '1000 supervisor_added 3001 phone +12025550142', '1000 supervisor_phone_set 3001 phone +12025550143', '1000 supervisor_removed 3001 ',
    ]);
  });

  it('given a phone the number policy refuses, then nobody is added and nothing is audited', async () => {
    expect(await roster.add('1000', '3001', '12')).toMatchObject({ ok: false });
    expect(await roster.list()).toEqual([]);
    expect(await actions()).toEqual([]);
  });

  it('given who may act as a supervisor: a listed one with their phone, a super admin with their agent phone, and nobody else', async () => {
    await roster.add('1000', '3001', '+12025550142');
    expect(await roster.acting('3001')).toEqual({ telegramId: '3001', phone: '+12025550142', agentId: null });
    expect(await roster.acting('1000')).toBeNull();
    expect(await roster.mayMonitor('1000')).toBe(true);
    const admin = await stores.agents.authorize({ telegramId: '1000', phone: '+12025550101', by: '1000' });
    expect(await roster.acting('1000')).toEqual({ telegramId: '1000', phone: '+12025550101', agentId: admin.id });
    expect(await roster.acting('2001')).toBeNull();
    expect(await roster.mayMonitor('2001')).toBe(false);
  });
});
