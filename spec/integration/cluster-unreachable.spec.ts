import { ClusterCallStore } from '../../cluster/cluster-call-store';
import { buildApp } from '../support/built-app';
import type { CallRowAsStored } from '../support/call-rows';
import { ANN, ANN_AND_BOB, BOB, ClusterHarness, type ClusterInstance } from '../support/cluster-harness';
import { testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

const CUSTOMER = '+12025550123';
const LEASE_TTL_MS = 3000;
/** Instance 0 can log in to the one server; instance 1 is given a wrong password for it. */
const GOOD = 0;
const BAD = 1;

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

/**
 * Cluster mode when one instance cannot reach a server's ARI (a wrong password on it; a network
 * partition between it and the server looks the same): two instances over one simulated server.
 */
onPostgres('cluster: an owner that cannot reach its server', () => {
  let h: ClusterHarness;

  beforeAll(() => buildApp(), 180_000);
  afterEach(() => h.stop());

  const start = (downAfterS: number, instances = 2, bad: readonly number[] = [BAD]) => ClusterHarness.start({
    instances, simulators: 1, agents: ANN_AND_BOB, leaseTtlMs: LEASE_TTL_MS,
    ariPasswordOf: (i) => (bad.includes(i) ? 'not-the-password' : undefined),
    env: { ASTERISK_DOWN_AFTER_S: String(downAfterS), ASTERISK_HAND_BACK_AFTER_S: '1', ASTERISK_STAY_AWAY_S: '30' },
  });

  const logged = (i: number, message: string) => h.logsOf(i).filter((l) => l.message === message);

  /** Waits until one of `instances` holds the server's lease and has recorded its ARI connected; that one. */
  async function ownedAndConnected(instances: readonly ClusterInstance[], timeoutMs: number): Promise<ClusterInstance> {
    return waitFor(async () => {
      const holder = await h.holderOf('asterisk:a1');
      const [view] = await h.withDatabase((db) => new ClusterCallStore(db).servers(['a1']));
      return view?.connected === true ? instances.find((i) => i.id === holder?.id) : undefined;
    }, { what: `one of ${instances.map((i) => i.id).join(', ')} owning a1, connected`, timeoutMs });
  }

  async function connectedCall(agent: number): Promise<CallRowAsStored> {
    await h.sendCommand(agent, `/call ${CUSTOMER}`);
    await waitFor(() => /Connected/.test(h.statusOf(agent)?.text ?? ''), { what: `agent ${agent}'s call connected`, timeoutMs: 20_000 });
    return h.lastCallOf(agent);
  }

  it('given the owner of a connected call is killed and the instance that cannot log in takes the server, when the good instance is back, then within a bounded time it owns the server, takes the call over, and new calls are placed', async () => {
    h = await start(60);
    // Whichever of the two took the lease first, the one that can log in ends up with it.
    await ownedAndConnected([h.instance(GOOD)], 15_000);
    const call = await connectedCall(ANN);

    h.kill(GOOD, 'SIGKILL');
    await h.exited(GOOD);
    await waitFor(async () => (await h.holderOf('asterisk:a1'))?.id === h.instance(BAD).id, { what: 'the bad instance taking the server', timeoutMs: 15_000 });
    const backAt = Date.now();
    await h.restart(GOOD);

    await waitFor(() => logged(GOOD, 'took over a call').some((l) => l.callId === call.id), { what: 'the call taken over by the good instance', timeoutMs: 20_000 });
    expect(Date.now() - backAt).toBeLessThan(20_000);
    expect(logged(BAD, 'cannot reach Asterisk server; handing it to another instance').length).toBeGreaterThan(0);
    expect(logged(BAD, 'took over a call')).toEqual([]);
    expect((await h.lastCallOf(ANN)).stage).toBe('connected');
    expect(h.sim(0).channels().filter((c) => c.id.startsWith(call.id) && c.state === 'Up')).toHaveLength(2);

    const next = await connectedCall(BOB);
    expect(next.server_id).toBe('a1');
    expect(h.messagesTo(BOB).some((m) => /Telephony is offline/.test(m.text))).toBe(false);

    h.sim(0).farEndHangup(`${call.id}-target`);
    await waitFor(async () => (await h.lastCallOf(ANN)).stage === 'ended', { what: 'the taken-over call ended', timeoutMs: 10_000 });
    expect(await h.lastCallOf(ANN)).toMatchObject({ outcome: 'completed', ended_by: 'target' });
  });

  it('given the owner of a connected call is killed and the only instance left cannot log in, then after ASTERISK_DOWN_AFTER_S the call ends as failed with the reason and its agent is told once; when an instance that can log in is back, it owns the server and new calls are placed', async () => {
    h = await start(2);
    await ownedAndConnected([h.instance(GOOD)], 15_000);
    const call = await connectedCall(ANN);

    h.kill(GOOD, 'SIGKILL');
    await h.exited(GOOD);
    await waitFor(async () => (await h.lastCallOf(ANN)).stage === 'ended', { what: 'the call on the unreachable server ended', timeoutMs: 20_000 });
    const ended = await h.lastCallOf(ANN);
    expect(ended.outcome).toBe('failed');
    expect(ended.detail).toContain('Asterisk server a1 has been unreachable');
    await waitFor(() => /⚠️/.test(h.statusOf(ANN)?.text ?? ''), { what: 'the agent told', timeoutMs: 10_000 });
    expect(logged(BAD, 'Asterisk server unreachable; its calls are ended and new calls go to other servers').map((l) => l.ended)).toContain(1);

    await h.restart(GOOD);
    await ownedAndConnected([h.instance(GOOD)], 20_000);
    const next = await connectedCall(BOB);
    expect(next.server_id).toBe('a1');
    // The ended call's channels were left in Asterisk while nobody could reach it: the new owner's sweep hangs them up.
    await waitFor(() => h.sim(0).channels().every((c) => !c.id.startsWith(call.id)), { what: 'the ended call\'s channels hung up', timeoutMs: 10_000 });

    expect(h.statusMessages(ANN)).toHaveLength(1);
    expect((h.statusOf(ANN)?.history ?? []).filter((text) => /⚠️/.test(text))).toHaveLength(1);
    expect(await h.lastCallOf(ANN)).toMatchObject({ id: call.id, stage: 'ended', outcome: 'failed' });
  });

  it('given four instances, two of which cannot log in, when the owner of a connected call is killed, then the calls are not ended while an instance is left to try: the other one that can log in takes the server and the call over', async () => {
    // With ASTERISK_DOWN_AFTER_S shorter than the hand-backs take, only the instances left to try keep the call alive.
    h = await start(1, 4, [1, 2]);
    const good = [h.instance(0), h.instance(3)];
    const owner = await ownedAndConnected(good, 20_000);
    const call = await connectedCall(ANN);
    const other = good.find((i) => i.id !== owner.id)!;

    h.kill(owner.index, 'SIGKILL');
    await h.exited(owner.index);

    await waitFor(() => logged(other.index, 'took over a call').some((l) => l.callId === call.id), { what: 'the call taken over by the other good instance', timeoutMs: 30_000 });
    expect((await h.lastCallOf(ANN)).stage).toBe('connected');
    for (const bad of [1, 2]) expect(logged(bad, 'Asterisk server unreachable; its calls are ended and new calls go to other servers')).toEqual([]);
    const next = await connectedCall(BOB);
    expect(next.server_id).toBe('a1');
  });
});
