import type { DataSource } from 'typeorm';
import { silentLogger } from '../../config/logger';
import { LeaseStore } from '../../cluster/lease-store';
import { FairShare, type ShareOfServers } from '../../cluster/fair-share';
import { openDatabase } from '../../store/data-source';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const kind = testDatabaseKind();
const LONG_TTL_MS = 60_000;

/** A server's owner as the share sees it, owned or not as the spec says. */
function server(serverId: string, owned: boolean): ShareOfServers {
  return { serverId, isOwner: () => owned, liveCalls: () => 0, handBack: () => Promise.resolve() };
}

/**
 * The share's view of which instances may still reach a server: an instance that could not reach
 * one says so with a lease that lapses on its own, and the others read it.
 */
describe(`sharing the servers out when some instances cannot reach one, on ${kind}`, () => {
  let dataSource: DataSource;
  let leases: LeaseStore;

  beforeEach(async () => {
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
    leases = new LeaseStore(dataSource);
    // Three instances alive, by their presence leases (server ids have no ':'; instance ids may).
    for (const id of ['one', 'two', 'host:3']) await leases.acquire(`instance:${id}`, id, LONG_TTL_MS);
  });

  afterEach(() => closeDatabase(dataSource));

  const shareOf = (instanceId: string, servers: ShareOfServers[]) => new FairShare({
    leases, instanceId, ttlMs: LONG_TTL_MS, serverCount: 2, servers: () => servers, logger: silentLogger(),
  });

  it('given two of three instances found a server unreachable, then the third is the only one left to try it, and once it has too, none is', async () => {
    await shareOf('one', []).markAway('a1', LONG_TTL_MS);
    await shareOf('two', []).markAway('a1', LONG_TTL_MS);

    expect(await shareOf('one', []).othersToTry('a1')).toBe(1);
    expect(await shareOf('host:3', []).othersToTry('a1')).toBe(0);
    expect(await shareOf('one', []).othersToTry('a2')).toBe(2);
    await shareOf('host:3', []).markAway('a1', LONG_TTL_MS);
    expect(await shareOf('one', []).othersToTry('a1')).toBe(0);
  });

  it('given an instance that holds its share, when another instance could not reach a server, then it may take that server, which does not count towards its share; the one that could not reach it may not', async () => {
    const full = shareOf('two', [server('a2', true), server('a1', false)]);
    expect(await full.mayTake('a1')).toBe(false);

    await shareOf('one', []).markAway('a1', LONG_TTL_MS);
    expect(await full.mayTake('a1')).toBe(true);
    const holdingBoth = shareOf('two', [server('a2', true), server('a1', true)]);
    expect(await holdingBoth.mayTake('a3')).toBe(false);
    // Not by exception for the one that could not reach it.
    expect(await shareOf('one', [server('a2', true)]).mayTake('a1')).toBe(false);
  });

  it('given the mark has lapsed, then the instance counts as one to try again', async () => {
    await shareOf('one', []).markAway('a1', 1);
    await waitFor(async () => (await shareOf('two', []).othersToTry('a1')) === 2, { what: 'the mark lapsed' });
  });
});
