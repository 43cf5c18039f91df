import { T } from '../../telegram/texts';
import { buildApp } from '../support/built-app';
import { type CallRowAsStored, callsOfAgent } from '../support/call-rows';
import { ClusterHarness, type ClusterInstance, type SeedAgent } from '../support/cluster-harness';
import { testDatabaseKind } from '../support/test-database';
import { freePort } from '../support/free-port';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

/** Each test has agents of its own: the tests of a describe share one cluster, its chats and its calls table. */
const AGENTS: SeedAgent[] = Array.from({ length: 13 }, (_, n) => ({
  telegramId: String(2001 + n), phone: `+1555123${String(n + 1).padStart(4, '0')}`, route: 'M', callerId: `+1555000${1111 + n}`,
}));
const [SPREAD_1, SPREAD_2, SPREAD_3, SPREAD_4, KILLED, STOPPED, RINGING, SERVER_DOWN, SERVER_DOWN_2, SERVER_DOWN_3, TWICE, HANG_UP, PAUSED] =
  AGENTS.map((a) => Number(a.telegramId)) as [number, number, number, number, number, number, number, number, number, number, number, number, number];
const SPREAD = [SPREAD_1, SPREAD_2, SPREAD_3, SPREAD_4];
const phoneOf = (agent: number) => AGENTS.find((a) => a.telegramId === String(agent))!.phone;
const LEASE_TTL_MS = 3000;
const CUSTOMER = '+12025550123';

type CallRow = CallRowAsStored;

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

async function startCluster(): Promise<ClusterHarness> {
  const h = await ClusterHarness.start({ instances: 3, simulators: 2, agents: AGENTS, leaseTtlMs: LEASE_TTL_MS, env: { ASTERISK_DOWN_AFTER_S: '2' } });
  // Started is not settled: the first instance up takes both servers and hands one back a moment later.
  await h.serversSettled();
  return h;
}

/** What the tests of three instances over two servers ask of the cluster `h()` runs. */
function clusterOf(h: () => ClusterHarness) {
  const callsOf = (agent: number): Promise<CallRow[]> => h().withDatabase((db) => callsOfAgent(db, String(agent)));
  const simOf = (serverId: string) => h().sim(Number(serverId.slice(1)) - 1);
  const ownerOf = async (serverId: string): Promise<ClusterInstance> => {
    const owner = await h().holderOf(`asterisk:${serverId}`);
    if (!owner) throw new Error(`nobody owns ${serverId}`);
    return owner;
  };
  const tookOver = (callId: string) => h().instances.find((i) => h().logsOf(i.index).some((l) => l.message === 'took over a call' && l.callId === callId));
  const finalShown = (agent: number, pattern: RegExp) => (h().statusOf(agent)?.history ?? []).filter((text) => pattern.test(text)).length;

  async function connectedCall(agent: number): Promise<CallRow> {
    await h().sendCommand(agent, `/call ${CUSTOMER}`);
    await waitFor(() => /Connected/.test(h().statusOf(agent)?.text ?? ''), { what: `agent ${agent}'s call connected`, timeoutMs: 20_000 });
    return h().lastCallOf(agent);
  }
  return { callsOf, simOf, ownerOf, tookOver, finalShown, connectedCall };
}

/**
 * Cluster mode as deployed: three callbot processes on one PostgreSQL database, two simulated
 * Asterisk servers, Telegram's updates spread over the instances by a round-robin proxy (a load
 * balancer in front of webhook mode). One cluster for the tests: after each, the killed or stopped
 * instance is started again, the frozen one thawed, every call ended and the servers settled (startOver).
 */
onPostgres('cluster: three instances over two Asterisk servers', () => {
  let h: ClusterHarness;

  beforeAll(async () => {
    buildApp();
    h = await startCluster();
  }, 180_000);
  afterEach(() => h.startOver(), 60_000);
  afterAll(() => h?.stop());

  const { callsOf, simOf, ownerOf, tookOver, finalShown, connectedCall } = clusterOf(() => h);

  it('given four agents each place a call, then the calls are spread over both servers and each connects', async () => {
    // One after another: requests at the same instant on two instances may both see the same server as the least busy.
    for (const a of SPREAD) {
      await h.sendCommand(a, `/call ${CUSTOMER}`);
      await waitFor(async () => (await callsOf(a)).length === 1, { what: `agent ${a}'s call recorded` });
    }
    for (const a of SPREAD) {
      await waitFor(() => /Connected/.test(h.statusOf(a)?.text ?? ''), { what: `agent ${a} connected`, timeoutMs: 20_000 });
    }
    const servers = await Promise.all(SPREAD.map(async (a) => (await h.lastCallOf(a)).server_id));
    expect(new Set(servers)).toEqual(new Set(['a1', 'a2']));
    expect(servers.filter((s) => s === 'a1')).toHaveLength(2);
    for (const j of [0, 1]) expect(h.sim(j).channels().filter((c) => c.state === 'Up')).toHaveLength(4);
  });

  it('given three instances over two servers, then each server has its own owner: no instance runs every call while others idle', async () => {
    await waitFor(async () => {
      const holders = await Promise.all(['a1', 'a2'].map((id) => h.holderOf(`asterisk:${id}`)));
      return holders.every((o) => o !== undefined) && holders[0]!.id !== holders[1]!.id;
    }, { what: 'a different owner for each server', timeoutMs: 10_000 });
  });

  it('given the owner of a connected call is killed (SIGKILL), then another instance takes the server over, the call keeps talking, and it ends with its real outcome, its final status shown once', async () => {
    const call = await connectedCall(KILLED);
    const owner = await ownerOf(call.server_id!);
    const killedAt = Date.now();
    h.kill(owner.index, 'SIGKILL');
    await h.exited(owner.index);

    const successor = await waitFor(() => tookOver(call.id), { what: 'the call taken over', timeoutMs: 15_000 });
    const takeoverMs = Date.now() - killedAt;
    expect(successor.id).not.toBe(owner.id);
    expect(takeoverMs).toBeLessThan(LEASE_TTL_MS + 5000);
    const sim = simOf(call.server_id!);
    expect(sim.channels().filter((c) => c.id.startsWith(call.id) && c.state === 'Up')).toHaveLength(2);
    expect((await h.lastCallOf(KILLED)).stage).toBe('connected');

    sim.farEndHangup(`${call.id}-target`);
    await waitFor(async () => (await h.lastCallOf(KILLED)).stage === 'ended', { what: 'the call ended', timeoutMs: 10_000 });
    const ended = await h.lastCallOf(KILLED);
    expect(ended.outcome).toBe('completed');
    expect(ended.ended_by).toBe('target');
    await waitFor(() => finalShown(KILLED, /Call ended|📴/) > 0, { what: 'the final status', timeoutMs: 10_000 });
    expect(h.statusMessages(KILLED)).toHaveLength(1);
    expect(finalShown(KILLED, /📴/)).toBe(1);
    await waitFor(() => sim.channels().filter((c) => c.id.startsWith(call.id)).length === 0, { what: 'the agent leg hung up' });
    expect(sim.bridges().filter((b) => b.id.startsWith(call.id))).toHaveLength(0);
  });

  it('given the owner of a connected call is stopped (SIGTERM, a rolling restart), then it hangs nothing up, and another instance takes the call over at once', async () => {
    const call = await connectedCall(STOPPED);
    const owner = await ownerOf(call.server_id!);
    const stoppedAt = Date.now();
    h.kill(owner.index, 'SIGTERM');
    expect((await h.exited(owner.index)).code).toBe(0);

    await waitFor(() => tookOver(call.id), { what: 'the call taken over', timeoutMs: 10_000 });
    // Freed at once, not left to lapse: the next owner's first attempt after the release takes it.
    expect(Date.now() - stoppedAt).toBeLessThan(LEASE_TTL_MS);
    const sim = simOf(call.server_id!);
    expect(sim.channels().filter((c) => c.id.startsWith(call.id) && c.state === 'Up')).toHaveLength(2);
    sim.farEndHangup(`${call.id}-agent`);
    await waitFor(async () => (await h.lastCallOf(STOPPED)).stage === 'ended', { what: 'the call ended', timeoutMs: 10_000 });
    expect(await h.lastCallOf(STOPPED)).toMatchObject({ outcome: 'completed', ended_by: 'agent' });
  });

  it('given the owner is killed while the agent\'s phone rings, then the new owner dials the customer when the agent answers and the call connects', async () => {
    for (const j of [0, 1]) h.sim(j).setFarEnd((endpoint) => (endpoint.includes(phoneOf(RINGING)) ? { kind: 'answer', ringMs: 8000 } : undefined));
    await h.sendCommand(RINGING, `/call ${CUSTOMER}`);
    await waitFor(() => /ringing/.test(h.statusOf(RINGING)?.text ?? ''), { what: 'the agent\'s phone ringing', timeoutMs: 10_000 });
    // The next owner edits the status message the row names: the kill comes after the row names it.
    const call = await waitFor(async () => {
      const ringing = await h.lastCallOf(RINGING);
      return ringing.status_message_id !== null ? ringing : undefined;
    }, { what: 'the status message recorded on the call' });
    const owner = await ownerOf(call.server_id!);
    h.kill(owner.index, 'SIGKILL');

    await waitFor(() => tookOver(call.id), { what: 'the call taken over', timeoutMs: 15_000 });
    await waitFor(() => /Connected/.test(h.statusOf(RINGING)?.text ?? ''), { what: 'connected after the take-over', timeoutMs: 15_000 });
    expect((await h.lastCallOf(RINGING)).stage).toBe('connected');
    expect(h.statusMessages(RINGING)).toHaveLength(1);
    const invites = simOf(call.server_id!).invites().filter((i) => i.endpoint.includes(CUSTOMER));
    expect(invites).toHaveLength(1);
  });

  it('given one agent\'s /call reaches two instances at the same instant, then exactly one call is placed', async () => {
    await Promise.all([h.sendCommand(TWICE, `/call ${CUSTOMER}`), h.sendCommand(TWICE, '/call +12025550124')]);
    await waitFor(() => /Connected/.test(h.statusOf(TWICE)?.text ?? ''), { what: 'one call connected', timeoutMs: 20_000 });
    await h.user(TWICE).waitFor(new RegExp(T.liveCallExists.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const calls = await callsOf(TWICE);
    expect(calls.filter((c) => c.outcome !== 'refused')).toHaveLength(1);
    expect(calls.filter((c) => c.outcome === 'refused')).toHaveLength(1);
    expect(h.statusMessages(TWICE)).toHaveLength(1);
  });

  it('given the hang-up button is pressed on an instance that does not own the call, then the owner ends the call', async () => {
    const call = await connectedCall(HANG_UP);
    const owner = await ownerOf(call.server_id!);
    const other = h.instances.find((i) => i.id !== owner.id)!;
    h.proxy.setUpstreams([other.url]);
    const ownerHandled = h.proxy.handledBy(owner.url);
    await h.pressButton(HANG_UP, '⏹ Hang up');

    await waitFor(async () => (await h.lastCallOf(HANG_UP)).stage === 'ended', { what: 'the call ended by its owner', timeoutMs: 10_000 });
    const ended = await h.lastCallOf(HANG_UP);
    expect(ended.outcome).toBe('completed');
    expect(ended.ended_by).toBe('agent');
    expect(h.proxy.handledBy(owner.url)).toBe(ownerHandled);
    expect(h.proxy.handledBy(other.url)).toBeGreaterThan(0);
    await waitFor(() => simOf(call.server_id!).channels().filter((c) => c.id.startsWith(call.id)).length === 0, { what: 'both legs hung up' });
  });

  it('given a server\'s owner is paused (SIGSTOP) past its lease, then another takes the server over, and once resumed the paused one neither sends Asterisk anything nor writes the call', async () => {
    const call = await connectedCall(PAUSED);
    const owner = await ownerOf(call.server_id!);
    const sim = simOf(call.server_id!);
    await waitFor(() => sim.requests().some((r) => r.userAgent.includes(owner.id)), { what: 'requests naming the owner' });
    h.kill(owner.index, 'SIGSTOP');
    // The customer hangs up at once: the events go to the paused owner's socket and wait there, so on
    // resuming it reads them before any timer of its own has run (Node handles waiting I/O first).
    sim.farEndHangup(`${call.id}-target`);
    const successor = await waitFor(() => tookOver(call.id), { what: 'the call taken over', timeoutMs: 15_000 });
    await waitFor(async () => (await h.lastCallOf(PAUSED)).stage === 'ended', { what: 'the call ended by its new owner', timeoutMs: 10_000 });
    const resumedAt = performance.now();
    h.kill(owner.index, 'SIGCONT');
    await waitFor(() => h.logsOf(owner.index).some((l) => l.message === 'no longer owning Asterisk server'), { what: 'the paused one letting go' });
    // Its presence lapsed while it was paused: renewed, it has run its timers, after any event that was waiting for it.
    await waitFor(async () => (await h.holderOf(`instance:${owner.id}`))?.id === owner.id, { what: 'the resumed one back at work' });

    expect(sim.requests().filter((r) => r.t > resumedAt && r.userAgent.includes(owner.id))).toEqual([]);
    const ended = await h.lastCallOf(PAUSED);
    expect(ended.outcome).toBe('completed');
    expect(ended.ended_by).toBe('target');
    expect(successor.id).not.toBe(owner.id);
    expect(sim.channels().filter((c) => c.id.startsWith(call.id))).toHaveLength(0);
  });
});

/** A server that stops takes the cluster apart: a cluster of its own for it. */
onPostgres('cluster: three instances over two Asterisk servers, one of which stops', () => {
  let h: ClusterHarness;

  beforeAll(() => buildApp(), 180_000);
  beforeEach(async () => { h = await startCluster(); });
  afterEach(() => h.stop());

  const { connectedCall } = clusterOf(() => h);

  it('given a simulated Asterisk server stops, then its calls end with a clear reason and new calls go to the other server', async () => {
    const call = await connectedCall(SERVER_DOWN);
    const down = call.server_id!;
    await h.stopSimulator(Number(down.slice(1)) - 1);

    await waitFor(async () => (await h.lastCallOf(SERVER_DOWN)).stage === 'ended', { what: 'the call on the stopped server ended', timeoutMs: 15_000 });
    const ended = await h.lastCallOf(SERVER_DOWN);
    expect(ended.outcome).toBe('failed');
    expect(ended.detail).toContain(`Asterisk server ${down} has been unreachable`);
    await waitFor(() => /⚠️/.test(h.statusOf(SERVER_DOWN)?.text ?? ''), { what: 'the agent told', timeoutMs: 10_000 });

    const other = await connectedCall(SERVER_DOWN_2);
    expect(other.server_id).not.toBe(down);
    const second = await connectedCall(SERVER_DOWN_3);
    expect(second.server_id).not.toBe(down);
  });

});

onPostgres('cluster: the operators\' view of every server', () => {
  let h: ClusterHarness;
  const ports: number[] = [];

  beforeAll(() => buildApp(), 180_000);
  beforeEach(async () => {
    ports.length = 0;
    for (let i = 0; i < 2; i += 1) ports.push(await freePort());
    h = await ClusterHarness.start({
      instances: 2, simulators: 2, agents: AGENTS, leaseTtlMs: LEASE_TTL_MS, env: { ASTERISK_DOWN_AFTER_S: '2' },
      envOf: (i) => ({ METRICS_PORT: String(ports[i]) }),
    });
    // Started is not settled: the first instance up may hold both servers and hand one back a moment later.
    await waitFor(async () => {
      const holders = await Promise.all(['a1', 'a2'].map((id) => h.holderOf(`asterisk:${id}`)));
      return holders.every((o) => o !== undefined) && holders[0]!.id !== holders[1]!.id;
    }, { what: 'each server owned by an instance of its own', timeoutMs: 10_000 });
  });
  afterEach(() => h.stop());

  const readyz = async (i: number) => {
    const response = await fetch(`http://127.0.0.1:${ports[i]}/readyz`);
    return { status: response.status, body: await response.json() as { checks: Record<string, { ok: boolean; detail: string }> } };
  };

  it('given both servers owned and connected, then every instance\'s /readyz names each, and which it owns; given one stops, then it shows down while the other keeps the servers\' check ready; given both stop, then the instance is not ready', async () => {
    await waitFor(async () => /a1 connected.*a2 connected/.test((await readyz(0)).body.checks.asterisk?.detail ?? ''), { what: 'both servers connected', timeoutMs: 10_000 });
    const details = await Promise.all([0, 1].map(async (i) => (await readyz(i)).body.checks.asterisk!.detail));
    expect(details.join(' ').match(/owned here/g)).toHaveLength(2);

    await h.stopSimulator(1);
    await waitFor(async () => /a2 down/.test((await readyz(0)).body.checks.asterisk?.detail ?? ''), { what: 'a2 shown down', timeoutMs: 10_000 });
    // The local Bot API server refuses setMyCommands, which the telegram check reports: only the servers' check is this spec's.
    expect((await readyz(0)).body.checks.asterisk).toMatchObject({ ok: true });
    const metrics = await (await fetch(`http://127.0.0.1:${ports[0]}/metrics`)).text();
    expect(metrics).toMatch(/callbot_asterisk_server_up\{server="a2",owned_here="(true|false)"\} 0/);
    expect(metrics).toMatch(/callbot_asterisk_server_up\{server="a1",owned_here="(true|false)"\} 1/);
    await h.stopSimulator(0);
    await waitFor(async () => (await readyz(0)).body.checks.asterisk?.ok === false, { what: 'no server left', timeoutMs: 10_000 });
    expect((await readyz(0)).status).toBe(503);
  });
});

onPostgres('cluster: long polling, one poller at a time', () => {
  let h: ClusterHarness;

  beforeAll(() => buildApp(), 180_000);
  beforeEach(async () => { h = await ClusterHarness.start({ instances: 3, simulators: 1, agents: AGENTS, leaseTtlMs: LEASE_TTL_MS, telegram: 'polling' }); });
  afterEach(() => h.stop());

  const replies = (user: number) => h.messagesTo(user).filter((m) => /\/call/.test(m.text)).length;

  it('given three instances in polling mode, then one of them polls and each update is answered once; when it dies, another polls within the lease', async () => {
    for (const user of [2001, 2002, 2003]) await h.sendCommand(user, '/help');
    for (const user of [2001, 2002, 2003]) await waitFor(() => replies(user) === 1, { what: `the answer to ${user}` });
    const poller = await h.holderOf('telegram:polling');
    expect(poller).toBeDefined();

    h.kill(poller!.index, 'SIGKILL');
    await h.exited(poller!.index);
    await h.sendCommand(2004, '/help');
    await waitFor(() => replies(2004) === 1, { what: 'the answer after the poller died', timeoutMs: LEASE_TTL_MS + 10_000 });
    const next = await h.holderOf('telegram:polling');
    expect(next?.id).not.toBe(poller!.id);
    // A later update answered: the new poller has read past every earlier one, a repeat of an old one included.
    await h.sendCommand(2004, '/help');
    await waitFor(() => replies(2004) === 2, { what: 'the answer to a later update' });
    for (const user of [2001, 2002, 2003]) expect(replies(user)).toBe(1);
  });
});
