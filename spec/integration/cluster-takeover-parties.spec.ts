import { Subject, type Subscription } from 'rxjs';
import type { DataSource } from 'typeorm';
import { AriAdapter } from '../../ari/ari-adapter';
import type { CallEvent } from '../../call/call-machine';
import { partyRingbackId } from '../../call/call-ids';
import type { PartyPlan } from '../../call/call-types';
import type { CallUpdate } from '../../call/call-update';
import type { Config } from '../../config/config';
import { silentLogger } from '../../config/logger';
import { ClusterCallStore } from '../../cluster/cluster-call-store';
import { ClusterDesk } from '../../cluster/cluster-desk';
import { LeaseStore } from '../../cluster/lease-store';
import { type OwnedAri, ServerOwner } from '../../cluster/server-owner';
import type { Stores } from '../../store';
import type { AriSimulator } from '../support/ari-simulator';
import { seedVerifiedCallerIds } from '../support/caller-id-pool';
import { KillableClock } from '../support/killable-clock';
import { SIM_CREDENTIALS } from '../support/simulated-ari';
import { closeDatabase, testDatabaseKind } from '../support/test-database';
import { simulatedServerWorld } from '../support/simulated-server-world';
import { waitFor } from '../support/wait-for';

const kind = testDatabaseKind();
/** Real milliseconds for the database's expiry of a lease. */
const TTL_MS = 1500;
const CUSTOMER = '+12025550123';
const COLLEAGUE = '+12025550199';

type PartyEvent = Extract<CallEvent, { type: 'TransferRequested' | 'ConsultFinished' }>;
type Untimed<T> = T extends unknown ? Omit<T, 'at'> : never;

/**
 * A call in consultation whose server's owner dies, on the ARI simulator: two owners of one
 * Asterisk server in this process, on one database. The first is killed as far as the server and
 * the database can tell (its event socket cut, its lease neither renewed nor freed, nothing of it
 * stopped in order); the second takes the server over when the lease lapses, and with it every leg
 * and bridge of the call, the consultation asked for through each owner's engine. (cluster-parties.spec.ts
 * does the same with whole processes SIGKILLed and the consultation asked for from Telegram.)
 */
describe(`a call in consultation whose owner dies, on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;
  let sim: AriSimulator;
  let firstAri: AriAdapter;
  let first: ServerOwner;
  /** The first owner's lease clock: it renews the lease until the spec kills that owner. */
  let firstClock: KillableClock;
  let second: ServerOwner | undefined;
  let desk: ClusterDesk;
  let config: Config;
  const wake = new Subject<string>();
  const updates: { owner: 'first' | 'second'; update: CallUpdate }[] = [];
  const subscriptions: Subscription[] = [];

  const server = () => ({ id: 'a1', url: sim.url, ...SIM_CREDENTIALS, routes: ['M' as const, 'D' as const], weight: 1 });
  const adapter = (mayConnect: () => boolean): AriAdapter & OwnedAri => new AriAdapter({
    url: sim.url, ...SIM_CREDENTIALS, app: config.ari.app, logger: silentLogger(),
    requestTimeoutMs: 1000, reconnectMinMs: 50, reconnectMaxMs: 200, keepaliveMs: 500, mayConnect,
  });
  const ownerNamed = (name: 'first' | 'second', options: { clock?: KillableClock; ari: (mayConnect: () => boolean) => OwnedAri }) => new ServerOwner({
    server: server(), config, instanceId: name, leaseTtlMs: TTL_MS, serverDownAfterS: 60, handBackAfterS: 60, stayAwayS: 60,
    leases: new LeaseStore(dataSource), clusterCalls: new ClusterCallStore(dataSource), parties: stores.legs,
    agents: stores.agents, audit: stores.audit, logger: silentLogger(), wakeUps: wake,
    follow: (_row, stream) => { subscriptions.push(stream.subscribe((update) => updates.push({ owner: name, update }))); },
    connectAri: (_server, mayConnect) => options.ari(mayConnect),
    ...(options.clock ? { clock: options.clock, now: () => options.clock!.now() } : {}),
  });

  beforeEach(async () => {
    ({ sim, config, dataSource, stores } = await simulatedServerWorld());
    await stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: '+15550001111', by: '1', displayName: 'Ann' });
    await stores.agents.setRoute('2001', 'M');
    await seedVerifiedCallerIds(stores, ['+15550001111'], ['M']);
    // The first owner's own clock: killing it stops its renewals, so its lease lapses in the database.
    firstClock = new KillableClock();
    first = ownerNamed('first', { clock: firstClock, ari: (mayConnect) => (firstAri = adapter(mayConnect)) });
    desk = new ClusterDesk({
      config, agents: stores.agents, calls: stores.calls, audit: stores.audit, logger: silentLogger(),
      servers: [server()], clusterCalls: new ClusterCallStore(dataSource), owners: [first], rows: stores.calls,
    });
  });

  afterEach(async () => {
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    updates.splice(0);
    await second?.stop();
    second = undefined;
    await first.stop();
    await firstAri?.close();
    await closeDatabase(dataSource);
    await sim.stop();
  });

  const ids = (callId: string) => ({
    agent: `${callId}-agent`, customer: `${callId}-target`, p3: `${callId}-p3`, main: `${callId}-bridge`, consult: `${callId}-consult`,
  });
  const members = (bridgeId: string) => sim.bridges().find((b) => b.id === bridgeId)?.channels.slice().sort().join() ?? null;
  const upInAsterisk = (channelId: string) => sim.channels().some((c) => c.id === channelId && c.state === 'Up');
  const gone = (id: string) => !sim.channels().some((c) => c.id === id) && !sim.bridges().some((b) => b.id === id);
  const mohRequests = (method: string, bridgeId: string) => sim.requests().filter((r) => r.method === method && r.path === `/ari/bridges/${bridgeId}/moh`).length;
  const colleague = (): PartyPlan => ({
    target: { kind: 'number', number: COLLEAGUE }, label: COLLEAGUE,
    endpoint: config.routes.M.endpointTemplate.replace('{number}', COLLEAGUE), callerId: '+15550001111', ringTimeoutS: 20,
  });
  const send = (owner: ServerOwner, callId: string, event: Untimed<PartyEvent>) =>
    expect(owner.engine!.sendPartyEvent(callId, { ...event, at: Date.now() } as PartyEvent)).toBe(true);

  async function connectedCall(): Promise<string> {
    first.start();
    await waitFor(() => first.isConnected(), { what: 'the first owner connected to the server' });
    const placed = await desk.placeCall({ agentTelegramId: '2001', targetInput: CUSTOMER });
    if (!placed.ok) throw new Error(`refused: ${placed.refusal}`);
    wake.next('a1');
    const { callId } = placed;
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'connected', { what: 'the call connected' });
    const { agent, customer, main } = ids(callId);
    await waitFor(() => members(main) === [agent, customer].sort().join(), { what: 'agent and customer bridged' });
    return callId;
  }

  async function consultingCall(): Promise<string> {
    const callId = await connectedCall();
    const { agent, customer, p3, main, consult } = ids(callId);
    send(first, callId, { type: 'TransferRequested', mode: 'warm', party: colleague(), by: '2001' });
    await waitFor(() => upInAsterisk(p3) && members(consult) === [agent, p3].sort().join() && members(main) === customer, { what: 'the agent consulting, the customer on hold' });
    await waitFor(async () => (await stores.legs.legsOf([callId])).get(callId)?.find((l) => l.legId === 'p3')?.answeredAt != null, { what: 'the consulted leg recorded answered' });
    return callId;
  }

  /** Killed: the server and the database hear nothing more from it; its lease lapses; the second owner takes the server. */
  async function firstKilledAndSecondTakesOver(callId: string): Promise<ServerOwner> {
    firstClock.kill();
    await firstAri.close();
    const successor = ownerNamed('second', { ari: adapter });
    second = successor;
    successor.start();
    await waitFor(() => successor.engine?.callState(callId) !== undefined, { what: 'the call taken over', timeoutMs: TTL_MS + 5000 });
    return successor;
  }

  it.each([
    ['completes it, then the customer is off hold with the consulted party, the agent and the consult bridge gone', 'complete'],
    ['goes back, then the consulted party is hung up and the agent is with the customer again', 'back'],
  ] as const)('given the owner killed mid-consultation, then the successor carries the consultation on; when the agent %s; and at the end nothing is left and the call and its legs are ended once', async (_then, how) => {
    const callId = await consultingCall();
    const { agent, customer, p3, main, consult } = ids(callId);
    const musicStarted = mohRequests('POST', main);
    expect(musicStarted).toBe(1);

    const successor = await firstKilledAndSecondTakesOver(callId);

    // The consultation goes on: the agent and the colleague still talk, the customer still waits with music.
    const state = successor.engine!.callState(callId)!;
    expect(state.operation).toMatchObject({ kind: 'consult', legId: 'p3' });
    expect(Object.fromEntries(state.legs.map((l) => [l.id, [l.status, l.bridge]]))).toEqual({
      agent: ['up', 'consult'], target: ['held', 'main'], p3: ['up', 'consult'],
    });
    expect(members(consult)).toBe([agent, p3].sort().join());
    expect(members(main)).toBe(customer);
    expect([agent, customer, p3].every(upInAsterisk)).toBe(true);
    expect(mohRequests('DELETE', main)).toBe(0);

    send(successor, callId, { type: 'ConsultFinished', how, by: '2001' });
    if (how === 'complete') {
      await waitFor(() => gone(agent) && gone(consult) && members(main) === [customer, p3].sort().join(), { what: 'customer and colleague bridged' });
    } else {
      await waitFor(() => gone(p3) && gone(consult) && members(main) === [agent, customer].sort().join(), { what: 'agent and customer bridged again' });
    }
    expect(mohRequests('DELETE', main)).toBe(1);
    expect((await stores.calls.byId(callId))?.stage).toBe('connected');

    sim.farEndHangup(customer);
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'no channel or bridge left' });
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'ended', { what: 'the call row ended' });
    const row = await stores.calls.byId(callId);
    expect(row).toMatchObject({ outcome: 'completed', endedBy: 'target' });
    await waitFor(async () => ((await stores.legs.legsOf([callId])).get(callId) ?? []).every((l) => l.endedAt !== null), { what: 'every leg row ended' });
    const legs = (await stores.legs.legsOf([callId])).get(callId) ?? [];
    expect(legs.map((l) => l.legId)).toEqual(['agent', 'target', 'p3']);
    // Ended once, by the successor: the killed owner neither saw nor wrote the end.
    const ends = updates.filter((u) => u.update.context.callId === callId && u.update.stage === 'ended');
    expect(ends.map((u) => u.owner)).toEqual(['second']);
    expect(first.engine?.callState(callId)?.stage).toBe('connected');
  });

  it('given the owner killed while a cold transfer to a number rings, then the successor carries it on: when the number answers, the agent leaves, the customer\'s ringback stops, and the customer talks with the number', async () => {
    // Answered a while after the kill: by the successor's event socket, or read back on its take-over if that comes later.
    sim.setFarEnd((endpoint) => (endpoint.includes(COLLEAGUE) ? { kind: 'answer', ringMs: 4000 } : undefined));
    const callId = await connectedCall();
    const { agent, customer, p3, main } = ids(callId);
    send(first, callId, { type: 'TransferRequested', mode: 'cold', party: colleague(), by: '2001' });
    await waitFor(() => sim.channels().some((c) => c.id === p3 && c.state === 'Ringing') && members(main) === [agent, customer, p3].sort().join(), { what: 'the number ringing' });
    await waitFor(async () => (await stores.legs.legsOf([callId])).get(callId)?.some((l) => l.legId === 'p3') ?? false, { what: 'the added leg recorded' });

    const successor = await firstKilledAndSecondTakesOver(callId);
    await waitFor(() => gone(agent) && members(main) === [customer, p3].sort().join() && upInAsterisk(p3), { what: 'customer and number bridged, agent gone' });
    expect(successor.engine!.callState(callId)).toMatchObject({ operation: { kind: 'none' }, owner: { agentId: expect.any(Number), legId: null } });
    expect(sim.requests().some((r) => r.method === 'DELETE' && r.path === `/ari/playbacks/${partyRingbackId(callId, 'p3')}`)).toBe(true);

    sim.farEndHangup(p3);
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'no channel or bridge left' });
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'ended', { what: 'the call row ended' });
    expect(updates.filter((u) => u.update.context.callId === callId && u.update.stage === 'ended').map((u) => u.owner)).toEqual(['second']);
  });
});
