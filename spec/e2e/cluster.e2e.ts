import { waitFor } from '../support/wait-for';
import { type ClusterCallRow, type ClusterInstance, ClusterLab } from './support/cluster-lab';
import { ms, report, table } from './support/report';
import { ANN, PHONE, TARGET, answeredWith, received, sent } from './support/scenario';
import { type SipMessage, dialog, header, invitesIn } from './support/sip-trace';

const LEASE_TTL_MS = 3000;
const AGENT = { ...ANN, phone: PHONE.answers };
const CHAT = Number(AGENT.telegramId);
/** A second agent, whose phone rings 6 s before answering. */
const SLOW = { telegramId: '2003', name: 'Sam', callerId: '+15551239999', route: 'M' as const, phone: PHONE.ringsSixSeconds };
/** The customer answers and hangs up 12 s later (provider-uas.xml): the kill and take-over fall in between. */
const CUSTOMER = TARGET.hangsUpAfter12s;
/** How long after the take-over the legs must still be untouched before the customer hangs up. */
const QUIET_AFTER_TAKEOVER_MS = 2000;

/**
 * Cluster mode on real Asterisk (support/cluster-lab.ts): two Asterisk servers on 127.0.0.1 and
 * 127.0.0.4 sharing the sipp providers, two callbot processes as deployed on one throwaway
 * PostgreSQL database, both servers in each one's ASTERISK_SERVERS, Telegram polled by the holder
 * of the polling lease. What the simulator scenarios (spec/integration/cluster-calls.spec.ts)
 * cannot show: that a real Asterisk keeps a call's channels and bridge, in Stasis, while the app
 * that owns them is gone, and hands them to the next WebSocket of the same app. The servers are
 * shared out, one an instance (cluster/fair-share.ts); each scenario kills whichever instance owns the
 * call's server, as the leases table says, and the survivor takes that server on as well.
 */
describe('e2e: cluster mode, two callbot instances over two real Asterisk servers', () => {
  let cluster: ClusterLab;
  const timings: string[][] = [];

  beforeAll(async () => {
    cluster = await ClusterLab.start('cluster', { agents: [AGENT, SLOW], leaseTtlMs: LEASE_TTL_MS });
  }, 90_000);

  afterAll(async () => {
    if (timings.length) {
      report('cluster', [`Cluster take-over on real Asterisk (CLUSTER_LEASE_TTL_MS=${LEASE_TTL_MS}, two instances, SIGKILL of the call's server's owner)`, '',
        table(['from -> to', 'time'], timings)]);
    }
    await cluster?.stop();
  });

  const statusMessages = () => cluster.messagesTo(CHAT).filter((m) => /To: /.test(m.text));
  const lastCall = async (): Promise<ClusterCallRow> => {
    const row = await cluster.lastCallOf(AGENT.telegramId);
    if (!row) throw new Error(`agent ${AGENT.telegramId} has no call`);
    return row;
  };

  it('given the instance owning a connected call\'s Asterisk server is killed (SIGKILL), then the other instance takes the call over, both legs stay up in their bridge with no BYE to either phone, and the customer\'s hang-up ends it completed, its final status shown once', async () => {
    const provider = cluster.servers[0]!.lab.main; // Main: both servers' trunk-main points at it
    const mark = provider.trace.mark();
    const sip = (): SipMessage[] => provider.trace.since(mark);
    await cluster.send(CHAT, AGENT.name, `/call ${CUSTOMER}`);
    await waitFor(() => /🟢 Connected/.test(statusMessages()[0]?.text ?? ''), { timeoutMs: 15_000, what: 'the call connected' })
      .catch((err: Error) => { throw new Error(`${err.message}\n${cluster.logTails()}`); });
    const call = await waitFor(async () => { const row = await lastCall(); return row.stage === 'connected' ? row : undefined; }, { what: 'the call row connected' });
    const server = cluster.serverOf(call.server_id!);
    const agentInvite = invitesIn(sip()).find((m) => m.requestUser === AGENT.phone);
    const targetInvite = invitesIn(sip()).find((m) => m.requestUser === CUSTOMER);
    if (!agentInvite || !targetInvite) throw new Error('the provider did not see both INVITEs');
    // Both legs went out through the server the row names (the Via's sent-by is its SIP address).
    expect(header(agentInvite, 'Via')).toContain(`${server.lab.ip}:5060`);
    expect(header(targetInvite, 'Via')).toContain(`${server.lab.ip}:5060`);
    expect(dialog(sip(), targetInvite.callId).some(answeredWith(200))).toBe(true);

    const owner = await cluster.ownerOf(server.id);
    if (!owner) throw new Error(`nobody owns ${server.id}`);
    const successor = cluster.instances.find((i) => i.id !== owner.id) as ClusterInstance;
    // Shared out: the successor already runs the other server.
    const other = cluster.servers.find((s) => s.id !== server.id)!;
    expect((await cluster.ownerOf(other.id))?.id).toBe(successor.id);
    const killedAt = Date.now();
    owner.app.kill('SIGKILL');
    expect((await owner.app.exited).signal).toBe('SIGKILL');

    const tookOver = await waitFor(
      () => successor.app.logLines().find((l) => l.message === 'took over a call' && l.callId === call.id),
      { timeoutMs: LEASE_TTL_MS + 7000, everyMs: 20, what: `${successor.id} to take the call over` },
    ).catch((err: Error) => { throw new Error(`${err.message}\n${cluster.logTails()}`); });
    const takenOverAt = typeof tookOver.timestamp === 'string' ? Date.parse(tookOver.timestamp) : Date.now();
    const takeoverMs = takenOverAt - killedAt;
    timings.push(['SIGKILL of the owner -> "took over a call" (successor\'s log)', ms(takeoverMs)]);
    expect(tookOver).toMatchObject({ stage: 'connected', now: 'connected', server: server.id });
    expect(successor.app.logLines().filter((l) => l.message === 'took over a call' && l.callId === call.id)).toHaveLength(1);
    expect(takeoverMs).toBeLessThan(LEASE_TTL_MS + 5000);
    expect((await cluster.ownerOf(server.id))?.id).toBe(successor.id);

    // The audio path stays: both channels Up, both in the call's bridge, as Asterisk lists them.
    const channels = await server.lab.channels();
    expect(channels.filter((c) => c.id === `${call.id}-agent` || c.id === `${call.id}-target`).map((c) => [c.id, c.state]).sort())
      .toEqual([[`${call.id}-agent`, 'Up'], [`${call.id}-target`, 'Up']]);
    const bridge = (await server.lab.bridges()).find((b) => b.id === `${call.id}-bridge`);
    expect([...(bridge?.channels ?? [])].sort()).toEqual([`${call.id}-agent`, `${call.id}-target`]);
    expect((await lastCall()).stage).toBe('connected');

    // Nobody hangs up: no BYE either way on either leg for a while after the take-over.
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, takenOverAt + QUIET_AFTER_TAKEOVER_MS - Date.now())));
    const byes = (m: SipMessage) => m.method === 'BYE';
    expect(dialog(sip(), agentInvite.callId).filter(byes)).toEqual([]);
    expect(dialog(sip(), targetInvite.callId).filter(byes)).toEqual([]);

    // The customer hangs up (12 s after answering): the new owner hangs the agent up and records it.
    const customerBye = await waitFor(() => dialog(sip(), targetInvite.callId).find(sent('BYE')), { timeoutMs: 15_000, what: 'the customer\'s BYE' });
    const agentBye = await waitFor(() => dialog(sip(), agentInvite.callId).find(received('BYE')), { timeoutMs: 5000, what: 'a BYE to the agent' });
    expect(dialog(sip(), targetInvite.callId).some(received('BYE'))).toBe(false);
    const firstBye = Math.min(...[...dialog(sip(), agentInvite.callId), ...dialog(sip(), targetInvite.callId)].filter(byes).map((m) => m.at));
    expect(firstBye).toBe(customerBye.at);
    timings.push(['SIGKILL of the owner -> the customer\'s BYE, the first on either leg', ms(customerBye.at - killedAt)]);
    expect(agentBye.at - customerBye.at).toBeLessThan(1000);
    timings.push(['customer BYE -> agent BYE (by the successor)', ms(agentBye.at - customerBye.at)]);

    const ended = await waitFor(async () => { const row = await lastCall(); return row.stage === 'ended' ? row : undefined; }, { timeoutMs: 5000, what: 'the call row ended' });
    expect(ended).toMatchObject({ id: call.id, outcome: 'completed', ended_by: 'target', server_id: server.id });
    await waitFor(() => /📴/.test(statusMessages()[0]?.text ?? ''), { timeoutMs: 5000, what: 'the final status' });
    expect(statusMessages()).toHaveLength(1);
    expect(statusMessages()[0]!.text).toMatch(/^📴 Call ended — 0:1\d — they hung up/);
    // Once: the final status is written by the successor alone, never repeated.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(statusMessages()[0]!.history.filter((t) => /📴/.test(t))).toHaveLength(1);
    for (const s of cluster.servers) await s.lab.expectNothingLeft();
  });

  it('given the owner is killed while the agent\'s phone rings and the agent answers after the take-over, then the new owner dials the customer once and the call connects and ends completed, under one status message', async () => {
    // The first scenario killed an instance; it comes back, and the servers are shared out again.
    const killed = cluster.instances.find((i) => !i.app.isRunning());
    if (killed) await cluster.restart(killed.id);
    const provider = cluster.servers[0]!.lab.main;
    const mark = provider.trace.mark();
    const sip = (): SipMessage[] => provider.trace.since(mark);
    const chat = Number(SLOW.telegramId);
    const statuses = () => cluster.messagesTo(chat).filter((m) => /To: /.test(m.text));
    await cluster.send(chat, SLOW.name, `/call ${TARGET.hangsUpAfter2s}`);
    const agentInvite = await waitFor(() => invitesIn(sip()).find((m) => m.requestUser === SLOW.phone), { timeoutMs: 10_000, what: 'the INVITE to the agent\'s phone' });
    // Killed once its status message is on the row: a kill between sending it and recording it would
    // leave the next owner nothing to edit (it sends a status message of its own then).
    const call = await waitFor(async () => {
      const row = await cluster.lastCallOf(SLOW.telegramId);
      return row?.stage === 'agent_ringing' && row.status_message_id !== null ? row : undefined;
    }, { timeoutMs: 5000, what: 'the call ringing the agent, its status message recorded' });
    const server = cluster.serverOf(call.server_id!);
    expect(header(agentInvite, 'Via')).toContain(`${server.lab.ip}:5060`);
    const owner = await cluster.ownerOf(server.id);
    if (!owner) throw new Error(`nobody owns ${server.id}`);
    const successor = cluster.instances.find((i) => i.id !== owner.id) as ClusterInstance;
    const killedAt = Date.now();
    owner.app.kill('SIGKILL');
    await owner.app.exited;

    const tookOver = await waitFor(
      () => successor.app.logLines().find((l) => l.message === 'took over a call' && l.callId === call.id),
      { timeoutMs: LEASE_TTL_MS + 7000, everyMs: 20, what: `${successor.id} to take the call over` },
    ).catch((err: Error) => { throw new Error(`${err.message}\n${cluster.logTails()}`); });
    const takenOverAt = typeof tookOver.timestamp === 'string' ? Date.parse(tookOver.timestamp) : Date.now();
    timings.push(['SIGKILL of the owner while the agent rings -> "took over a call"', ms(takenOverAt - killedAt)]);
    expect(tookOver).toMatchObject({ stage: 'agent_ringing', now: 'agent_ringing', server: server.id });
    expect((await cluster.ownerOf(server.id))?.id).toBe(successor.id);
    // Taken over before the phone answers (6 s of ringing): Asterisk delivers its StasisStart to the new owner.
    const agentOk = await waitFor(() => dialog(sip(), agentInvite.callId).find(answeredWith(200)), { timeoutMs: 10_000, what: 'the agent\'s phone answering' });
    expect(agentOk.at).toBeGreaterThan(takenOverAt);

    const targetInvite = await waitFor(() => invitesIn(sip()).find((m) => m.requestUser === TARGET.hangsUpAfter2s), { timeoutMs: 5000, what: 'the INVITE to the customer' });
    expect(header(targetInvite, 'Via')).toContain(`${server.lab.ip}:5060`);
    timings.push(['agent 200 OK -> customer INVITE (by the successor)', ms(targetInvite.at - agentOk.at)]);
    await waitFor(() => statuses()[0]?.history.some((t) => /🟢 Connected/.test(t)), { timeoutMs: 5000, what: 'the call connected' });

    // The customer hangs up 2 s after answering.
    const ended = await waitFor(async () => { const row = await cluster.lastCallOf(SLOW.telegramId); return row?.stage === 'ended' ? row : undefined; }, { timeoutMs: 10_000, what: 'the call row ended' });
    expect(ended).toMatchObject({ id: call.id, outcome: 'completed', ended_by: 'target', server_id: server.id });
    expect(invitesIn(sip()).filter((m) => m.requestUser === TARGET.hangsUpAfter2s)).toHaveLength(1);
    await waitFor(() => dialog(sip(), agentInvite.callId).find(received('BYE')), { timeoutMs: 5000, what: 'a BYE to the agent' });
    await waitFor(() => /📴/.test(statuses()[0]?.text ?? ''), { timeoutMs: 5000, what: 'the final status' });
    expect(statuses()).toHaveLength(1);
    expect(statuses()[0]!.history.filter((t) => /📴/.test(t))).toHaveLength(1);
    for (const s of cluster.servers) await s.lab.expectNothingLeft();
  });
});
