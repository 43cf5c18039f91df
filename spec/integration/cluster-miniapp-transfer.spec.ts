import { signInitData } from '../../miniapp/init-data';
import { createStores } from '../../store';
import { PARTY } from '../../telegram/texts';
import { ADMIN_ID, BOT_TOKEN } from '../support/bot-harness';
import { buildApp } from '../support/built-app';
import { ANN, ANN_AND_BOB, BOB, ClusterHarness, type ClusterInstance } from '../support/cluster-harness';
import { freePort } from '../support/free-port';
import { testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

const CUSTOMER = '+12025550123';
const LISTED = '+12025550177';
const COLLEAGUE = '+12025550199';

/**
 * A transfer (cold or warm) asked for in the Mini App of an instance that does not run the call, and
 * a consultation's end or an added party tapped in the chat with the taps reaching that instance,
 * with real processes: two instances on one PostgreSQL database and one Asterisk server, so one
 * instance (B) runs every call and the other (A) runs none. A passes the request to B, which checks
 * it with the same rules as its own and carries it out; the page or chat on A gets B's answer.
 */
onPostgres('cluster: a Mini App transfer, consultation or conference on an instance that does not run the call', () => {
  let h: ClusterHarness;
  let apiPorts: number[];
  let a: ClusterInstance;

  beforeAll(() => buildApp(), 180_000);
  beforeEach(async () => {
    apiPorts = [await freePort(), await freePort()];
    h = await ClusterHarness.start({ instances: 2, simulators: 1, agents: ANN_AND_BOB, envOf: (i) => ({ API_PORT: String(apiPorts[i]) }) });
    await h.serversSettled();
    const owner = await h.holderOf('asterisk:a1');
    if (!owner) throw new Error('nobody owns the server');
    a = h.instances.find((i) => i !== owner)!;
  });
  afterEach(() => h.stop());

  const apiOf = (instance: ClusterInstance) => `http://127.0.0.1:${apiPorts[instance.index]}`;

  async function signIn(instance: ClusterInstance, user: { id: number; first_name: string }): Promise<string> {
    const initData = signInitData({ user: JSON.stringify(user), auth_date: String(Math.floor(Date.now() / 1000)) }, BOT_TOKEN);
    const response = await fetch(`${apiOf(instance)}/app/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ initData }) });
    expect(response.status).toBe(200);
    return ((await response.json()) as { token: string }).token;
  }

  async function connectedCallOfAnn(): Promise<{ id: string; server_id: string | null }> {
    await h.sendCommand(ANN, `/call ${CUSTOMER}`);
    const connected = await waitFor(async () => {
      const row = await h.lastCallOf(ANN);
      return row.stage === 'connected' ? row : undefined;
    }, { what: 'the call connected', timeoutMs: 20_000 });
    expect(connected.server_id).toBe('a1');
    return connected;
  }

  const transferOn = (instance: ClusterInstance, token: string, callId: string, body: object) => fetch(`${apiOf(instance)}/app/api/calls/${callId}/transfer`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });

  it('given Ann\'s call runs on instance B, when Ann transfers it cold to Bob from instance A\'s Mini App, then A lists Bob from the database, B carries the transfer out, A answers with B\'s label, and Bob\'s chat follows the call', async () => {
    const annToken = await signIn(a, { id: ANN, first_name: 'Ann' });
    const call = await connectedCallOfAnn();

    const candidates = await fetch(`${apiOf(a)}/app/api/calls/${call.id}/transfer-candidates`, { headers: { authorization: `Bearer ${annToken}` } });
    expect(candidates.status).toBe(200);
    const { agents } = (await candidates.json()) as { agents: { agentId: number; label: string }[] };
    expect(agents.map((c) => c.label)).toEqual(['Bob']);

    const response = await transferOn(a, annToken, call.id, { mode: 'cold', agentId: agents[0]!.agentId });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, label: 'Bob' });
    // B ran it: Bob's phone rang on B's server and the call is now his.
    await waitFor(() => /^🟢 Connected/.test(h.statusOf(BOB)?.text ?? ''), { what: 'Bob\'s status connected', timeoutMs: 15_000 });
    await waitFor(() => /↪️ Transferred to Bob$/.test(h.statusOf(ANN)?.text ?? ''), { what: 'Ann\'s status handed off', timeoutMs: 15_000 });
    const onCall = await h.withDatabase((db) => db.query('SELECT on_call_agent_id, stage FROM calls WHERE id = $1', [call.id])) as { on_call_agent_id: number; stage: string }[];
    const bob = await h.withDatabase((db) => createStores(db).agents.byTelegramId(String(BOB)));
    expect(onCall[0]).toEqual({ on_call_agent_id: bob!.id, stage: 'connected' });
  });

  const members = (bridgeId: string) => h.sim(0).bridges().find((b) => b.id === bridgeId)?.channels.slice().sort().join() ?? null;
  const upInAsterisk = (channelId: string) => h.sim(0).channels().some((c) => c.id === channelId && c.state === 'Up');
  const gone = (id: string) => !h.sim(0).channels().some((c) => c.id === id) && !h.sim(0).bridges().some((b) => b.id === id);
  const idsOf = (callId: string) => ({ agent: `${callId}-agent`, customer: `${callId}-target`, p3: `${callId}-p3`, main: `${callId}-bridge`, consult: `${callId}-consult` });

  it.each([
    [PARTY.completeButton, 'B joins the customer and the number, Ann gone', 'complete'],
    [PARTY.backButton, 'B hangs the number up and Ann is with the customer again', 'back'],
  ] as const)('given Ann\'s call runs on instance B, when Ann transfers it warm to a number from instance A\'s Mini App, then B runs the consultation (Ann with the number, the customer on hold); when she taps %s and the tap reaches A, then %s', async (button, _then, how) => {
    const annToken = await signIn(a, { id: ANN, first_name: 'Ann' });
    const call = await connectedCallOfAnn();
    const { agent, customer, p3, main, consult } = idsOf(call.id);

    const response = await transferOn(a, annToken, call.id, { mode: 'warm', number: COLLEAGUE });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ ok: true, label: '+1 202-555-0199' });
    await waitFor(() => upInAsterisk(p3) && members(consult) === [agent, p3].sort().join() && members(main) === customer,
      { what: 'Ann consulting the number on B, the customer on hold', timeoutMs: 15_000 });
    // B shows the consultation's buttons under Ann's status; her tap reaches A alone.
    await waitFor(() => h.statusOf(ANN)?.buttons.some((b) => b.text === button), { what: `the ${button} button`, timeoutMs: 15_000 });
    h.proxy.setUpstreams([a.url]);
    await h.pressButton(ANN, button);
    if (how === 'complete') {
      await waitFor(() => gone(agent) && gone(consult) && members(main) === [customer, p3].sort().join(), { what: 'the customer and the number bridged, Ann gone', timeoutMs: 15_000 });
    } else {
      await waitFor(() => gone(p3) && gone(consult) && members(main) === [agent, customer].sort().join(), { what: 'Ann and the customer bridged again, the number gone', timeoutMs: 15_000 });
    }
    expect((await h.lastCallOf(ANN)).stage).toBe('connected');
    expect(h.user(ANN).messages().map((m) => m.text)).not.toContainEqual(expect.stringMatching(/call has ended/));
  });

  it('given Ann\'s call runs on instance B and she consults a number from instance A\'s Mini App, when she completes it from A\'s Mini App, then A passes it to B, which joins the customer and the number; another agent is refused on A with 403', async () => {
    const annToken = await signIn(a, { id: ANN, first_name: 'Ann' });
    const bobToken = await signIn(a, { id: BOB, first_name: 'Bob' });
    const call = await connectedCallOfAnn();
    const { agent, customer, p3, main, consult } = idsOf(call.id);
    expect((await transferOn(a, annToken, call.id, { mode: 'warm', number: COLLEAGUE })).status).toBe(200);
    await waitFor(() => upInAsterisk(p3) && members(consult) === [agent, p3].sort().join(), { what: 'Ann consulting the number on B', timeoutMs: 15_000 });
    // B has heard the number answer (its row says so), as Ann's card showing Complete would tell her: until then Complete is refused not_now.
    await waitFor(async () => (await h.withDatabase((db) => createStores(db).legs.legsOf([call.id]))).get(call.id)?.find((l) => l.legId === 'p3')?.answeredAt != null,
      { what: 'B recorded the number answered', timeoutMs: 15_000 });

    const finishOn = (token: string) => fetch(`${apiOf(a)}/app/api/calls/${call.id}/consultation`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ how: 'complete' }),
    });
    const refused = await finishOn(bobToken);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ refusal: 'not_owner' });
    expect(members(consult)).toBe([agent, p3].sort().join());
    const done = await finishOn(annToken);
    expect(done.status).toBe(200);
    await waitFor(() => gone(agent) && gone(consult) && members(main) === [customer, p3].sort().join(), { what: 'the customer and the number bridged on B, Ann gone', timeoutMs: 15_000 });
  });

  it('given Ann\'s call runs on instance B and her chat\'s taps reach only instance A, when she adds a number with ➕ Add, then B dials it into the call: a conference of Ann, the customer and the number', async () => {
    const call = await connectedCallOfAnn();
    const { agent, customer, p3, main } = idsOf(call.id);
    await waitFor(() => h.statusOf(ANN)?.buttons.some((b) => b.text === PARTY.addButton), { what: 'the Add button under the connected call', timeoutMs: 15_000 });
    h.proxy.setUpstreams([a.url]);

    await h.pressButton(ANN, PARTY.addButton);
    await h.user(ANN).waitFor(/Who should join the call\?/);
    await h.pressButton(ANN, PARTY.typeNumberButton);
    await h.user(ANN).waitFor(/Send the number to add to the call/);
    await h.sendCommand(ANN, COLLEAGUE);
    await waitFor(() => upInAsterisk(p3) && members(main) === [agent, customer, p3].sort().join(), { what: 'the three of them in the call\'s bridge on B', timeoutMs: 15_000 });
    expect(h.user(ANN).messages().map((m) => m.text)).not.toContainEqual(expect.stringMatching(/call has ended/));
  });

  it('given Ann\'s call runs on instance B and a number is on the do-not-call list, when Ann transfers the call to it from instance A\'s Mini App, then B refuses it by the rule, A answers with the refusal a `/call` would get, and nothing is dialed', async () => {
    await h.withDatabase((db) => createStores(db).dnc.add(LISTED, { kind: 'admin', addedBy: String(ADMIN_ID) }));
    const annToken = await signIn(a, { id: ANN, first_name: 'Ann' });
    const call = await connectedCallOfAnn();
    const channels = h.sim(0).channels().length;

    const response = await transferOn(a, annToken, call.id, { mode: 'cold', number: LISTED });
    expect(response.status).toBe(422);
    const body = (await response.json()) as { refusal: string; message: string };
    expect(body.refusal).toBe('rule');
    expect(body.message).toMatch(/on the do-not-call list/);
    expect(h.sim(0).channels()).toHaveLength(channels);
    const audited = await h.withDatabase((db) => db.query(`SELECT details FROM audit_events WHERE action = 'call_refused' AND subject = $1`, [call.id])) as { details: string }[];
    expect(audited.map((r) => r.details)).toEqual([expect.stringMatching(/^transfer\(cold\) number=/)]);
  });
});
