import { Subject } from 'rxjs';
import type { DataSource } from 'typeorm';
import { silentLogger } from '../../config/logger';
import { loadConfig } from '../../config/config';
import { ClusterCallStore, type ServerCallRow, serverLeaseName } from '../../cluster/cluster-call-store';
import { LeaseStore } from '../../cluster/lease-store';
import { ClusterDesk } from '../../cluster/cluster-desk';
import { type OwnedAri, ServerOwner } from '../../cluster/server-owner';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import { seedVerifiedCallerIds } from '../support/caller-id-pool';
import { OPEN_RULES_ENV } from '../support/bot-harness';
import { FakeAri } from '../support/fake-ari';
import { ManualClock } from '../support/manual-clock';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const kind = testDatabaseKind();
/** Real milliseconds for the database's expiry; the owner's own clock is the manual one. */
const TTL_MS = 1500;
const SERVER = { id: 'a1', url: 'http://127.0.0.1:1', username: 'callbot', password: 'x', routes: ['M', 'D'] as const, weight: 1 };
const config = loadConfig({
  TELEGRAM_BOT_TOKEN: '1:test', SUPER_ADMIN_IDS: '1', ARI_USERNAME: 'callbot', ARI_PASSWORD: 'x', ...OPEN_RULES_ENV,
});

/**
 * One Asterisk server's owner, in process, over the fake ARI: what it does with its lease, and
 * what it refuses to do without it. The three-process scenarios are in cluster-calls.spec.ts.
 */
describe(`the owner of an Asterisk server, on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;
  let clock: ManualClock;
  let ari: FakeAri & OwnedAri;
  let wake: Subject<string>;
  let owner: ServerOwner;
  let desk: ClusterDesk;
  let followed: ServerCallRow[];
  /** While pending, a round of the owner's stays in flight just after its claim statement. */
  let claimHeld: Promise<void> | undefined;
  /** How many claim statements have returned. */
  let claimsRun: number;

  beforeEach(async () => {
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
    stores = createStores(dataSource);
    await stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: '+15550001111', by: '1', displayName: 'Ann' });
    await stores.agents.setRoute('2001', 'M');
    await seedVerifiedCallerIds(stores, ['+15550001111'], ['M']);
    clock = new ManualClock();
    ari = Object.assign(new FakeAri(), { start: () => Promise.resolve() });
    wake = new Subject();
    followed = [];
    claimHeld = undefined;
    claimsRun = 0;
    const clusterCalls = new ClusterCallStore(dataSource);
    const claimRequests = clusterCalls.claimRequests.bind(clusterCalls);
    clusterCalls.claimRequests = async (serverId, fence) => {
      const rows = await claimRequests(serverId, fence);
      claimsRun += 1;
      await claimHeld;
      return rows;
    };
    owner = new ServerOwner({
      server: { ...SERVER, routes: [...SERVER.routes] }, config, instanceId: 'one', leaseTtlMs: TTL_MS, serverDownAfterS: 10, handBackAfterS: 5, stayAwayS: 30,
      leases: new LeaseStore(dataSource), clusterCalls, agents: stores.agents, audit: stores.audit, logger: silentLogger(),
      wakeUps: wake, follow: (row) => followed.push(row), connectAri: () => ari, clock, now: () => clock.now(),
    });
    desk = new ClusterDesk({
      config, agents: stores.agents, calls: stores.calls, audit: stores.audit, logger: silentLogger(),
      servers: [{ ...SERVER, routes: [...SERVER.routes] }], clusterCalls, owners: [owner], rows: stores.calls,
    });
  });

  afterEach(async () => {
    await owner.stop();
    await closeDatabase(dataSource);
  });

  async function owning(): Promise<void> {
    owner.start();
    await waitFor(() => owner.engine !== undefined, { what: 'the lease taken' });
    await waitFor(async () => (await desk['deps'].clusterCalls.servers(['a1']))[0]?.connected === true, { what: 'the server recorded connected' });
  }

  /** Waits for the database's expiry of the owner's lease (its own clock stands still), and lets another instance take it. */
  async function takenOverByAnother(): Promise<void> {
    const leases = new LeaseStore(dataSource);
    await waitFor(() => leases.acquire(serverLeaseName('a1'), 'two', 60_000), { what: 'the lease lapsed and taken by another', timeoutMs: TTL_MS + 5000 });
  }

  async function connectedCall(): Promise<string> {
    const placed = await desk.placeCall({ agentTelegramId: '2001', targetInput: '+12025550123' });
    if (!placed.ok) throw new Error(`refused: ${placed.refusal}`);
    wake.next('a1');
    const id = placed.callId;
    await waitFor(() => ari.ops().includes('originate'), { what: 'the agent originated' });
    ari.emit({ type: 'StasisStart', channelId: `${id}-target`, channelState: 'Down', args: ['target', id] });
    ari.emit({ type: 'ChannelStateChange', channelId: `${id}-agent`, channelState: 'Up' });
    ari.emit({ type: 'StasisStart', channelId: `${id}-agent`, channelState: 'Up', args: ['agent', id] });
    await waitFor(() => ari.ops().includes('dial'), { what: 'the customer dialed' });
    ari.emit({ type: 'ChannelStateChange', channelId: `${id}-target`, channelState: 'Up' });
    await waitFor(async () => (await stores.calls.byId(id))?.stage === 'connected', { what: 'the row connected' });
    return id;
  }

  it('given a request recorded on another instance for its server, when woken, then it starts the call and shows its status', async () => {
    await owning();
    const id = await connectedCall();
    expect(followed.map((r) => r.id)).toEqual([id]);
    expect((await stores.calls.byId(id))?.serverId).toBe('a1');
  });

  it('given a wake-up comes while a round is in flight, past that round\'s claim, then another round follows at once and starts the call', async () => {
    await owning();
    let release = (): void => {};
    claimHeld = new Promise((resolve) => { release = resolve; });
    const before = claimsRun;
    wake.next('a1');
    await waitFor(() => claimsRun > before, { what: 'a round\'s claim statement run, finding nothing' });
    const placed = await desk.placeCall({ agentTelegramId: '2001', targetInput: '+12025550123' });
    expect(placed.ok).toBe(true);
    wake.next('a1');
    claimHeld = undefined;
    release();
    // Sooner than the one-second poll that would otherwise find the request.
    await waitFor(() => ari.ops().includes('originate'), { what: 'the agent originated', timeoutMs: 300 });
  });

  it('given it was paused past its lease and another instance took the server, when an event reaches it before any of its timers run, then it sends Asterisk nothing and its write is refused', async () => {
    await owning();
    const id = await connectedCall();
    const before = ari.requests.length;
    // Paused: the database's expiry passes in real time, and another instance takes the lease over.
    await takenOverByAnother();
    const engine = owner.engine!;
    clock.skip(TTL_MS);

    ari.emit({ type: 'ChannelDestroyed', channelId: `${id}-target`, cause: 16, causeText: 'Normal Clearing' });

    // The engine handles an event the moment it arrives: had this one reached it, the call would have ended by now.
    expect(engine.liveCalls().map((c) => c.stage)).toEqual(['connected']);
    expect(ari.requests.slice(before)).toEqual([]);
    expect((await stores.calls.byId(id))?.stage).toBe('connected');
  });

  it('given another instance took the server, then a row write under the old holding changes nothing', async () => {
    await owning();
    const id = await connectedCall();
    const old = { name: serverLeaseName('a1'), holder: 'one', token: owner.isOwner() ? (await new LeaseStore(dataSource).current(serverLeaseName('a1')))!.token : 0n };
    await takenOverByAnother();

    expect(await new ClusterCallStore(dataSource).recordFencedTransition(id, { stage: 'ended', outcome: 'interrupted' }, old)).toBe(false);
    expect((await stores.calls.byId(id))?.stage).toBe('connected');
  });

  it('given another instance took the server, then the old holding\'s record of the server\'s state changes nothing', async () => {
    const leases = new LeaseStore(dataSource);
    const store = new ClusterCallStore(dataSource);
    const old = { name: serverLeaseName('a9'), holder: 'one', token: (await leases.acquire(serverLeaseName('a9'), 'one', TTL_MS))! };
    expect(await store.setConnected('a9', true, old)).toBe(true);
    await leases.release(old.name, 'one', old.token);
    const now = { name: old.name, holder: 'two', token: (await leases.acquire(old.name, 'two', 60_000))! };

    expect(await store.setConnected('a9', false, old)).toBe(false);
    expect((await store.servers(['a9']))[0]).toMatchObject({ owned: true, connected: true });
    expect(await store.setConnected('a9', false, now)).toBe(true);
    expect((await store.servers(['a9']))[0]).toMatchObject({ connected: false });
  });

  it('given one owner found the server unreachable and handed it on, when the next owner finds it unreachable too, then the time it has been unreachable counts from the first; once connected it starts again', async () => {
    const leases = new LeaseStore(dataSource);
    const store = new ClusterCallStore(dataSource);
    const first = { name: serverLeaseName('a9'), holder: 'one', token: (await leases.acquire(serverLeaseName('a9'), 'one', 60_000))! };
    expect(await store.unreachableForMs('a9')).toBeNull();
    await store.setConnected('a9', false, first);
    await waitFor(async () => (await store.unreachableForMs('a9'))! >= 300, { what: 'the server unreachable a while' });
    await leases.release(first.name, 'one', first.token);
    const next = { name: first.name, holder: 'two', token: (await leases.acquire(first.name, 'two', 60_000))! };

    await store.setConnected('a9', false, next);
    expect(await store.unreachableForMs('a9')).toBeGreaterThanOrEqual(300);
    await store.setConnected('a9', true, next);
    expect(await store.unreachableForMs('a9')).toBeNull();
    const droppedAt = Date.now();
    await store.setConnected('a9', false, next);
    expect(await store.unreachableForMs('a9')).toBeLessThanOrEqual(Date.now() - droppedAt + 50);
  });

  it('given it stops (a rolling restart), then it hangs nothing up and frees the lease at once for the next owner', async () => {
    await owning();
    const id = await connectedCall();
    const before = ari.commands().length;
    await owner.stop();

    expect(ari.commands().slice(before)).toEqual([]);
    expect((await stores.calls.byId(id))?.stage).toBe('connected');
    expect(await new LeaseStore(dataSource).acquire(serverLeaseName('a1'), 'two', 60_000)).not.toBeNull();
  });
});
