import { T } from '../../telegram/texts';
import { buildApp } from '../support/built-app';
import { ClusterHarness } from '../support/cluster-harness';

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

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
