import { T } from '../../app/texts';
import { buildApp } from '../support/built-app';
import { ClusterHarness, type ClusterInstance, type SeedAgent } from '../support/cluster-harness';
import { testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

const AGENTS: SeedAgent[] = [
  { telegramId: '2001', phone: '+15551230001', route: 'M', callerId: '+15550001111' },
  { telegramId: '2002', phone: '+15551230002', route: 'M', callerId: '+15550001112' },
  { telegramId: '2003', phone: '+15551230003', route: 'M', callerId: '+15550001113' },
  { telegramId: '2004', phone: '+15551230004', route: 'M', callerId: '+15550001114' },
];
const ANN = 2001;
const LEASE_TTL_MS = 3000;
const CUSTOMER = '+12025550123';

interface CallRow {
  id: string;
  stage: string;
  outcome: string | null;
  ended_by: string | null;
  server_id: string | null;
  detail: string | null;
}

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

/**
 * Cluster mode as deployed: three callbot processes on one PostgreSQL database, two simulated
 * Asterisk servers, Telegram's updates spread over the instances by a round-robin proxy (a load
 * balancer in front of webhook mode).
 */
onPostgres('cluster: three instances over two Asterisk servers', () => {
  let h: ClusterHarness;

  beforeAll(() => buildApp(), 180_000);
  beforeEach(async () => {
    h = await ClusterHarness.start({ instances: 3, simulators: 2, agents: AGENTS, leaseTtlMs: LEASE_TTL_MS, env: { ASTERISK_DOWN_AFTER_S: '2' } });
  });
  afterEach(() => h.stop());

  const statusMessages = (agent: number) => h.messagesTo(agent).filter((m) => /To: /.test(m.text));
  const statusOf = (agent: number) => statusMessages(agent)[0];
  const callsOf = (agent: number): Promise<CallRow[]> => h.withDatabase((db) => db.query(
    `SELECT c.id, c.stage, c.outcome, c.ended_by, c.server_id, c.detail FROM calls c JOIN agents a ON a.id = c.agent_id
     WHERE a.telegram_id = $1 ORDER BY c.requested_at`, [String(agent)]));
  const lastCallOf = async (agent: number): Promise<CallRow> => {
    const calls = await callsOf(agent);
    const last = calls[calls.length - 1];
    if (!last) throw new Error(`agent ${agent} has no call`);
    return last;
  };
  const simOf = (serverId: string) => h.sim(Number(serverId.slice(1)) - 1);
  const ownerOf = async (serverId: string): Promise<ClusterInstance> => {
    const owner = await h.holderOf(`asterisk:${serverId}`);
    if (!owner) throw new Error(`nobody owns ${serverId}`);
    return owner;
  };
  const tookOver = (callId: string) => h.instances.find((i) => h.logsOf(i.index).some((l) => l.message === 'took over a call' && l.callId === callId));
  const finalShown = (agent: number, pattern: RegExp) => (statusOf(agent)?.history ?? []).filter((text) => pattern.test(text)).length;

  async function connectedCall(agent: number): Promise<CallRow> {
    await h.sendCommand(agent, `/call ${CUSTOMER}`);
    await waitFor(() => /Connected/.test(statusOf(agent)?.text ?? ''), { what: `agent ${agent}'s call connected`, timeoutMs: 20_000 });
    return lastCallOf(agent);
  }

  it('given four agents each place a call, then the calls are spread over both servers and each connects', async () => {
    for (const a of AGENTS) await h.sendCommand(Number(a.telegramId), `/call ${CUSTOMER}`);
    for (const a of AGENTS) {
      await waitFor(() => /Connected/.test(statusOf(Number(a.telegramId))?.text ?? ''), { what: `agent ${a.telegramId} connected`, timeoutMs: 20_000 });
    }
    const servers = await Promise.all(AGENTS.map(async (a) => (await lastCallOf(Number(a.telegramId))).server_id));
    expect(new Set(servers)).toEqual(new Set(['a1', 'a2']));
    expect(servers.filter((s) => s === 'a1')).toHaveLength(2);
    for (const j of [0, 1]) expect(h.sim(j).channels().filter((c) => c.state === 'Up')).toHaveLength(4);
  });

  it('given the owner of a connected call is killed (SIGKILL), then another instance takes the server over, the call keeps talking, and it ends with its real outcome, its final status shown once', async () => {
    const call = await connectedCall(ANN);
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
    expect((await lastCallOf(ANN)).stage).toBe('connected');

    sim.farEndHangup(`${call.id}-target`);
    await waitFor(async () => (await lastCallOf(ANN)).stage === 'ended', { what: 'the call ended', timeoutMs: 10_000 });
    const ended = await lastCallOf(ANN);
    expect(ended.outcome).toBe('completed');
    expect(ended.ended_by).toBe('target');
    await waitFor(() => finalShown(ANN, /Call ended|📴/) > 0, { what: 'the final status', timeoutMs: 10_000 });
    expect(statusMessages(ANN)).toHaveLength(1);
    expect(finalShown(ANN, /📴/)).toBe(1);
    await waitFor(() => sim.channels().filter((c) => c.id.startsWith(call.id)).length === 0, { what: 'the agent leg hung up' });
    expect(sim.bridges().filter((b) => b.id.startsWith(call.id))).toHaveLength(0);
  });

  it('given the owner is killed while the agent\'s phone rings, then the new owner dials the customer when the agent answers and the call connects', async () => {
    for (const j of [0, 1]) h.sim(j).setFarEnd((endpoint) => (endpoint.includes(AGENTS[0]!.phone) ? { kind: 'answer', ringMs: 8000 } : undefined));
    await h.sendCommand(ANN, `/call ${CUSTOMER}`);
    await waitFor(() => /ringing/.test(statusOf(ANN)?.text ?? ''), { what: 'the agent\'s phone ringing', timeoutMs: 10_000 });
    const call = await lastCallOf(ANN);
    const owner = await ownerOf(call.server_id!);
    h.kill(owner.index, 'SIGKILL');

    await waitFor(() => tookOver(call.id), { what: 'the call taken over', timeoutMs: 15_000 });
    await waitFor(() => /Connected/.test(statusOf(ANN)?.text ?? ''), { what: 'connected after the take-over', timeoutMs: 15_000 });
    expect((await lastCallOf(ANN)).stage).toBe('connected');
    expect(statusMessages(ANN)).toHaveLength(1);
    const invites = simOf(call.server_id!).invites().filter((i) => i.endpoint.includes(CUSTOMER));
    expect(invites).toHaveLength(1);
  });

  it('given a simulated Asterisk server stops, then its calls end with a clear reason and new calls go to the other server', async () => {
    const call = await connectedCall(ANN);
    const down = call.server_id!;
    await h.stopSimulator(Number(down.slice(1)) - 1);

    await waitFor(async () => (await lastCallOf(ANN)).stage === 'ended', { what: 'the call on the stopped server ended', timeoutMs: 15_000 });
    const ended = await lastCallOf(ANN);
    expect(ended.outcome).toBe('failed');
    expect(ended.detail).toContain(`Asterisk server ${down} has been unreachable`);
    await waitFor(() => /⚠️/.test(statusOf(ANN)?.text ?? ''), { what: 'the agent told', timeoutMs: 10_000 });

    const other = await connectedCall(2002);
    expect(other.server_id).not.toBe(down);
    const second = await connectedCall(2003);
    expect(second.server_id).not.toBe(down);
  });

  it('given one agent\'s /call reaches two instances at the same instant, then exactly one call is placed', async () => {
    await Promise.all([h.sendCommand(ANN, `/call ${CUSTOMER}`), h.sendCommand(ANN, '/call +12025550124')]);
    await waitFor(() => /Connected/.test(statusOf(ANN)?.text ?? ''), { what: 'one call connected', timeoutMs: 20_000 });
    await h.user(ANN).waitFor(new RegExp(T.liveCallExists.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    const calls = await callsOf(ANN);
    expect(calls.filter((c) => c.outcome !== 'refused')).toHaveLength(1);
    expect(calls.filter((c) => c.outcome === 'refused')).toHaveLength(1);
    expect(statusMessages(ANN)).toHaveLength(1);
  });

  it('given a server\'s owner is paused (SIGSTOP) past its lease, then another takes the server over, and once resumed the paused one neither sends Asterisk anything nor writes the call', async () => {
    const call = await connectedCall(ANN);
    const owner = await ownerOf(call.server_id!);
    const sim = simOf(call.server_id!);
    await waitFor(() => sim.requests().some((r) => r.userAgent.includes(owner.id)), { what: 'requests naming the owner' });
    h.kill(owner.index, 'SIGSTOP');
    // The customer hangs up at once: the events go to the paused owner's socket and wait there, so on
    // resuming it reads them before any timer of its own has run (Node handles waiting I/O first).
    sim.farEndHangup(`${call.id}-target`);
    const successor = await waitFor(() => tookOver(call.id), { what: 'the call taken over', timeoutMs: 15_000 });
    await waitFor(async () => (await lastCallOf(ANN)).stage === 'ended', { what: 'the call ended by its new owner', timeoutMs: 10_000 });
    const resumedAt = performance.now();
    h.kill(owner.index, 'SIGCONT');
    await waitFor(() => h.logsOf(owner.index).some((l) => l.message === 'no longer owning Asterisk server'), { what: 'the paused one letting go' });
    await new Promise((resolve) => setTimeout(resolve, 1500));

    expect(sim.requests().filter((r) => r.t > resumedAt && r.userAgent.includes(owner.id))).toEqual([]);
    const ended = await lastCallOf(ANN);
    expect(ended.outcome).toBe('completed');
    expect(ended.ended_by).toBe('target');
    expect(successor.id).not.toBe(owner.id);
    expect(sim.channels().filter((c) => c.id.startsWith(call.id))).toHaveLength(0);
  });
});
