import { PARTY } from '../../telegram/texts';
import { buildApp } from '../support/built-app';
import { ANN, ANN_AND_BOB, BOB, ClusterHarness, type ClusterInstance } from '../support/cluster-harness';
import { testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

/**
 * Transfer in cluster mode, on the instance that runs the call: its status message carries the
 * party buttons, the request is answered by that instance's engines, and the agent who takes the
 * call gets its status message. (A call another instance runs is passed to its owner: cluster-party-requests.spec.ts.)
 */
onPostgres('cluster: transfer on the instance that runs the call', () => {
  let h: ClusterHarness;

  beforeAll(() => buildApp(), 180_000);
  beforeEach(async () => {
    h = await ClusterHarness.start({ instances: 1, simulators: 1, agents: ANN_AND_BOB });
    await h.serversSettled();
  });
  afterEach(() => h.stop());

  it('given a connected call on the instance that owns its server, when the agent transfers it cold to another agent, then that agent\'s chat follows the call and can hang it up', async () => {
    await h.sendCommand(ANN, '/call +12025550123');
    await waitFor(() => h.statusOf(ANN)?.buttons.some((b) => b.text === PARTY.transferButton), { what: 'the Transfer button under the connected call', timeoutMs: 20_000 });
    await h.pressButton(ANN, PARTY.transferButton);
    await h.user(ANN).waitFor(/Cold: the customer goes/);
    await h.pressButton(ANN, PARTY.coldButton);
    await h.user(ANN).waitFor(/Cold transfer to whom\?/);
    await h.pressButton(ANN, 'Bob');
    await waitFor(() => /↪️ Transferred to Bob$/.test(h.statusOf(ANN)?.text ?? '') && h.statusOf(ANN)?.buttons.length === 0, { what: "Ann's status handed off", timeoutMs: 15_000 });
    await waitFor(() => /^🟢 Connected/.test(h.statusOf(BOB)?.text ?? '') && h.statusOf(BOB)?.buttons.some((b) => b.text === '⏹ Hang up'), { what: "Bob's status with its buttons", timeoutMs: 15_000 });

    // The call is not Ann's any more: her /hangup finds none (its row still names her as who placed it).
    await h.sendCommand(ANN, '/hangup');
    await h.user(ANN).waitFor(/You have no call in progress/);
    expect(h.sim(0).channels().filter((c) => c.state === 'Up')).toHaveLength(2);

    await h.pressButton(BOB, '⏹ Hang up');
    await waitFor(() => /^📴 Call ended/.test(h.statusOf(BOB)?.text ?? ''), { what: "the call ended in Bob's chat", timeoutMs: 15_000 });
    await waitFor(() => h.sim(0).channels().length === 0 && h.sim(0).bridges().length === 0, { what: 'nothing left in the simulator' });
  });
});

const LEASE_TTL_MS = 3000;
const COLLEAGUE = '+12025550199';

/**
 * A warm transfer whose owner dies mid-consultation, with real processes: two instances on one
 * server, Telegram's updates sent only to the instance that runs the call (its own party desk takes
 * them, not another's request to it), the owner SIGKILLed while the agent talks to the consulted party.
 */
onPostgres('cluster: a call in consultation survives its owner\'s SIGKILL', () => {
  let h: ClusterHarness;

  beforeAll(() => buildApp(), 180_000);
  beforeEach(async () => {
    h = await ClusterHarness.start({ instances: 2, simulators: 1, agents: ANN_AND_BOB, leaseTtlMs: LEASE_TTL_MS });
    await h.serversSettled();
  });
  afterEach(() => h.stop());

  const legsOf = (callId: string): Promise<{ leg_id: string; answered_at: Date | null; ended_at: Date | null }[]> =>
    h.withDatabase((db) => db.query('SELECT leg_id, answered_at, ended_at FROM call_legs WHERE call_id = $1 ORDER BY leg_id', [callId]));
  const ownerOf = async (serverId: string): Promise<ClusterInstance> => {
    const owner = await h.holderOf(`asterisk:${serverId}`);
    if (!owner) throw new Error(`nobody owns ${serverId}`);
    return owner;
  };
  const tookOver = (callId: string) => h.instances.find((i) => h.logsOf(i.index).some((l) => l.message === 'took over a call' && l.callId === callId));
  const members = (bridgeId: string) => h.sim(0).bridges().find((b) => b.id === bridgeId)?.channels.slice().sort().join() ?? null;
  const upInAsterisk = (channelId: string) => h.sim(0).channels().some((c) => c.id === channelId && c.state === 'Up');
  const gone = (id: string) => !h.sim(0).channels().some((c) => c.id === id) && !h.sim(0).bridges().some((b) => b.id === id);
  const mohRequests = (method: string, bridgeId: string) => h.sim(0).requests().filter((r) => r.method === method && r.path === `/ari/bridges/${bridgeId}/moh`).length;

  it.each([
    ['✅ Complete', 'the customer and the consulted party talk on, the agent gone, and the agent\'s status ends handed over to the number', PARTY.completeButton, /↪️ Transferred to \+1 202-555-0199$/],
    ['↩️ Back', 'the consulted party is hung up and the agent is with the customer again, and the agent\'s status ends with the call', PARTY.backButton, /^📴 Call ended/],
  ] as const)('given the agent consults a number while the customer hears music on hold and the owner is killed (SIGKILL), then the successor carries the consultation on; when the agent taps %s, then %s; at the end nothing is left in Asterisk, the call and its legs are ended, the final status shown once', async (_tap, _then, button, finalStatus) => {
    await h.sendCommand(ANN, '/call +12025550123');
    await waitFor(() => h.statusOf(ANN)?.buttons.some((b) => b.text === PARTY.transferButton), { what: 'the Transfer button under the connected call', timeoutMs: 20_000 });
    const call = await h.lastCallOf(ANN);
    const owner = await ownerOf(call.server_id!);
    // Every tap goes to the instance that runs the call: its own party desk answers, no request is passed.
    h.proxy.setUpstreams([owner.url]);
    const ids = { agent: `${call.id}-agent`, customer: `${call.id}-target`, p3: `${call.id}-p3`, main: `${call.id}-bridge`, consult: `${call.id}-consult` };

    await h.pressButton(ANN, PARTY.transferButton);
    await h.user(ANN).waitFor(/Cold: the customer goes/);
    await h.pressButton(ANN, PARTY.warmButton);
    await h.user(ANN).waitFor(/Warm transfer to whom\?/);
    await h.pressButton(ANN, PARTY.typeNumberButton);
    await h.user(ANN).waitFor(/Send the number to transfer/);
    await h.sendCommand(ANN, COLLEAGUE);
    await waitFor(() => upInAsterisk(ids.p3) && members(ids.consult) === [ids.agent, ids.p3].sort().join() && members(ids.main) === ids.customer,
      { what: 'the agent consulting, the customer on hold', timeoutMs: 15_000 });
    await waitFor(async () => (await legsOf(call.id)).find((l) => l.leg_id === 'p3')?.answered_at != null, { what: 'the consulted leg recorded answered' });
    await waitFor(() => h.statusOf(ANN)?.buttons.some((b) => b.text === PARTY.completeButton), { what: 'the Complete button' });
    expect(mohRequests('POST', ids.main)).toBe(1);

    h.kill(owner.index, 'SIGKILL');
    await h.exited(owner.index);
    const successor = await waitFor(() => tookOver(call.id), { what: 'the call taken over', timeoutMs: LEASE_TTL_MS + 10_000 });
    expect(successor.id).not.toBe(owner.id);

    // The consultation goes on: the agent and the consulted party still talk, the customer still waits with music.
    expect(members(ids.consult)).toBe([ids.agent, ids.p3].sort().join());
    expect(members(ids.main)).toBe(ids.customer);
    expect([ids.agent, ids.customer, ids.p3].every(upInAsterisk)).toBe(true);
    expect(mohRequests('DELETE', ids.main)).toBe(0);
    expect((await h.lastCallOf(ANN)).stage).toBe('connected');

    h.proxy.setUpstreams([successor.url]);
    await h.pressButton(ANN, button);
    if (button === PARTY.completeButton) {
      await waitFor(() => gone(ids.agent) && gone(ids.consult) && members(ids.main) === [ids.customer, ids.p3].sort().join(),
        { what: 'the customer and the consulted party bridged, the agent gone', timeoutMs: 15_000 });
    } else {
      await waitFor(() => gone(ids.p3) && gone(ids.consult) && members(ids.main) === [ids.agent, ids.customer].sort().join(),
        { what: 'the agent and the customer bridged again, the consulted party gone', timeoutMs: 15_000 });
    }
    expect(mohRequests('DELETE', ids.main)).toBe(1);
    expect((await h.lastCallOf(ANN)).stage).toBe('connected');

    h.sim(0).farEndHangup(ids.customer);
    await waitFor(() => h.sim(0).channels().length === 0 && h.sim(0).bridges().length === 0, { what: 'no channel or bridge left', timeoutMs: 10_000 });
    await waitFor(async () => (await h.lastCallOf(ANN)).stage === 'ended', { what: 'the call row ended', timeoutMs: 10_000 });
    expect(await h.lastCallOf(ANN)).toMatchObject({ outcome: 'completed', ended_by: 'target' });
    await waitFor(async () => (await legsOf(call.id)).every((l) => l.ended_at !== null), { what: 'every leg row ended' });
    expect((await legsOf(call.id)).map((l) => l.leg_id)).toEqual(['agent', 'p3', 'target']);
    await waitFor(() => finalStatus.test(h.statusOf(ANN)?.text ?? '') && h.statusOf(ANN)?.buttons.every((b) => !b.text.startsWith('⏹')), { what: 'the final status', timeoutMs: 10_000 });
    expect(h.statusMessages(ANN)).toHaveLength(1);
    expect((h.statusOf(ANN)?.history ?? []).filter((text) => finalStatus.test(text))).toHaveLength(1);
  });
});
