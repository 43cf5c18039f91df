import { buildApp } from '../support/built-app';
import { ClusterHarness, type SeedAgent } from '../support/cluster-harness';
import { testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

jest.setTimeout(60_000);

const AGENTS: SeedAgent[] = [
  { telegramId: '2001', phone: '+15551230001', route: 'M', callerId: '+15550001111' },
  { telegramId: '2002', phone: '+15551230002', route: 'M', callerId: '+15550001112' },
  { telegramId: '2003', phone: '+15551230003', route: 'M', callerId: '+15550001113' },
  { telegramId: '2004', phone: '+15551230004', route: 'M', callerId: '+15550001114' },
];

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

/**
 * Cluster mode as deployed: three callbot processes on one PostgreSQL database, two simulated
 * Asterisk servers, Telegram's updates spread over the instances by a round-robin proxy.
 */
onPostgres('cluster: three instances, two Asterisk servers', () => {
  let h: ClusterHarness;

  beforeAll(() => buildApp(), 180_000);
  beforeEach(async () => { h = await ClusterHarness.start({ instances: 3, simulators: 2, agents: AGENTS, leaseTtlMs: 3000 }); });
  afterEach(() => h.stop());

  const statusOf = (agent: string) => h.messagesTo(Number(agent)).find((m) => /To: /.test(m.text));

  it('given four agents each place a call, then the calls are spread over both servers and each connects', async () => {
    for (const a of AGENTS) await h.sendCommand(Number(a.telegramId), '/call +12025550123');
    for (const a of AGENTS) await waitFor(() => /Connected/.test(statusOf(a.telegramId)?.text ?? ''), { what: `agent ${a.telegramId} connected`, timeoutMs: 20_000 });
    const channelsOn = [0, 1].map((j) => h.sim(j).channels().length);
    expect(channelsOn[0]).toBeGreaterThan(0);
    expect(channelsOn[1]).toBeGreaterThan(0);
  });
});
