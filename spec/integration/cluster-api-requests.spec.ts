import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { ApiKeys, type ApiCaller } from '../../api/api-keys';
import { type AgentSide, IntegrationCalls, type IntegrationCallEvent, type PromptedCall } from '../../api/integration-calls';
import { DncService } from '../../compliance/dnc-service';
import type { PlaceCallResult } from '../../engine/call-intake';
import { createStores } from '../../store';
import { openDatabase } from '../../store/data-source';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

const ADMIN = '1000';
const ANN = '2001';
const ROUNDS = 20;
const CONFIG = { defaultRegion: 'US' as const, allowedCountries: ['US' as const], api: { promptTtlS: 600 } };

/** One instance's API side: its own connections to the shared database, its own event stream (what its webhooks queue). */
interface Instance {
  dataSource: DataSource;
  calls: IntegrationCalls;
  events: IntegrationCallEvent[];
  placed: string[];
}

async function instance(url: string): Promise<Instance> {
  const { dataSource } = await openDatabase(url);
  const stores = createStores(dataSource);
  const dnc = new DncService({ dnc: stores.dnc, calls: stores.calls, audit: stores.audit, numbers: CONFIG });
  const calls = new IntegrationCalls({ requests: stores.apiCallRequests, agents: stores.agents, settings: stores.settings, audit: stores.audit, dnc, config: CONFIG });
  const placed: string[] = [];
  const side: AgentSide = {
    prompt: async (_request: PromptedCall) => undefined,
    placeNow: async (request) => {
      placed.push(request.number);
      return placedCall(randomUUID(), request.number);
    },
  };
  calls.connect(side);
  const events: IntegrationCallEvent[] = [];
  calls.events.subscribe((e) => events.push(e));
  return { dataSource, calls, events, placed };
}

function placedCall(callId: string, number: string): PlaceCallResult {
  return {
    ok: true, callId, runsHere: false, updates: undefined as never,
    context: { callId, agentId: 1, agentTelegramId: ANN, agentPhone: '+15551230001', target: number, route: 'M', callerId: null },
  };
}

/** A tap on the prompt's Call as the bot takes it (telegram/commands/integration.ts): claimed, placed, settled. */
async function tapCall(on: Instance, requestId: string): Promise<boolean> {
  const claim = await on.calls.claimPrompt(requestId, ANN);
  if (!claim.ok) return false;
  await on.calls.settle(requestId, ANN, placedCall(randomUUID(), claim.number));
  return true;
}

/**
 * The API's request events in cluster mode: each instance tells (and its webhooks queue) the events
 * of what it handled, the HTTP request or the agent's tap, so an event must come from exactly one
 * instance however the requests and taps are spread and raced. Two instances on one PostgreSQL
 * database, each with its own connections and its own event stream.
 */
onPostgres('cluster: the API\'s request events, once each over the instances', () => {
  let a: Instance;
  let b: Instance;
  let caller: ApiCaller;

  beforeEach(async () => {
    const url = await freshDatabaseUrl();
    a = await instance(url);
    b = await instance(url);
    const stores = createStores(a.dataSource);
    await stores.agents.authorize({ telegramId: ANN, phone: '+15551230001', callerId: null, by: ADMIN, displayName: 'Ann' });
    const keys = new ApiKeys({ keys: stores.apiKeys, audit: stores.audit, defaultRatePerMin: 60 });
    const made = await keys.create(ADMIN, 'crm', ['calls:place']);
    if (!made.ok) throw new Error(`the key was not made: ${made.refusal}`);
    caller = (await keys.authenticate(made.token))!;
  });

  afterEach(async () => {
    await closeDatabase(a.dataSource);
    await closeDatabase(b.dataSource);
  });

  const all = () => [...a.events, ...b.events];
  const ofKind = (kind: IntegrationCallEvent['kind']) => all().filter((e) => e.kind === kind);

  it('given the same request (key, Idempotency-Key and body) reaching both instances at once, then one request is kept and told once, and both answer it alike', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const body = { agent: ANN, number: `+1202555${String(1000 + round)}` };
      const [fromA, fromB] = await Promise.all([a.calls.request(caller, `k-${round}`, body), b.calls.request(caller, `k-${round}`, body)]);
      expect(fromA).toEqual(fromB);
      expect(fromA).toMatchObject({ status: 202, body: { state: 'prompted' } });
    }
    expect(ofKind('requested')).toHaveLength(ROUNDS);
    expect(new Set(ofKind('requested').map((e) => e.kind === 'requested' && e.requestId)).size).toBe(ROUNDS);
  });

  it('given a prompt asked for through instance A, when Ann\'s Call tap reaches both instances at once, then the call is placed once and "placed" is told once, by the instance that won the tap', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const asked = await a.calls.request(caller, `k-${round}`, { agent: ANN, number: `+1202555${String(1000 + round)}` });
      const requestId = String(asked.body.requestId);
      const won = await Promise.all([tapCall(a, requestId), tapCall(b, requestId)]);
      expect(won.filter(Boolean)).toHaveLength(1);
      const placed = ofKind('placed').filter((e) => e.kind === 'placed' && e.requestId === requestId);
      expect(placed).toHaveLength(1);
      expect((won[0] ? a : b).events).toContain(placed[0]);
    }
    expect(ofKind('requested')).toHaveLength(ROUNDS);
  });

  it('given a prompt, when Ann\'s Call reaches one instance and her Not now the other at the same moment, then exactly one of "placed" and "declined" is told', async () => {
    for (let round = 0; round < ROUNDS; round += 1) {
      const asked = await b.calls.request(caller, `k-${round}`, { agent: ANN, number: `+1202555${String(1000 + round)}` });
      const requestId = String(asked.body.requestId);
      const [called, declined] = await Promise.all([tapCall(a, requestId), b.calls.decline(requestId, ANN)]);
      expect(called !== declined).toBe(true);
      const told = all().filter((e) => (e.kind === 'placed' || e.kind === 'declined') && e.requestId === requestId);
      expect(told.map((e) => e.kind)).toEqual([called ? 'placed' : 'declined']);
    }
  });

  it('given an agent who accepts integration calls without asking, when the same request reaches both instances at once, then one instance places the call and "placed" is told once', async () => {
    await a.calls.setAcceptsWithoutAsking(ANN, true);
    for (let round = 0; round < ROUNDS; round += 1) {
      const body = { agent: ANN, number: `+1202555${String(1000 + round)}` };
      const answers = await Promise.all([a.calls.request(caller, `k-${round}`, body), b.calls.request(caller, `k-${round}`, body)]);
      // The loser answers the first's answer, or 409 while the winner is still placing it.
      expect(answers.some((x) => x.status === 202)).toBe(true);
      for (const answer of answers) expect([202, 409]).toContain(answer.status);
    }
    expect(a.placed.length + b.placed.length).toBe(ROUNDS);
    expect(ofKind('requested')).toHaveLength(ROUNDS);
    expect(ofKind('placed')).toHaveLength(ROUNDS);
  });
});
