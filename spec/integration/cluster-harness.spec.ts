import { T } from '../../telegram/texts';
import { buildApp } from '../support/built-app';
import { ClusterHarness, DEFAULT_AGENTS } from '../support/cluster-harness';
import { testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

jest.setTimeout(30_000);

/**
 * The multi-process harness itself, without cluster mode: three callbot processes in webhook mode,
 * each on its own SQLite file, behind the round-robin proxy. What cluster specs rely on: every
 * update reaches some instance with the secret, the proxy spreads them, and a dead instance is skipped.
 */
describe('the cluster harness (three webhook instances, no cluster mode)', () => {
  let h: ClusterHarness;

  beforeAll(() => buildApp(), 180_000);
  // A short webhook timeout, for the frozen instance; long enough that a loaded machine's live instances still answer in it.
  beforeEach(async () => { h = await ClusterHarness.start({ instances: 3, simulators: 1, cluster: false, webhookTimeoutMs: 2000 }); });
  afterEach(() => h.stop());

  const USERS = [3001, 3002, 3003];

  async function startFrom(users: readonly number[]): Promise<void> {
    for (const id of users) await h.sendCommand(id, '/start');
    for (const id of users) await h.user(id).waitFor(new RegExp(escape(T.accessRequested)));
  }

  it('given three users send /start, then each gets an answer and the updates reached all three instances, one each', async () => {
    await startFrom(USERS);

    expect(h.proxy.counts()).toEqual(Object.fromEntries(h.instances.map((i) => [i.url, 1])));
    expect(h.proxy.handled.map((u) => u.status)).toEqual([200, 200, 200]);
  });

  it('given one instance is killed with SIGKILL, then later updates are still answered, by the two left', async () => {
    await startFrom(USERS);
    const dead = h.instance(1);
    h.kill(1, 'SIGKILL');
    expect((await h.exited(1)).signal).toBe('SIGKILL');

    await startFrom([3004, 3005, 3006, 3007]);

    expect(h.proxy.handledBy(dead.url)).toBe(1);
    expect(h.proxy.handledBy(h.instance(0).url) + h.proxy.handledBy(h.instance(2).url)).toBe(6);
    expect(h.proxy.handled.every((u) => u.status === 200)).toBe(true);
  });

  it('given the killed instance is restarted, then it takes updates again on the same port', async () => {
    h.kill(2, 'SIGKILL');
    await h.exited(2);
    await h.restart(2);

    await startFrom(USERS);

    expect(h.proxy.counts()).toEqual(Object.fromEntries(h.instances.map((i) => [i.url, 1])));
  });

  it('given an instance is frozen with SIGSTOP, then the update it took times out (it may yet handle it) and, after SIGCONT, it answers', async () => {
    h.kill(0, 'SIGSTOP');
    await expect(h.sendCommand(3001, '/start')).rejects.toThrow(/not delivered: .*504/);
    expect(h.proxy.handledBy(h.instance(0).url)).toBe(0);

    h.kill(0, 'SIGCONT');
    await h.user(3001).waitFor(new RegExp(escape(T.accessRequested)));
    await startFrom([3002, 3003, 3004]);

    expect(h.proxy.counts()).toEqual(Object.fromEntries(h.instances.map((i) => [i.url, 1])));
  });

  it('given every instance is down, then sending rejects saying the update was not delivered', async () => {
    for (const [i] of h.instances.entries()) h.kill(i, 'SIGKILL');
    await Promise.all(h.instances.map((_, i) => h.exited(i)));

    await expect(h.sendCommand(3001, '/start')).rejects.toThrow(/not delivered: .*502/);
  });
});

/**
 * The same harness in cluster mode: one throwaway PostgreSQL database shared by every instance,
 * migrated and seeded before they start. Runs under scripts/with-postgres.sh (scripts/test.sh's
 * PostgreSQL list); skipped on SQLite. It checks the harness, not cluster mode, which may still ignore CLUSTER.
 */
(testDatabaseKind() === 'postgres' ? describe : describe.skip)('the cluster harness on one PostgreSQL database', () => {
  let h: ClusterHarness;

  beforeAll(() => buildApp(), 180_000);
  beforeEach(async () => { h = await ClusterHarness.start({ instances: 3, simulators: 2 }); });
  afterEach(() => h.stop());

  it('given one user sends /start to each instance in turn, then only the first makes an access request: all three share the database', async () => {
    for (let n = 1; n <= 3; n += 1) {
      await h.sendCommand(3001, '/start');
      // The webhook is answered before the bot replies: each reply is awaited, or two instances race.
      await waitFor(() => h.messagesTo(3001).length === n, { what: `answer ${n}` });
    }

    expect(h.messagesTo(3001).map((m) => m.text)).toEqual([T.accessRequested, T.accessPending, T.accessPending].map((text) => T.withTelegramId(text, '3001')));
    expect(Object.values(h.proxy.counts())).toEqual([1, 1, 1]);
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

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
