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

  // One set of instances for the tests: before each, the killed are started again, the frozen thawed,
  // and the proxy's rotation and tally start over. Each test has users of its own: every instance
  // keeps the access requests it took, and the chats are shared.
  beforeAll(async () => {
    buildApp();
    // A short webhook timeout, for the frozen instance; long enough that a loaded machine's live instances still answer in it.
    h = await ClusterHarness.start({ instances: 3, simulators: 1, cluster: false, webhookTimeoutMs: 2000 });
  }, 180_000);
  beforeEach(async () => {
    for (const instance of h.instances) {
      if (instance.process.child.exitCode !== null || instance.process.child.signalCode !== null) await h.restart(instance.index);
      else h.kill(instance.index, 'SIGCONT');
    }
    h.proxy.setUpstreams(h.instances.map((i) => i.url));
    h.proxy.handled.length = 0;
  }, 60_000);
  afterAll(() => h?.stop());

  async function startFrom(users: readonly number[]): Promise<void> {
    for (const id of users) await h.sendCommand(id, '/start');
    for (const id of users) await h.user(id).waitFor(new RegExp(escape(T.accessRequested)));
  }

  it('given three users send /start, then each gets an answer and the updates reached all three instances, one each', async () => {
    await startFrom([3001, 3002, 3003]);

    expect(h.proxy.counts()).toEqual(Object.fromEntries(h.instances.map((i) => [i.url, 1])));
    expect(h.proxy.handled.map((u) => u.status)).toEqual([200, 200, 200]);
  });

  it('given one instance is killed with SIGKILL, then later updates are still answered, by the two left', async () => {
    await startFrom([3011, 3012, 3013]);
    const dead = h.instance(1);
    h.kill(1, 'SIGKILL');
    expect((await h.exited(1)).signal).toBe('SIGKILL');

    await startFrom([3014, 3015, 3016, 3017]);

    expect(h.proxy.handledBy(dead.url)).toBe(1);
    expect(h.proxy.handledBy(h.instance(0).url) + h.proxy.handledBy(h.instance(2).url)).toBe(6);
    expect(h.proxy.handled.every((u) => u.status === 200)).toBe(true);
  });

  it('given the killed instance is restarted, then it takes updates again on the same port', async () => {
    h.kill(2, 'SIGKILL');
    await h.exited(2);
    await h.restart(2);

    await startFrom([3021, 3022, 3023]);

    expect(h.proxy.counts()).toEqual(Object.fromEntries(h.instances.map((i) => [i.url, 1])));
  });

  it('given an instance is frozen with SIGSTOP, then the update it took times out (it may yet handle it) and, after SIGCONT, it answers', async () => {
    h.kill(0, 'SIGSTOP');
    await expect(h.sendCommand(3031, '/start')).rejects.toThrow(/not delivered: .*504/);
    expect(h.proxy.handledBy(h.instance(0).url)).toBe(0);

    h.kill(0, 'SIGCONT');
    await h.user(3031).waitFor(new RegExp(escape(T.accessRequested)));
    await startFrom([3032, 3033, 3034]);

    expect(h.proxy.counts()).toEqual(Object.fromEntries(h.instances.map((i) => [i.url, 1])));
  });

  it('given every instance is down, then sending rejects saying the update was not delivered', async () => {
    for (const [i] of h.instances.entries()) h.kill(i, 'SIGKILL');
    await Promise.all(h.instances.map((_, i) => h.exited(i)));

    await expect(h.sendCommand(3041, '/start')).rejects.toThrow(/not delivered: .*502/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
