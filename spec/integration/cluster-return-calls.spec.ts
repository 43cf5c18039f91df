import { type Observable, Subject, type Subscription } from 'rxjs';
import type { DataSource } from 'typeorm';
import { AriAdapter } from '../../ari/ari-adapter';
import type { CallUpdate } from '../../call/call-update';
import { loadConfig } from '../../config/config';
import { silentLogger } from '../../config/logger';
import { ClusterCallStore } from '../../cluster/cluster-call-store';
import { ClusterDesk } from '../../cluster/cluster-desk';
import { clusterReturnCalls } from '../../cluster/cluster-return-calls';
import { LeaseStore } from '../../cluster/lease-store';
import { type OwnedAri, ServerOwner } from '../../cluster/server-owner';
import { DEFAULT_RETURN_CALL_SETTINGS } from '../../engine/call-engine';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import type { AriSimulator } from '../support/ari-simulator';
import { OPEN_RULES_ENV } from '../support/bot-harness';
import { seedVerifiedCallerIds } from '../support/caller-id-pool';
import { KillableClock } from '../support/killable-clock';
import { SIM_CREDENTIALS, simulatedAri } from '../support/simulated-ari';
import { CAUSE } from '../support/ari-simulator/causes';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const kind = testDatabaseKind();
/** Real milliseconds for the database's expiry of a lease. */
const TTL_MS = 1500;
const POOL_NUMBER = '+15550001111';
const CUSTOMER = '+12025550123';
const OTHER_CUSTOMER = '+12025550188';
const ANN_PHONE = '+15551230001';
const BOB_PHONE = '+15551230002';
/** Short enough for a spec to see an agent not answer (RETURN_CALL_RING_TIMEOUT_S's least). */
const RING_TIMEOUT_S = 5;
const SETTINGS = { ...DEFAULT_RETURN_CALL_SETTINGS, ringTimeoutS: RING_TIMEOUT_S };

type Instance = 'one' | 'two';
interface Shown {
  owner: Instance;
  callId: string;
  agentTelegramId: string;
  how: 'return call' | 'taken over';
  /** The agent the follower tells of a missed call: who called the customer before. */
  lastCallAgentId?: number;
}

/**
 * Return calls in cluster mode: two instances on one database, two Asterisk servers (each an ARI
 * simulator). Instance one owns server a1 and instance two owns a2; a customer's call to a pool
 * number is taken by the owner of the server it arrives on, which rings the agent there, with
 * "busy" read from every server's calls and the agent it rings taken in the database.
 */
describe(`return calls in a cluster of two instances and two servers, on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;
  let config: ReturnType<typeof loadConfig>;
  let ann: number;
  let bob: number;
  const sims: Partial<Record<'a1' | 'a2', AriSimulator>> = {};
  const owners: ServerOwner[] = [];
  const wake = new Subject<string>();
  const shown: Shown[] = [];
  const finals: { owner: Instance; update: CallUpdate }[] = [];
  const subscriptions: Subscription[] = [];
  /** While set, each owner's read of the busy agents waits for it (two calls deciding at once). */
  let busyReadsHeld: Promise<void> | undefined;
  let busyReads = 0;

  const sim = (id: 'a1' | 'a2'): AriSimulator => sims[id]!;
  const server = (id: 'a1' | 'a2') => ({ id, url: sim(id).url, ...SIM_CREDENTIALS, routes: ['M' as const, 'D' as const], weight: 1 });
  /** Each owner's adapter, with its ARI requests still waiting for an answer. */
  const adapters: { ari: AriAdapter; inFlight: number }[] = [];
  const adapter = (id: 'a1' | 'a2', mayConnect: () => boolean): OwnedAri => {
    const made = new AriAdapter({
      url: sim(id).url, ...SIM_CREDENTIALS, app: config.ari.app, logger: silentLogger(),
      requestTimeoutMs: 1000, reconnectMinMs: 50, reconnectMaxMs: 200, keepaliveMs: 500, mayConnect,
    });
    const entry = { ari: made, inFlight: 0 };
    adapters.push(entry);
    return new Proxy(made, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof value !== 'function' || property === 'start' || property === 'close') return value;
        return (...args: unknown[]) => {
          const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (result instanceof Promise) {
            entry.inFlight += 1;
            result.then(() => { entry.inFlight -= 1; }, () => { entry.inFlight -= 1; });
          }
          return result;
        };
      },
    });
  };
  const follow = (owner: Instance, updates: Observable<CallUpdate>) => {
    subscriptions.push(updates.subscribe((update) => { if (update.final) finals.push({ owner, update }); }));
  };

  /** The owner, on instance `instance`, of server `serverId`; given a clock, it stops renewing its lease when the spec kills it. */
  function ownerOn(instance: Instance, serverId: 'a1' | 'a2', clock?: KillableClock): ServerOwner {
    const owner = new ServerOwner({
      server: server(serverId), config, instanceId: instance, leaseTtlMs: TTL_MS, serverDownAfterS: 60, handBackAfterS: 60, stayAwayS: 60,
      leases: new LeaseStore(dataSource), clusterCalls: new ClusterCallStore(dataSource), parties: stores.legs,
      agents: stores.agents, audit: stores.audit, logger: silentLogger(), wakeUps: wake,
      follow: (row, updates) => {
        const lastCallAgentId = row.context.returnCall?.lastCall?.agentId;
        shown.push({ owner: instance, callId: row.id, agentTelegramId: row.context.agentTelegramId, how: 'taken over', ...(lastCallAgentId !== undefined ? { lastCallAgentId } : {}) });
        follow(instance, updates);
      },
      returnCalls: (fence) => {
        const made = clusterReturnCalls({ dataSource, stores, settings: SETTINGS }, serverId, fence);
        const sources = made.sources!;
        return {
          ...made,
          sources: {
            ...sources,
            busyAgents: async () => {
              const busy = await sources.busyAgents!();
              busyReads += 1;
              await busyReadsHeld;
              return busy;
            },
          },
        };
      },
      followReturnCall: (view) => {
        shown.push({ owner: instance, callId: view.context.callId, agentTelegramId: view.context.agentTelegramId, how: 'return call' });
        follow(instance, view.updates);
      },
      connectAri: (_server, mayConnect) => adapter(serverId, mayConnect),
      ...(clock ? { clock, now: () => clock.now() } : {}),
    });
    owners.push(owner);
    return owner;
  }

  beforeEach(async () => {
    sims.a1 = (await simulatedAri({ ringMs: 30 })).sim;
    sims.a2 = (await simulatedAri({ ringMs: 30 })).sim;
    config = loadConfig({
      TELEGRAM_BOT_TOKEN: '1:test', SUPER_ADMIN_IDS: '1', ARI_URL: sim('a1').url, ARI_USERNAME: SIM_CREDENTIALS.username, ARI_PASSWORD: SIM_CREDENTIALS.password,
      RETURN_CALL_RING_TIMEOUT_S: String(RING_TIMEOUT_S), ...OPEN_RULES_ENV,
    });
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
    stores = createStores(dataSource);
    await seedVerifiedCallerIds(stores, [POOL_NUMBER], ['M']);
    for (const [telegramId, phone, displayName] of [['2001', ANN_PHONE, 'Ann'], ['2002', BOB_PHONE, 'Bob']] as const) {
      await stores.agents.authorize({ telegramId, phone, callerId: POOL_NUMBER, by: '1', displayName });
      await stores.agents.setRoute(telegramId, 'M');
    }
    ann = (await stores.agents.byTelegramId('2001'))!.id;
    bob = (await stores.agents.byTelegramId('2002'))!.id;
    busyReadsHeld = undefined;
    busyReads = 0;
  });

  afterEach(async () => {
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    shown.splice(0);
    finals.splice(0);
    for (const owner of owners.splice(0)) await owner.stop();
    for (const made of adapters.splice(0)) await made.ari.close();
    await closeDatabase(dataSource);
    await sim('a1').stop();
    await sim('a2').stop();
  });

  /** Ann called the customer from the pool number an hour ago. */
  async function annCalled(customer: string, id = '11111111-1111-4111-8111-111111111111'): Promise<string> {
    const at = new Date(Date.now() - 3600_000);
    await stores.calls.recordCallRequest({
      id, agentId: ann, targetInput: customer, target: customer, callerId: POOL_NUMBER, route: 'M',
      stage: 'ended', outcome: 'completed', requestedAt: at, endedAt: at, disposition: 'callback', note: 'wants a quote',
    });
    return id;
  }

  async function owning(...pairs: [Instance, 'a1' | 'a2'][]): Promise<ServerOwner[]> {
    const started = pairs.map(([instance, serverId]) => ownerOn(instance, serverId));
    for (const owner of started) owner.start();
    await waitFor(() => started.every((o) => o.isConnected()), { what: 'every owner connected to its server' });
    return started;
  }

  /** The customer's INVITE reached server `serverId`, which put its ringing channel into the app (asterisk/extensions.conf). */
  function customerCalls(serverId: 'a1' | 'a2', channelId: string, from = CUSTOMER, called = POOL_NUMBER): void {
    sim(serverId).callIn({ channelId, endpoint: 'PJSIP/trunk-main', app: config.ari.app, calledNumber: called.slice(1), callerNumber: from });
  }

  const agentInvites = (serverId: 'a1' | 'a2') => sim(serverId).invites().map((i) => i.endpoint).filter((e) => e.includes('+1555123'));
  const nothingLeft = (serverId: 'a1' | 'a2') => sim(serverId).channels().length === 0 && sim(serverId).bridges().length === 0;

  /** The agent's own call, placed through the cluster's desk on a1 (owned by instance one) and connected there. */
  async function placedAndConnectedOnA1(agentTelegramId: string): Promise<string> {
    const desk = new ClusterDesk({
      config, agents: stores.agents, calls: stores.calls, audit: stores.audit, logger: silentLogger(),
      servers: [server('a1')], clusterCalls: new ClusterCallStore(dataSource), owners: owners.filter((o) => o.serverId === 'a1'), rows: stores.calls,
    });
    const placed = await desk.placeCall({ agentTelegramId, targetInput: OTHER_CUSTOMER });
    if (!placed.ok) throw new Error(`the agent's call was refused: ${placed.refusal}`);
    wake.next('a1');
    await waitFor(async () => (await stores.calls.byId(placed.callId))?.stage === 'connected', { what: 'the agent\'s call connected on a1' });
    return placed.callId;
  }

  /** The return call an owner took on server `serverId` and showed to its agent (one per server in each case). */
  async function returnCallOn(serverId: 'a1' | 'a2'): Promise<string> {
    let found: string | undefined;
    await waitFor(async () => {
      for (const s of shown.filter((e) => e.how === 'return call')) {
        if ((await stores.calls.byId(s.callId))?.serverId === serverId) found = s.callId;
      }
      return found !== undefined;
    }, { what: `a return call shown on ${serverId}` });
    return found!;
  }

  it('given Ann called the customer from a pool number, when the customer calls it on server a2 owned by instance two, then instance two rings Ann on a2, joins them, and records the call as inbound on a2, returning Ann\'s call', async () => {
    const earlier = await annCalled(CUSTOMER);
    await owning(['one', 'a1'], ['two', 'a2']);

    customerCalls('a2', 'in-1');
    const callId = await returnCallOn('a2');
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'connected', { what: 'Ann answered and the two joined' });

    expect(shown).toEqual([{ owner: 'two', callId, agentTelegramId: '2001', how: 'return call' }]);
    expect(agentInvites('a2')).toEqual([`PJSIP/${ANN_PHONE}@trunk-main`]);
    expect(agentInvites('a1')).toEqual([]);
    expect(await stores.calls.byId(callId)).toMatchObject({
      direction: 'inbound', returnsCallId: earlier, serverId: 'a2', target: CUSTOMER, callerId: POOL_NUMBER, onCallAgentId: ann,
    });

    sim('a2').farEndHangup('in-1');
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'ended', { what: 'the call ended' });
    await waitFor(() => nothingLeft('a2'), { what: 'no channel or bridge left on a2' });
    expect(await stores.calls.byId(callId)).toMatchObject({ outcome: 'completed', endedBy: 'target' });
    expect(finals.map((f) => [f.owner, f.update.context.callId])).toEqual([['two', callId]]);
  });

  it('given Ann is on a call on server a1, when the customer she called calls back on a2, then instance two rings Bob, not Ann', async () => {
    await annCalled(CUSTOMER);
    await owning(['one', 'a1'], ['two', 'a2']);
    const annsCall = await placedAndConnectedOnA1('2001');

    customerCalls('a2', 'in-1');
    const callId = await returnCallOn('a2');
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'connected', { what: 'Bob answered' });

    expect(agentInvites('a2')).toEqual([`PJSIP/${BOB_PHONE}@trunk-main`]);
    expect(shown.filter((s) => s.how === 'return call')).toEqual([{ owner: 'two', callId, agentTelegramId: '2002', how: 'return call' }]);
    expect(await stores.calls.byId(callId)).toMatchObject({ onCallAgentId: bob, serverId: 'a2' });
    expect(await stores.calls.byId(annsCall)).toMatchObject({ stage: 'connected', onCallAgentId: ann });
  });

  it('given Ann called two customers and both call back at the same moment, one on each server, with both owners deciding at once, then one call rings Ann and the other Bob: never Ann twice', async () => {
    await annCalled(CUSTOMER);
    await annCalled(OTHER_CUSTOMER, '22222222-2222-4222-8222-222222222222');
    for (const id of ['a1', 'a2'] as const) sim(id).setFarEnd((endpoint) => (endpoint.includes('+1555123') ? { kind: 'ring-forever' } : undefined));
    await owning(['one', 'a1'], ['two', 'a2']);
    let release = (): void => {};
    busyReadsHeld = new Promise((resolve) => { release = resolve; });

    customerCalls('a1', 'in-1', CUSTOMER);
    customerCalls('a2', 'in-2', OTHER_CUSTOMER);
    // Both owners have read the busy agents (nobody) before either recorded its call: both choose Ann.
    await waitFor(() => busyReads >= 2, { what: 'both owners read who is busy' });
    release();

    const first = await returnCallOn('a1');
    const second = await returnCallOn('a2');
    await waitFor(() => agentInvites('a1').length + agentInvites('a2').length === 2, { what: 'both calls ringing an agent' });
    expect([...agentInvites('a1'), ...agentInvites('a2')].sort()).toEqual([`PJSIP/${ANN_PHONE}@trunk-main`, `PJSIP/${BOB_PHONE}@trunk-main`]);
    const onCall = [(await stores.calls.byId(first))?.onCallAgentId, (await stores.calls.byId(second))?.onCallAgentId];
    expect(onCall.sort()).toEqual([ann, bob].sort());
  });

  it('given the return call rings Ann with Bob next, when Bob takes a call on server a1 meanwhile and Ann does not answer, then Bob is not rung: the customer hears the missed-call message', async () => {
    await annCalled(CUSTOMER);
    sim('a2').setFarEnd((endpoint) => (endpoint.includes(ANN_PHONE) ? { kind: 'ring-forever' } : undefined));
    await owning(['one', 'a1'], ['two', 'a2']);
    customerCalls('a2', 'in-1');
    const callId = await returnCallOn('a2');
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'agent_ringing', { what: 'Ann\'s phone ringing' });

    const bobsCall = await placedAndConnectedOnA1('2002');
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'ended', { what: 'the return call ended unanswered', timeoutMs: 15_000 });

    expect(agentInvites('a2')).toEqual([`PJSIP/${ANN_PHONE}@trunk-main`]);
    expect(sim('a2').requests().some((r) => r.method === 'POST' && r.path === '/ari/channels/in-1/play')).toBe(true);
    expect(await stores.calls.byId(callId)).toMatchObject({ outcome: 'agent_unreachable', onCallAgentId: ann });
    expect(await stores.calls.byId(bobsCall)).toMatchObject({ stage: 'connected', onCallAgentId: bob });
    await waitFor(() => nothingLeft('a2'), { what: 'no channel or bridge left on a2' });
  });

  it('given a customer calls a number outside the caller-ID pool on a2, then instance two refuses it: nothing rings, no call is recorded', async () => {
    await annCalled(CUSTOMER);
    await owning(['one', 'a1'], ['two', 'a2']);

    customerCalls('a2', 'in-1', CUSTOMER, '+15559990000');
    await waitFor(() => nothingLeft('a2'), { what: 'the inbound channel refused' });

    expect(sim('a2').requests().some((r) => r.method === 'DELETE' && r.path.startsWith('/ari/channels/in-1'))).toBe(true);
    expect(agentInvites('a2')).toEqual([]);
    expect(shown).toEqual([]);
    expect(await stores.calls.liveCalls()).toEqual([]);
  });

  const bridged = (callId: string) => sim('a1').bridges().find((b) => b.id === `${callId}-bridge`)?.channels.slice().sort().join() === [`${callId}-agent`, 'in-1'].sort().join();

  const dyingClock = new Map<ServerOwner, KillableClock>();

  /** Instance one owns a1 and renews its lease like any owner until the spec kills it (killedAndTakenOver). */
  async function dyingOwnerOfA1(): Promise<ServerOwner> {
    const clock = new KillableClock();
    const dying = ownerOn('one', 'a1', clock);
    dyingClock.set(dying, clock);
    dying.start();
    await waitFor(() => dying.isConnected(), { what: 'instance one owns a1' });
    return dying;
  }

  /** Killed: the server hears nothing more from it (its event socket cut, its timers stopped, nothing ended in order); instance two takes a1 once the lease lapses. */
  async function killedAndTakenOver(dying: ServerOwner, callId: string): Promise<ServerOwner> {
    dyingClock.get(dying)!.kill();
    await dying.engine!.stop();
    // Its requests already sent are answered first: cut off mid-request, it would end the call itself.
    await waitFor(() => adapters[0]!.inFlight === 0, { what: 'instance one\'s requests answered' });
    await dying.engine!.writesSettled();
    await adapters[0]!.ari.close();
    const successor = ownerOn('two', 'a1');
    successor.start();
    await waitFor(() => successor.engine?.callState(callId) !== undefined, { what: 'instance two took the call over', timeoutMs: TTL_MS + 5000 });
    return successor;
  }

  it('given a return call connected on a1, when its owner dies, then the instance that takes a1 over carries it on, and when the customer hangs up no channel, bridge or live row is left and one final status is shown', async () => {
    await annCalled(CUSTOMER);
    const dying = await dyingOwnerOfA1();
    customerCalls('a1', 'in-1');
    const callId = await returnCallOn('a1');
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'connected', { what: 'Ann answered' });
    await waitFor(() => bridged(callId), { what: 'Ann and the customer bridged on a1' });

    const successor = await killedAndTakenOver(dying, callId);

    // Still talking: the customer and Ann bridged, the call connected, shown to Ann as the return call it is.
    expect(successor.engine!.callState(callId)).toMatchObject({ stage: 'connected' });
    expect(bridged(callId)).toBe(true);
    expect(shown.filter((s) => s.how === 'taken over')).toEqual([{ owner: 'two', callId, agentTelegramId: '2001', how: 'taken over', lastCallAgentId: ann }]);

    sim('a1').farEndHangup('in-1');
    await waitFor(() => nothingLeft('a1'), { what: 'no channel or bridge left on a1' });
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'ended', { what: 'the call row ended' });
    expect(await stores.calls.byId(callId)).toMatchObject({ outcome: 'completed', endedBy: 'target' });
    expect(await stores.calls.liveCalls()).toEqual([]);
    expect(finals.map((f) => [f.owner, f.update.context.callId])).toEqual([['two', callId]]);
  });

  it('given Ann\'s phone ringing for a return call on a1 with Bob next, when its owner dies and Ann does not answer, then the instance that takes a1 over rings Bob, and his answer joins him to the customer', async () => {
    await annCalled(CUSTOMER);
    sim('a1').setFarEnd((endpoint) => (endpoint.includes(ANN_PHONE) ? { kind: 'ring-forever' } : undefined));
    const dying = await dyingOwnerOfA1();
    customerCalls('a1', 'in-1');
    const callId = await returnCallOn('a1');
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'agent_ringing', { what: 'Ann\'s phone ringing' });

    await killedAndTakenOver(dying, callId);
    sim('a1').farEndHangup(`${callId}-agent`, CAUSE.NO_ANSWER);
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'connected', { what: 'Bob answered', timeoutMs: 15_000 });
    await waitFor(() => bridged(callId), { what: 'Bob and the customer bridged on a1' });

    expect(agentInvites('a1')).toEqual([`PJSIP/${ANN_PHONE}@trunk-main`, `PJSIP/${BOB_PHONE}@trunk-main`]);
    expect(await stores.calls.byId(callId)).toMatchObject({ onCallAgentId: bob, serverId: 'a1' });
    sim('a1').farEndHangup('in-1');
    await waitFor(() => nothingLeft('a1'), { what: 'no channel or bridge left on a1' });
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'ended', { what: 'the call row ended' });
    expect(await stores.calls.byId(callId)).toMatchObject({ outcome: 'completed', endedBy: 'target' });
    expect(finals.map((f) => [f.owner, f.update.context.callId, f.update.outcome])).toEqual([['two', callId, 'completed']]);
  });

  it('given Ann\'s phone ringing for a return call on a1 and nobody else on the route, when its owner dies and nobody answers, then the instance that takes a1 over plays the customer the missed-call message and ends the call once, with nothing left', async () => {
    await annCalled(CUSTOMER);
    // Bob takes the other route's calls: Ann is the last agent the call can ring.
    await stores.agents.setRoute('2002', 'D');
    sim('a1').setFarEnd((endpoint) => (endpoint.includes('+1555123') ? { kind: 'ring-forever' } : undefined));
    const dying = await dyingOwnerOfA1();
    customerCalls('a1', 'in-1');
    const callId = await returnCallOn('a1');
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'agent_ringing', { what: 'Ann\'s phone ringing' });

    await killedAndTakenOver(dying, callId);
    expect(shown.filter((s) => s.how === 'taken over')).toEqual([{ owner: 'two', callId, agentTelegramId: '2001', how: 'taken over', lastCallAgentId: ann }]);

    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'ended', { what: 'the call ended unanswered', timeoutMs: 15_000 });
    await waitFor(() => nothingLeft('a1'), { what: 'no channel or bridge left on a1' });
    expect(sim('a1').requests().some((r) => r.method === 'POST' && r.path === '/ari/channels/in-1/play')).toBe(true);
    expect(await stores.calls.byId(callId)).toMatchObject({ outcome: 'agent_no_answer', endedBy: 'app' });
    expect(await stores.calls.liveCalls()).toEqual([]);
    // One final status, the successor's: the one whose agent the follower tells of the missed call (lastCallAgentId above).
    expect(finals.map((f) => [f.owner, f.update.context.callId, f.update.outcome])).toEqual([['two', callId, 'agent_no_answer']]);
  });
});
