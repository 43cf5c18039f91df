import { T } from '../../telegram/texts';
import { buildApp } from '../support/built-app';
import { ClusterHarness, DEFAULT_AGENTS } from '../support/cluster-harness';
import { testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

jest.setTimeout(30_000);

/**
 * The cluster harness (cluster-harness.spec.ts has it without cluster mode) on one throwaway
 * PostgreSQL database shared by every instance, migrated and seeded before they start. Runs under
 * scripts/with-postgres.sh (scripts/test.sh's PostgreSQL list); skipped on SQLite. It checks the
 * harness, not cluster mode, which may still ignore CLUSTER. The tests share one cluster: each
 * talks in a chat of its own, and the one that stops a simulator starts it again.
 */
(testDatabaseKind() === 'postgres' ? describe : describe.skip)('the cluster harness on one PostgreSQL database', () => {
  let h: ClusterHarness;

  beforeAll(async () => {
    buildApp();
    h = await ClusterHarness.start({ instances: 3, simulators: 2 });
  }, 180_000);
  afterAll(() => h?.stop());

  it('given one user sends /start to each instance in turn, then only the first makes an access request: all three share the database', async () => {
    const before = h.proxy.counts();
    for (let n = 1; n <= 3; n += 1) {
      await h.sendCommand(3001, '/start');
      // The webhook is answered before the bot replies: each reply is awaited, or two instances race.
      await waitFor(() => h.messagesTo(3001).length === n, { what: `answer ${n}` });
    }

    expect(h.messagesTo(3001).map((m) => m.text)).toEqual([T.accessRequested, T.accessPending, T.accessPending].map((text) => T.withTelegramId(text, '3001')));
    expect(Object.entries(h.proxy.counts()).map(([url, count]) => count - (before[url] ?? 0))).toEqual([1, 1, 1]);
  });

  it('given the seeded agent, then every instance greets them as an agent and their menu buttons work', async () => {
    const agent = Number(DEFAULT_AGENTS[0]!.telegramId);
    for (let n = 0; n < 3; n += 1) await h.sendCommand(agent, '/start');
    await waitFor(() => h.messagesTo(agent).length === 3, { what: 'three greetings' });
    expect(h.messagesTo(agent).every((m) => m.text === T.greeting(`User${agent}`))).toBe(true);

    await h.pressButton(agent, 'Select Route 🌐');

    await waitFor(() => h.messagesTo(agent).some((m) => m.buttons.some((b) => b.text === '[Main Route] 🌍')), { what: 'the route choice' });
  });

  it('gives every instance its cluster environment: its own INSTANCE_ID and port, the shared database, every simulator', () => {
    const servers = h.asteriskServers();
    expect(servers.map((s) => s.url)).toEqual([h.sim(0).url, h.sim(1).url]);
    for (const instance of h.instances) {
      expect(instance.env).toMatchObject({
        CLUSTER: 'on', INSTANCE_ID: `callbot-${instance.index + 1}`, WEBHOOK_PORT: String(instance.port),
        TELEGRAM_WEBHOOK_URL: h.proxy.url, ASTERISK_SERVERS: JSON.stringify(servers), CLUSTER_LEASE_TTL_MS: '3000',
      });
      expect(instance.env.DATABASE_URL).toMatch(/^postgres:\/\/.*\/callbot_throwaway_/);
    }
  });

  it('given a simulator is stopped, then its port refuses connections until it is started again on the same port', async () => {
    const url = h.sim(1).url;
    await h.stopSimulator(1);
    await expect(fetch(`${url}/ari/asterisk/info`)).rejects.toThrow();

    await h.startSimulator(1);

    expect(h.sim(1).url).toBe(url);
    expect((await fetch(`${url}/ari/asterisk/info`)).status).toBe(401);
  });
});
