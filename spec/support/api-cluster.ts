import { signInitData } from '../../miniapp/init-data';
import { BOT_TOKEN } from './bot-harness';
import { ANN_AND_BOB, ClusterHarness, type ClusterHarnessOptions, type ClusterInstance } from './cluster-harness';
import { freePort } from './free-port';

/**
 * Two instances on one PostgreSQL database and one Asterisk server, each with its HTTP API (and the
 * Mini App's) on a port of its own: B owns the server, so it runs every call, and A runs none. What
 * a page or a CRM does on A has to reach B through the database.
 */
export interface ApiCluster {
  h: ClusterHarness;
  /** The instance that runs no call. */
  a: ClusterInstance;
  /** The owner of the one server: every call runs here. */
  b: ClusterInstance;
  /** The base URL of an instance's HTTP API. */
  apiOf(instance: ClusterInstance): string;
  /** Signs `user` in to an instance's Mini App as Telegram would (signed init data); the session token. */
  signIn(instance: ClusterInstance, user: { id: number; first_name: string }): Promise<string>;
}

/**
 * Starts the two instances (Ann and Bob seeded unless `options` say otherwise) and waits until the
 * server is owned and connected; stop it with `h.stop()`.
 */
export async function startApiCluster(options: Omit<ClusterHarnessOptions, 'instances' | 'simulators'> = {}): Promise<ApiCluster> {
  const apiPorts = [await freePort(), await freePort()];
  const h = await ClusterHarness.start({
    agents: ANN_AND_BOB, ...options, instances: 2, simulators: 1,
    envOf: (i) => ({ API_PORT: String(apiPorts[i]), ...options.envOf?.(i) }),
  });
  try {
    await h.serversSettled();
    const b = await h.holderOf('asterisk:a1');
    if (!b) throw new Error('nobody owns the server after it settled: see the instances\' logs');
    const a = h.instances.find((i) => i !== b)!;
    const apiOf = (instance: ClusterInstance) => `http://127.0.0.1:${apiPorts[instance.index]}`;
    const signIn = async (instance: ClusterInstance, user: { id: number; first_name: string }): Promise<string> => {
      const initData = signInitData({ user: JSON.stringify(user), auth_date: String(Math.floor(Date.now() / 1000)) }, BOT_TOKEN);
      const response = await fetch(`${apiOf(instance)}/app/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ initData }) });
      if (response.status !== 200) throw new Error(`signing in to ${instance.id}'s Mini App answered ${response.status}: ${await response.text()}`);
      return ((await response.json()) as { token: string }).token;
    };
    return { h, a, b, apiOf, signIn };
  } catch (err) {
    await h.stop();
    throw err;
  }
}
