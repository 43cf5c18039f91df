import { createStores } from '../../store';
import { SUPERVISION } from '../../telegram/texts';
import { buildApp } from '../support/built-app';
import { ANN, ANN_AND_BOB, ClusterHarness } from '../support/cluster-harness';
import { testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;
/** A supervisor, not an agent. */
const SUE = { id: 3001, phone: '+15551230009' };

/**
 * Supervision in cluster mode with whole processes as deployed (cluster-supervision.spec.ts has the
 * owner's side in process), two instances behind the load balancer: every update
 * of the supervisor's goes to the instance that does not own the call's server.
 */
onPostgres('cluster: /live and its buttons on an instance that does not run the call', () => {
  let h: ClusterHarness;

  beforeAll(() => buildApp(), 180_000);
  beforeEach(async () => {
    h = await ClusterHarness.start({ instances: 2, simulators: 1, agents: ANN_AND_BOB, env: { MONITOR_ROUTES: 'M' } });
    await h.withDatabase((db) => createStores(db).supervisors.put(String(SUE.id), SUE.phone, '1000'));
    await h.serversSettled();
  });
  afterEach(() => h.stop());

  const lastTo = (chatId: number) => h.messagesTo(chatId).at(-1);

  it('given a connected call, when the supervisor sends /live and taps Listen, Barge and Leave there, then the owner rings them on the call\'s server and keeps their message, the call goes on, and the session is audited once', async () => {
    await h.sendCommand(ANN, '/call +12025550123');
    await waitFor(() => /^🟢 Connected/.test(h.statusOf(ANN)?.text ?? ''), { what: 'the call connected', timeoutMs: 20_000 });
    const call = await h.lastCallOf(ANN);
    const owner = await h.holderOf('asterisk:a1');
    const elsewhere = h.instances.find((i) => i.id !== owner?.id)!;
    h.proxy.setUpstreams([elsewhere.url]);

    await h.sendCommand(SUE.id, '/live');
    await waitFor(() => /^📡 Live calls \(1\)/.test(lastTo(SUE.id)?.text ?? ''), { what: '/live listing the call another instance runs' });
    expect(lastTo(SUE.id)?.text).toContain('Ann [M] → ');
    expect(lastTo(SUE.id)?.text).not.toContain('+12025550123');

    await h.pressButton(SUE.id, SUPERVISION.listenButton(1));
    await waitFor(() => lastTo(SUE.id)?.text === SUPERVISION.active('Ann', '+12025550123', 'listen'), { what: 'her message, from the owner, saying she listens', timeoutMs: 15_000 });
    const supervisor = h.sim(0).channels().find((c) => c.id.endsWith('-supervisor'));
    expect(supervisor?.state).toBe('Up');
    const id = supervisor!.id.slice(0, 36);
    await waitFor(() => h.sim(0).bridges().find((b) => b.id === `${id}-listen`)?.channels.length === 2, { what: 'her leg and the snoop bridged' });

    await h.pressButton(SUE.id, SUPERVISION.barge);
    await waitFor(() => lastTo(SUE.id)?.text === SUPERVISION.active('Ann', '+12025550123', 'barge'), { what: 'her message saying she barged in' });
    expect(h.sim(0).bridges().find((b) => b.id === `${call.id}-bridge`)?.channels.length).toBe(3);

    await h.pressButton(SUE.id, SUPERVISION.leave);
    await waitFor(() => /ended: you left/.test(lastTo(SUE.id)?.text ?? ''), { what: 'her message ended' });
    await waitFor(() => !h.sim(0).channels().some((c) => c.id === `${id}-supervisor`), { what: 'her leg hung up' });
    expect((await h.lastCallOf(ANN)).stage).toBe('connected');
    const audited = () => h.withDatabase(async (db) => (await createStores(db).audit.latest(20)).filter((e) => e.action === 'call_supervised'));
    await waitFor(async () => (await audited()).length === 1, { what: 'the session audited' });
    expect((await audited())[0]).toMatchObject({ actor: String(SUE.id), subject: call.id, details: expect.stringMatching(/^modes=listen>barge seconds=\d+ end=ended_by_supervisor$/) });
  });
});
