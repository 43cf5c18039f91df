import { LIVE_STAGES } from '../../call/call-types';
import { ApiKeys } from '../../api/api-keys';
import type { CallCard, StreamEvent, Wallboard } from '../../miniapp/miniapp-types';
import { createStores } from '../../store';
import { type ApiCluster, startApiCluster } from '../support/api-cluster';
import { ADMIN_ID } from '../support/bot-harness';
import { buildApp } from '../support/built-app';
import { ANN, type ClusterHarness, type ClusterInstance } from '../support/cluster-harness';
import { EventStreamReader } from '../support/event-stream-reader';
import { testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

/** Well under the wallboard's periodic read (10 s): what arrives within it came with the call's change. */
const LIVE_MS = 3000;
/** Bob's phone (ANN_AND_BOB), and how long it rings before he answers a consultation. */
const BOB_PHONE = '15551230002';
const BOB_RINGS_MS = 2500;

/**
 * The Mini App and the HTTP API in cluster mode, with real processes: two instances on one
 * PostgreSQL database and one Asterisk server, so one instance (B) runs every call and the other (A)
 * runs none. Whatever instance a page or a CRM reaches sees and counts the whole cluster.
 */
onPostgres('cluster: the Mini App and the HTTP API see the whole cluster', () => {
  let h: ClusterHarness;
  let a: ClusterInstance;
  let b: ClusterInstance;
  let apiOf: ApiCluster['apiOf'];
  let signIn: ApiCluster['signIn'];
  const streams: EventStreamReader<StreamEvent>[] = [];

  // One cluster for the tests: after each, its streams are closed and every call has ended (startOver).
  beforeAll(async () => {
    buildApp();
    ({ h, a, b, apiOf, signIn } = await startApiCluster());
  }, 180_000);
  afterEach(async () => {
    for (const stream of streams.splice(0)) await stream.close();
    await h.startOver();
  }, 60_000);
  afterAll(() => h?.stop());

  async function watch(instance: ClusterInstance, token: string): Promise<EventStreamReader<StreamEvent>> {
    const stream = await EventStreamReader.open<StreamEvent>(`${apiOf(instance)}/app/api/events?token=${encodeURIComponent(token)}`);
    streams.push(stream);
    return stream;
  }

  const cards = (stream: EventStreamReader<StreamEvent>): CallCard[] => stream.events.flatMap((e) => (e.type === 'call' ? [e.call] : []));
  const boards = (stream: EventStreamReader<StreamEvent>): Wallboard[] => stream.events.flatMap((e) => (e.type === 'wallboard' ? [e.wallboard] : []));

  it('given Ann\'s call runs on instance B, when Ann and an admin watch instance A\'s Mini App, then Ann\'s card follows the call live and the wallboard lists it live; when Ann hangs up from A\'s Mini App, then B ends the call and both views on A show it ended', async () => {
    const annToken = await signIn(a, { id: ANN, first_name: 'Ann' });
    const annView = await watch(a, annToken);
    const wallboard = await watch(a, await signIn(a, { id: ADMIN_ID, first_name: 'Admin' }));
    await waitFor(() => boards(wallboard).length > 0, { what: 'the first wallboard' });

    await h.sendCommand(ANN, '/call +12025550123');
    const connected = await waitFor(async () => {
      const row = await h.lastCallOf(ANN);
      return row.stage === 'connected' ? row : undefined;
    }, { what: 'the call connected', timeoutMs: 20_000 });
    expect(connected.server_id).toBe('a1');
    // Ann's card on A follows the stages B runs the call through, live: at least one before
    // connected, in the call's order. Each is read from the row when announced, so one as short as
    // the simulator's ring may already be past when A reads it.
    await waitFor(() => cards(annView).some((c) => c.callId === connected.id && c.stage === 'connected' && !c.final),
      { what: 'Ann\'s card connected on A', timeoutMs: LIVE_MS });
    const stages = cards(annView).filter((c) => c.callId === connected.id).map((c) => c.stage);
    expect(stages.indexOf('connected')).toBeGreaterThan(0);
    expect(stages).toEqual([...stages].sort((x, y) => LIVE_STAGES.indexOf(x) - LIVE_STAGES.indexOf(y)));
    await waitFor(() => boards(wallboard).some((w) => w.liveCalls.some((c) => c.callId === connected.id && c.stage === 'connected')),
      { what: 'the call connected on A\'s wallboard', timeoutMs: LIVE_MS });

    const hangup = await fetch(`${apiOf(a)}/app/api/calls/${connected.id}/hangup`, { method: 'POST', headers: { authorization: `Bearer ${annToken}` } });
    expect(hangup.status).toBe(200);
    await waitFor(() => h.sim(0).channels().length === 0, { what: 'B hung up the call\'s channels', timeoutMs: 10_000 });
    await waitFor(async () => (await h.lastCallOf(ANN)).stage === 'ended', { what: 'the call row ended' });
    expect(await h.lastCallOf(ANN)).toMatchObject({ outcome: 'completed', ended_by: 'agent' });
    await waitFor(() => cards(annView).some((c) => c.callId === connected.id && c.final && c.stage === 'ended'),
      { what: 'Ann\'s card ended on A', timeoutMs: LIVE_MS });
    const last = cards(annView).filter((c) => c.callId === connected.id).at(-1)!;
    expect(last.final).toBe(true);
    await waitFor(() => boards(wallboard).at(-1)?.liveCalls.length === 0, { what: 'no live call on A\'s wallboard', timeoutMs: LIVE_MS });
    expect(b.index).not.toBe(a.index);
  });

  it('given Ann\'s call runs on instance B and she watches instance A\'s Mini App, when she consults Bob, his phone rings, he answers and she goes back, then her card on A follows the consultation from the legs (Back only while it rings, its buttons with Bob\'s name once he answers, Transfer again after Back), and a page opened on A mid-consultation shows it too', async () => {
    const annToken = await signIn(a, { id: ANN, first_name: 'Ann' });
    const annView = await watch(a, annToken);
    const api = (route: string, init: { method?: string; body?: object } = {}) => fetch(`${apiOf(a)}/app/api/${route}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${annToken}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
    // Bob's phone rings long enough for A to read the call while it rings.
    h.sim(0).setFarEnd((endpoint) => (endpoint.includes(BOB_PHONE) ? { kind: 'answer', ringMs: BOB_RINGS_MS } : undefined));
    await h.sendCommand(ANN, '/call +12025550123');
    const call = await waitFor(async () => {
      const row = await h.lastCallOf(ANN);
      return row.stage === 'connected' ? row : undefined;
    }, { what: 'the call connected', timeoutMs: 20_000 });
    expect(call.server_id).toBe('a1');
    const cardOf = () => cards(annView).filter((c) => c.callId === call.id).at(-1);
    await waitFor(() => cardOf()?.controls === 'transfer', { what: 'Ann\'s card on A offering Transfer', timeoutMs: LIVE_MS });

    const candidates = (await (await api(`calls/${call.id}/transfer-candidates`)).json()) as { agents: { agentId: number; label: string }[] };
    const bob = candidates.agents.find((c) => c.label === 'Bob');
    expect(bob).toBeDefined();
    const warm = await api(`calls/${call.id}/transfer`, { method: 'POST', body: { mode: 'warm', agentId: bob!.agentId } });
    expect(warm.status).toBe(200);

    await waitFor(() => cardOf()?.controls === 'consult_ringing', { what: 'Ann\'s card on A with Back only while Bob\'s phone rings', timeoutMs: BOB_RINGS_MS });
    expect(cardOf()).toMatchObject({ stage: 'connected', consulted: 'Bob' });
    await waitFor(() => cardOf()?.controls === 'consulting', { what: 'Ann\'s card on A consulting Bob', timeoutMs: BOB_RINGS_MS + LIVE_MS });
    expect(cardOf()).toMatchObject({ stage: 'connected', consulted: 'Bob', status: 'Connected' });
    // A page opened (or a stream reconnecting) on A now reads the call from its rows the same way.
    expect(((await (await api('calls/live')).json()) as { call: CallCard }).call).toMatchObject({ callId: call.id, controls: 'consulting', consulted: 'Bob' });

    const back = await api(`calls/${call.id}/consultation`, { method: 'POST', body: { how: 'back' } });
    expect(back.status).toBe(200);
    await waitFor(() => cardOf()?.controls === 'transfer', { what: 'Ann\'s card on A offering Transfer again after Back', timeoutMs: LIVE_MS });
    expect(cardOf()?.consulted).toBeUndefined();
    expect(cardOf()?.final).toBe(false);
  });

  it('given a key allowed 5 requests a minute, when a CRM spreads its requests over both instances, then 5 succeed and the rest get 429, wherever they land', async () => {
    const token = await h.withDatabase(async (db) => {
      const stores = createStores(db);
      const made = await new ApiKeys({ keys: stores.apiKeys, audit: stores.audit, defaultRatePerMin: 60 }).create(String(ADMIN_ID), 'crm', ['calls:read'], 5);
      if (!made.ok) throw new Error(`the key was not made: ${made.refusal}`);
      return made.token;
    });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i += 1) {
      const response = await fetch(`${apiOf(i % 2 === 0 ? a : b)}/v1/calls`, { headers: { authorization: `Bearer ${token}` } });
      statuses.push(response.status);
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  });
});
