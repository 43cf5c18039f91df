import { Subject } from 'rxjs';
import type { DataSource } from 'typeorm';
import { AriAdapter } from '../../ari/ari-adapter';
import { createCallRules } from '../../compliance/rules';
import type { Config } from '../../config/config';
import { silentLogger } from '../../config/logger';
import { ClusterCallStore } from '../../cluster/cluster-call-store';
import { ClusterDesk } from '../../cluster/cluster-desk';
import { ClusterParties, servePartyRequests } from '../../cluster/cluster-parties';
import { LeaseStore } from '../../cluster/lease-store';
import { PartyRequests } from '../../cluster/party-requests';
import { ServerOwner } from '../../cluster/server-owner';
import type { PartyRequester } from '../../engine/call-parties';
import { callPartiesDesk } from '../../engine/call-engine-parties';
import type { Stores } from '../../store';
import type { AriSimulator } from '../support/ari-simulator';
import { seedVerifiedCallerIds } from '../support/caller-id-pool';
import { SIM_CREDENTIALS } from '../support/simulated-ari';
import { closeDatabase, testDatabaseKind } from '../support/test-database';
import { simulatedServerWorld } from '../support/simulated-server-world';
import { waitFor } from '../support/wait-for';

const kind = testDatabaseKind();
const CUSTOMER = '+12025550123';
const COLLEAGUE = '+12025550199';
const COLLEAGUE_LABEL = '+1 202-555-0199';

/**
 * Warm transfers, consultations' ends and added parties asked for on an instance that does not run
 * the call, on the ARI simulator: one owner of the Asterisk server in this process (it serves the
 * server's party requests with its party desk, as cluster-node.ts wires it), and beside it the
 * party desk of another instance of the cluster, which runs no call. Every request of the other
 * instance is carried out by the owner; the other instance answers with the owner's answer.
 */
describe(`cluster: warm transfer, consultation and conference asked for on an instance that does not run the call, on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;
  let sim: AriSimulator;
  let ari: AriAdapter | undefined;
  let owner: ServerOwner;
  let desk: ClusterDesk;
  /** The party desk of an instance that runs no call of the server. */
  let elsewhere: ClusterParties;
  /** The owner's own party desk: a tap that reached the instance that runs the call. */
  let ownerDesk: ReturnType<typeof callPartiesDesk>;
  let config: Config;
  const wake = new Subject<string>();
  let ann: PartyRequester;
  let carol: PartyRequester;

  const server = () => ({ id: 'a1', url: sim.url, ...SIM_CREDENTIALS, routes: ['M' as const, 'D' as const], weight: 1 });
  const partyDesk = (engines: () => readonly (ServerOwner['engine'])[]) => callPartiesDesk(engines, {
    config, agents: stores.agents, calls: stores.calls, audit: stores.audit, rules: createCallRules(config, stores),
  });

  beforeEach(async () => {
    ({ sim, config, dataSource, stores } = await simulatedServerWorld());
    const annRow = await stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: '+15550001111', by: '1', displayName: 'Ann' });
    const carolRow = await stores.agents.authorize({ telegramId: '2003', phone: '+15551230003', callerId: '+15550001113', by: '1', displayName: 'Carol' });
    await stores.agents.setRoute('2001', 'M');
    await stores.agents.setRoute('2003', 'M');
    await seedVerifiedCallerIds(stores, ['+15550001111', '+15550001113'], ['M']);
    ann = { agentId: annRow.id, isAdmin: false, telegramId: '2001' };
    carol = { agentId: carolRow.id, isAdmin: false, telegramId: '2003' };
    const requests = new PartyRequests(dataSource);
    const clusterCalls = new ClusterCallStore(dataSource);
    ownerDesk = partyDesk(() => [owner.engine]);
    owner = new ServerOwner({
      server: server(), config, instanceId: 'owner', leaseTtlMs: 3000, serverDownAfterS: 60, handBackAfterS: 60, stayAwayS: 60,
      leases: new LeaseStore(dataSource), clusterCalls, parties: stores.legs,
      agents: stores.agents, audit: stores.audit, logger: silentLogger(), wakeUps: wake, follow: () => undefined,
      connectAri: (_server, mayConnect) => (ari = new AriAdapter({
        url: sim.url, ...SIM_CREDENTIALS, app: config.ari.app, logger: silentLogger(),
        requestTimeoutMs: 1000, reconnectMinMs: 50, reconnectMaxMs: 200, keepaliveMs: 500, mayConnect,
      })),
      partyRequests: servePartyRequests(requests, ownerDesk),
    });
    desk = new ClusterDesk({
      config, agents: stores.agents, calls: stores.calls, audit: stores.audit, logger: silentLogger(),
      servers: [server()], clusterCalls, owners: [owner], rows: stores.calls,
    });
    elsewhere = elsewhereWaiting(requests, clusterCalls, 10_000);
  });

  afterEach(async () => {
    await owner.stop();
    await ari?.close();
    ari = undefined;
    await closeDatabase(dataSource);
    await sim.stop();
  });

  /** Another instance's party desk, which waits so long for an owner to claim its request. */
  const elsewhereWaiting = (requests: PartyRequests, clusterCalls: ClusterCallStore, unclaimedTimeoutMs: number) => new ClusterParties({
    local: partyDesk(() => []), runsHere: () => false, requests, clusterCalls, agents: stores.agents, calls: stores.calls, answerPollMs: 20, unclaimedTimeoutMs,
  });

  const ids = (callId: string) => ({
    agent: `${callId}-agent`, customer: `${callId}-target`, p3: `${callId}-p3`, main: `${callId}-bridge`, consult: `${callId}-consult`,
  });
  const members = (bridgeId: string) => sim.bridges().find((b) => b.id === bridgeId)?.channels.slice().sort().join() ?? null;
  const upInAsterisk = (channelId: string) => sim.channels().some((c) => c.id === channelId && c.state === 'Up');
  const gone = (id: string) => !sim.channels().some((c) => c.id === id) && !sim.bridges().some((b) => b.id === id);
  const requestRows = () => dataSource.query('SELECT kind, mode, consult_end, stage, answer FROM party_requests ORDER BY requested_at') as Promise<Record<string, unknown>[]>;

  async function connectedCall(): Promise<string> {
    owner.start();
    await waitFor(() => owner.isConnected(), { what: 'the owner connected to the server' });
    const placed = await desk.placeCall({ agentTelegramId: '2001', targetInput: CUSTOMER });
    if (!placed.ok) throw new Error(`refused: ${placed.refusal}`);
    wake.next('a1');
    const { callId } = placed;
    const { agent, customer, main } = ids(callId);
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'connected', { what: 'the call connected' });
    await waitFor(() => members(main) === [agent, customer].sort().join(), { what: 'agent and customer bridged' });
    return callId;
  }

  /** The warm transfer asked for elsewhere (or of the owner itself): the owner dials the colleague and the agent consults them while the customer waits. */
  async function consulting(askedOf: 'elsewhere' | 'owner'): Promise<string> {
    const callId = await connectedCall();
    const { agent, customer, p3, main, consult } = ids(callId);
    const parties = askedOf === 'elsewhere' ? elsewhere : ownerDesk;
    await expect(parties.transfer(callId, ann, { kind: 'number', number: COLLEAGUE }, 'warm')).resolves.toEqual({ ok: true, legId: 'p3', label: COLLEAGUE_LABEL });
    await waitFor(() => upInAsterisk(p3) && members(consult) === [agent, p3].sort().join() && members(main) === customer, { what: 'the agent consulting on the owner, the customer on hold' });
    await waitFor(() => owner.engine?.callState(callId)?.operation.kind === 'consult', { what: 'the owner\'s call in consultation' });
    return callId;
  }

  it('given Ann\'s call runs on the owner, when she asks another instance for a warm transfer to a number and then for Complete, then the owner runs the consultation and then joins the customer and the consulted party, the agent gone', async () => {
    const callId = await consulting('elsewhere');
    const { agent, customer, p3, main, consult } = ids(callId);

    await expect(elsewhere.finishConsult(callId, ann, 'complete')).resolves.toEqual({ ok: true });
    await waitFor(() => gone(agent) && gone(consult) && members(main) === [customer, p3].sort().join(), { what: 'customer and consulted party bridged, the agent gone' });
    expect((await stores.calls.byId(callId))?.stage).toBe('connected');
    expect(await requestRows()).toEqual([
      expect.objectContaining({ kind: 'transfer', mode: 'warm', consult_end: null, stage: 'answered' }),
      expect.objectContaining({ kind: 'finish', mode: null, consult_end: 'complete', stage: 'answered' }),
    ]);
  });

  it('given Ann consults a number on the owner (her warm transfer reached it), when she asks another instance for Back, then the owner hangs the consulted party up and she is with the customer again', async () => {
    const callId = await consulting('owner');
    const { agent, customer, p3, main, consult } = ids(callId);

    await expect(elsewhere.finishConsult(callId, ann, 'back')).resolves.toEqual({ ok: true });
    await waitFor(() => gone(p3) && gone(consult) && members(main) === [agent, customer].sort().join(), { what: 'agent and customer bridged again, the consulted party gone' });
    expect((await stores.calls.byId(callId))?.stage).toBe('connected');
  });

  it('given Ann\'s call runs on the owner, when she asks another instance to add a number, then the owner dials it into the call: a conference of agent, customer and the number', async () => {
    const callId = await connectedCall();
    const { agent, customer, p3, main } = ids(callId);

    await expect(elsewhere.addParty(callId, ann, { kind: 'number', number: COLLEAGUE })).resolves.toEqual({ ok: true, legId: 'p3', label: COLLEAGUE_LABEL });
    await waitFor(() => upInAsterisk(p3) && members(main) === [agent, customer, p3].sort().join(), { what: 'the three of them in the call\'s bridge' });
    expect(await requestRows()).toEqual([expect.objectContaining({ kind: 'add', mode: null, stage: 'answered' })]);
  });

  it('given Ann\'s call runs on the owner, when Carol, an agent not on it, asks another instance to complete Ann\'s consultation or to add a party, then the owner refuses her as not the call\'s agent, nothing is dialed, and her add is audited as refused', async () => {
    const callId = await consulting('owner');
    const channels = sim.channels().length;

    await expect(elsewhere.finishConsult(callId, carol, 'complete')).resolves.toEqual({ ok: false, refusal: 'not_owner' });
    await expect(elsewhere.addParty(callId, carol, { kind: 'number', number: '+12025550188' })).resolves.toEqual({ ok: false, refusal: 'not_owner' });
    expect(sim.channels()).toHaveLength(channels);
    expect(owner.engine?.callState(callId)?.operation.kind).toBe('consult');
    const audited = await dataSource.query(`SELECT actor, details FROM audit_events WHERE action = 'call_refused' AND subject = '${callId}'`) as { actor: string; details: string }[];
    expect(audited).toEqual(expect.arrayContaining([
      { actor: '2003', details: 'consult_end(complete): not_owner' },
      { actor: '2003', details: expect.stringMatching(/^add_party number=.*not_owner/) },
    ]));
    expect(audited).toHaveLength(2);
  });

  it('given Ann\'s call is live on a server whose owner stopped and no instance serves yet, when she asks another instance for Complete or a warm transfer, then nobody claims the request: it is withdrawn and answered not taken in time, never that the call ended, and nothing is dialed', async () => {
    const callId = await connectedCall();
    await owner.stop();
    const channels = sim.channels().length;
    const impatient = elsewhereWaiting(new PartyRequests(dataSource), new ClusterCallStore(dataSource), 300);

    await expect(impatient.finishConsult(callId, ann, 'complete')).resolves.toEqual({ ok: false, refusal: 'not_reached' });
    await expect(impatient.transfer(callId, ann, { kind: 'number', number: COLLEAGUE }, 'warm')).resolves.toEqual({ ok: false, refusal: 'not_reached' });
    expect(await requestRows()).toEqual([
      expect.objectContaining({ kind: 'finish', consult_end: 'complete', stage: 'withdrawn', answer: null }),
      expect.objectContaining({ kind: 'transfer', mode: 'warm', stage: 'withdrawn', answer: null }),
    ]);
    expect(sim.channels()).toHaveLength(channels);
  });
});
