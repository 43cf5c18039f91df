import { PARTY } from '../../telegram/texts';
import { buildApp } from '../support/built-app';
import { ClusterHarness, type SeedAgent } from '../support/cluster-harness';
import { testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

jest.setTimeout(90_000);

const AGENTS: SeedAgent[] = [
  { telegramId: '2001', phone: '+15551230001', route: 'M', callerId: '+15550001111', displayName: 'Ann' },
  { telegramId: '2002', phone: '+15551230002', route: 'M', callerId: '+15550001112', displayName: 'Bob' },
];
const ANN = 2001;
const BOB = 2002;

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

/**
 * Transfer in cluster mode, on the instance that runs the call: its status message carries the
 * party buttons, the request is answered by that instance's engines, and the agent who takes the
 * call gets its status message. (A call another instance runs is answered "no such call".)
 */
onPostgres('cluster: transfer on the instance that runs the call', () => {
  let h: ClusterHarness;

  beforeAll(() => buildApp(), 180_000);
  beforeEach(async () => {
    h = await ClusterHarness.start({ instances: 1, simulators: 1, agents: AGENTS });
    await h.serversSettled();
  });
  afterEach(() => h.stop());

  const statusOf = (agent: number) => h.messagesTo(agent).find((m) => /To: /.test(m.text));

  it('given a connected call on the instance that owns its server, when the agent transfers it cold to another agent, then that agent\'s chat follows the call and can hang it up', async () => {
    await h.sendCommand(ANN, '/call +12025550123');
    await waitFor(() => statusOf(ANN)?.buttons.some((b) => b.text === PARTY.transferButton), { what: 'the Transfer button under the connected call', timeoutMs: 20_000 });
    await h.pressButton(ANN, PARTY.transferButton);
    await h.user(ANN).waitFor(/Cold: the customer goes/);
    await h.pressButton(ANN, PARTY.coldButton);
    await h.user(ANN).waitFor(/Cold transfer to whom\?/);
    await h.pressButton(ANN, 'Bob');
    await waitFor(() => /↪️ Transferred to Bob$/.test(statusOf(ANN)?.text ?? '') && statusOf(ANN)?.buttons.length === 0, { what: "Ann's status handed off", timeoutMs: 15_000 });
    await waitFor(() => /^🟢 Connected/.test(statusOf(BOB)?.text ?? '') && statusOf(BOB)?.buttons.some((b) => b.text === '⏹ Hang up'), { what: "Bob's status with its buttons", timeoutMs: 15_000 });

    // The call is not Ann's any more: her /hangup finds none (its row still names her as who placed it).
    await h.sendCommand(ANN, '/hangup');
    await h.user(ANN).waitFor(/You have no call in progress/);
    expect(h.sim(0).channels().filter((c) => c.state === 'Up')).toHaveLength(2);

    await h.pressButton(BOB, '⏹ Hang up');
    await waitFor(() => /^📴 Call ended/.test(statusOf(BOB)?.text ?? ''), { what: "the call ended in Bob's chat", timeoutMs: 15_000 });
    await waitFor(() => h.sim(0).channels().length === 0 && h.sim(0).bridges().length === 0, { what: 'nothing left in the simulator' });
  });
});
