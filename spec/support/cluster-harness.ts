import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import TelegramServer from 'telegram-test-api';
import type { DataSource } from 'typeorm';
import type { RouteCode } from '../../call/call-types';
import { ClusterCallStore, serverLeaseName } from '../../cluster/cluster-call-store';
import { LeaseStore } from '../../cluster/lease-store';
import { openDatabase } from '../../store/data-source';
import { createStores } from '../../store';
import { AriSimulator, type AriSimulatorOptions } from './ari-simulator';
import { BotApiFiles } from './bot-api-files';
import { BOT_TOKEN, type ChatSide, OPEN_RULES_ENV, TestUser } from './bot-harness';
import { type BotMessage, BotMessageHistory } from './bot-message-history';
import { MAIN } from './built-app';
import { type CallRowAsStored, callsOfAgent } from './call-rows';
import { seedVerifiedCallerIds } from './caller-id-pool';
import { freePort } from './free-port';
import { RoundRobinProxy } from './round-robin-proxy';
import { ServiceProcess, serviceEnv } from './service-process';
import { closeDatabase, throwawayPostgresDatabase } from './test-database';
import { waitFor } from './wait-for';

/** The ARI credentials every simulator accepts and every instance is given. */
export const CLUSTER_ARI = { username: 'callbot', password: 'ari-secret' } as const;
export const WEBHOOK_SECRET = 'cluster-webhook-secret_0123456789';

/** An agent put in the database before any instance starts, with a verified caller ID of their own. */
export interface SeedAgent {
  telegramId: string;
  phone: string;
  route: RouteCode;
  callerId: string;
  displayName?: string;
}

export const DEFAULT_AGENTS: readonly SeedAgent[] = [
  { telegramId: '2001', phone: '+15551230001', route: 'M', callerId: '+15550001111', displayName: 'Ann Agent' },
];

/** Ann and Bob's chat ids, as ANN_AND_BOB seeds them. */
export const ANN = 2001;
export const BOB = 2002;

/** Two agents on the Main route, each with a caller ID of their own: one places a call, the other takes it or calls too. */
export const ANN_AND_BOB: readonly SeedAgent[] = [
  { telegramId: String(ANN), phone: '+15551230001', route: 'M', callerId: '+15550001111', displayName: 'Ann' },
  { telegramId: String(BOB), phone: '+15551230002', route: 'M', callerId: '+15550001112', displayName: 'Bob' },
];

/** One Asterisk server as ASTERISK_SERVERS describes it. */
export interface AsteriskServerEntry {
  id: string;
  url: string;
  username: string;
  password: string;
  routes: RouteCode[];
  weight: number;
}

export interface ClusterHarnessOptions {
  /** How many callbot processes (N); default 3. */
  instances?: number;
  /** How many ARI simulators (M); default 1. */
  simulators?: number;
  /**
   * Default true: CLUSTER=on, every instance on one throwaway PostgreSQL database and all
   * simulators in ASTERISK_SERVERS. False: each instance on its own SQLite file, ARI_URL at simulator 0.
   */
  cluster?: boolean;
  /**
   * How Telegram's updates reach the instances: `webhook` (default) through the round-robin proxy,
   * or `polling`: no webhook is set, and the instances long-poll the Bot API server themselves.
   */
  telegram?: 'webhook' | 'polling';
  /** CLUSTER_LEASE_TTL_MS; default 3000. */
  leaseTtlMs?: number;
  agents?: readonly SeedAgent[];
  /** Overrides of a simulator's ASTERISK_SERVERS entry (routes, weight, id). */
  asteriskServer?: (j: number) => Partial<Pick<AsteriskServerEntry, 'id' | 'routes' | 'weight'>>;
  /**
   * The ARI password instance i is given for simulator j, when not the one the simulators accept
   * (an instance that cannot log in to one server); default: the right one everywhere.
   */
  ariPasswordOf?: (i: number, j: number) => string | undefined;
  sim?: Partial<Omit<AriSimulatorOptions, 'username' | 'password' | 'port'>>;
  /** Added to every instance's environment (after the harness's own, so it wins). */
  env?: Record<string, string>;
  /** Added to instance i's environment, after `env`. */
  envOf?: (i: number) => Record<string, string>;
  /** The log line that says an instance is up; default 'callbot started'. */
  readyLog?: string | RegExp;
  /** How long an instance may take to come up; default 20 s. */
  startTimeoutMs?: number;
  /** How long the proxy waits for an instance to answer an update (a SIGSTOPped one never does); default 10 s. */
  webhookTimeoutMs?: number;
}

/** One callbot process of the cluster, the current run of it. */
export interface ClusterInstance {
  readonly index: number;
  readonly id: string;
  readonly port: number;
  /** Its webhook URL, as the proxy forwards to it. */
  readonly url: string;
  readonly env: Readonly<Record<string, string>>;
  process: ServiceProcess;
}

type LogLine = ReturnType<ServiceProcess['logLines']>[number];

/** A spec needs no more than a handful: the retry covers another process taking a free port first. */
const PORT_ATTEMPTS = 5;

/**
 * Several callbot processes started as deployed (node dist/app/main.js) in webhook mode, behind a
 * round-robin proxy that plays the load balancer, with the local Bot API server, M ARI simulators
 * in this process and, in cluster mode, one throwaway PostgreSQL database, migrated and seeded.
 * Everything listens on 127.0.0.1. Specs talk to it as users do (commands, button presses) and kill,
 * stop or restart instances and simulators to see what the others do. Build dist/ first (buildApp).
 */
export class ClusterHarness implements ChatSide {
  readonly instances: ClusterInstance[] = [];
  private readonly simulators: AriSimulator[] = [];
  private readonly simPorts: number[] = [];
  private readonly history: BotMessageHistory;
  private dropDatabase: (() => Promise<void>) | undefined;
  private readonly tempDirs: string[] = [];
  /** Every process started, runs that failed to come up and earlier runs included, for stop() to end. */
  private readonly processes: ServiceProcess[] = [];
  /** Webhook posts of user updates not yet answered. */
  private readonly inFlight = new Set<Promise<void>>();
  /** Updates the Bot API server could not deliver (the proxy answered other than 2xx), oldest first. */
  readonly undelivered: Error[] = [];

  private constructor(
    readonly server: TelegramServer,
    readonly files: BotApiFiles,
    readonly proxy: RoundRobinProxy,
    private readonly opts: ClusterHarnessOptions,
  ) {
    this.history = new BotMessageHistory(server);
    // The server's client routes answer before the webhook post ends and drop its failure (an
    // unhandled rejection here): the posts are followed, so a send can wait for its update's fate.
    server.addUserMessage = this.followed(server.addUserMessage.bind(server));
    server.addUserCommand = this.followed(server.addUserCommand.bind(server));
    server.addUserCallback = this.followed(server.addUserCallback.bind(server));
  }

  private followed<A>(add: (arg: A) => Promise<void>): (arg: A) => Promise<void> {
    return (arg) => {
      const delivery = add(arg).catch((err: unknown) => {
        this.undelivered.push(err instanceof Error ? err : new Error(String(err)));
      });
      this.inFlight.add(delivery);
      void delivery.finally(() => this.inFlight.delete(delivery));
      return delivery;
    };
  }

  /** Waits until every user update sent so far has been answered; throws if any failed after the first `before` failures. */
  private async delivered(before: number): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
    const failed = this.undelivered.slice(before);
    if (failed.length > 0) throw new Error(`the update was not delivered: ${failed.map((e) => e.message).join('; ')}`, { cause: failed[0] });
  }

  static async start(opts: ClusterHarnessOptions = {}): Promise<ClusterHarness> {
    // storeTimeout is raised: the server forgets messages after it (60 s by default).
    const server = new TelegramServer({ port: await freePort(), host: '127.0.0.1', storeTimeout: 3600 });
    await server.start();
    let files: BotApiFiles | undefined;
    let proxy: RoundRobinProxy | undefined;
    try {
      files = await BotApiFiles.start(server.config.apiURL, BOT_TOKEN);
      proxy = await RoundRobinProxy.start({ secret: WEBHOOK_SECRET, ...(opts.webhookTimeoutMs ? { upstreamTimeoutMs: opts.webhookTimeoutMs } : {}) });
    } catch (err) {
      await proxy?.stop();
      await files?.stop();
      await server.stop();
      throw err;
    }
    const harness = new ClusterHarness(server, files, proxy, opts);
    try {
      await harness.startAll();
    } catch (err) {
      // Whatever started must stop, or the test runner never exits.
      await harness.stop();
      throw err;
    }
    return harness;
  }

  /** Cluster mode: the database every instance shares. */
  databaseUrl?: string;

  /** The harness's own connections to the shared database, opened at the first withDatabase and closed at stop(). */
  private database: Promise<DataSource> | undefined;

  /**
   * Runs `fn` on the harness's own connections to the shared database (cluster mode): specs read
   * rows and leases as an operator would, never through an instance. They are opened (and the
   * migrations checked) once, not at each call: specs poll through here every few milliseconds.
   */
  async withDatabase<T>(fn: (db: DataSource) => Promise<T>): Promise<T> {
    if (!this.databaseUrl) throw new Error('withDatabase needs cluster mode (a shared PostgreSQL database)');
    this.database ??= openDatabase(this.databaseUrl).then(({ dataSource }) => dataSource, (err: unknown) => {
      this.database = undefined;
      throw err;
    });
    return fn(await this.database);
  }

  /** Which instance holds a lease now (by the database's clock); undefined when nobody does. */
  async holderOf(lease: string): Promise<ClusterInstance | undefined> {
    const holding = await this.withDatabase((db) => new LeaseStore(db).current(lease));
    return holding ? this.instances.find((i) => i.id === holding.holder) : undefined;
  }

  /**
   * Cluster mode: resolves once every server has an owner connected to its ARI and the servers are
   * shared out (no instance holds more than its share). "callbot started" comes before that: a call
   * sent at once may be refused as "Telephony is offline", or land on a server about to be handed
   * to another instance.
   */
  async serversSettled(timeoutMs = 20_000): Promise<void> {
    const ids = this.asteriskServers().map((s) => s.id);
    const share = Math.ceil(ids.length / this.instances.length);
    await this.withDatabase(async (db) => {
      const servers = new ClusterCallStore(db);
      const leases = new LeaseStore(db);
      await waitFor(async () => {
        if (!(await servers.servers(ids)).every((view) => view.connected)) return false;
        const held = new Map<string, number>();
        for (const id of ids) {
          const holding = await leases.current(serverLeaseName(id));
          if (holding) held.set(holding.holder, (held.get(holding.holder) ?? 0) + 1);
        }
        return [...held.values()].every((count) => count <= share);
      }, { what: 'every server owned, connected and shared out', timeoutMs, everyMs: 50 });
    });
  }

  private get clusterMode(): boolean {
    return this.opts.cluster ?? true;
  }

  private async startAll(): Promise<void> {
    for (let j = 0; j < (this.opts.simulators ?? 1); j += 1) {
      const sim = await this.listenSimulator(0);
      this.simulators.push(sim);
      this.simPorts.push(sim.port);
    }
    let sharedDatabase: string | undefined;
    if (this.clusterMode) {
      const db = await throwawayPostgresDatabase();
      this.dropDatabase = db.drop;
      sharedDatabase = db.url;
      this.databaseUrl = db.url;
      await this.seed(sharedDatabase);
    }
    const count = this.opts.instances ?? 3;
    this.instances.push(...await Promise.all(Array.from({ length: count }, (_, i) => this.launch(i, sharedDatabase))));
    this.proxy.setUpstreams(this.instances.map((inst) => inst.url));
    // Every instance sets the webhook to the proxy itself; this makes it so even if none does.
    if (this.opts.telegram !== 'polling') this.server.setWebhook({ url: this.proxy.url }, BOT_TOKEN);
  }

  /** Starts instance i on a free port, trying another when some other process took it first. */
  private async launch(i: number, sharedDatabase: string | undefined): Promise<ClusterInstance> {
    for (let attempt = 1; ; attempt += 1) {
      const port = await freePort();
      const env = this.envOf(i, port, sharedDatabase);
      if (!sharedDatabase) await this.seed(env.DATABASE_URL!);
      const instance: ClusterInstance = {
        index: i, id: env.INSTANCE_ID!, port, url: `http://127.0.0.1:${port}/telegram`, env, process: this.spawn(env),
      };
      try {
        await this.ready(instance.process);
        return instance;
      } catch (err) {
        instance.process.killGroup();
        if (attempt >= PORT_ATTEMPTS || !/webhook server cannot listen/.test(instance.process.stderr)) throw err;
      }
    }
  }

  private envOf(i: number, port: number, sharedDatabase: string | undefined): Record<string, string> {
    const service = serviceEnv(this.files.apiRoot);
    // serviceEnv made a directory for the instance's own SQLite file: it goes at stop(), used or not.
    this.tempDirs.push(path.dirname(service.DATABASE_URL!.replace(/^sqlite:/, '')));
    return {
      ...service,
      ARI_USERNAME: CLUSTER_ARI.username,
      ARI_PASSWORD: CLUSTER_ARI.password,
      // Read without cluster mode; with it, ASTERISK_SERVERS names every simulator.
      ARI_URL: this.simulators[0]!.url,
      INSTANCE_ID: `callbot-${i + 1}`,
      // Every instance tells the Bot API server the proxy's URL: the proxy, like a load balancer, spreads the updates.
      ...(this.opts.telegram === 'polling' ? {} : { TELEGRAM_WEBHOOK_URL: this.proxy.url, TELEGRAM_WEBHOOK_SECRET: WEBHOOK_SECRET }),
      WEBHOOK_PORT: String(port),
      ...OPEN_RULES_ENV,
      ...(sharedDatabase ? {
        CLUSTER: 'on',
        DATABASE_URL: sharedDatabase,
        ASTERISK_SERVERS: JSON.stringify(this.asteriskServers(i)),
        CLUSTER_LEASE_TTL_MS: String(this.opts.leaseTtlMs ?? 3000),
      } : {}),
      ...this.opts.env,
      ...this.opts.envOf?.(i),
    };
  }

  /**
   * ASTERISK_SERVERS: every simulator, routes M and D and weight 1 unless the options say otherwise;
   * given an instance, with the passwords that instance is given.
   */
  asteriskServers(instance?: number): AsteriskServerEntry[] {
    return this.simPorts.map((port, j) => ({
      id: `a${j + 1}`, url: `http://127.0.0.1:${port}`, ...CLUSTER_ARI, routes: ['M', 'D'], weight: 1, ...this.opts.asteriskServer?.(j),
      password: (instance === undefined ? undefined : this.opts.ariPasswordOf?.(instance, j)) ?? CLUSTER_ARI.password,
    }));
  }

  private spawn(env: Readonly<Record<string, string>>): ServiceProcess {
    const p = ServiceProcess.start(process.execPath, [MAIN], { ...env });
    this.processes.push(p);
    return p;
  }

  private async ready(p: ServiceProcess): Promise<void> {
    await p.waitForLog(this.opts.readyLog ?? 'callbot started', this.opts.startTimeoutMs ?? 20_000);
  }

  /** Migrates the database and puts the agents in it, each with a verified caller ID on their route. */
  private async seed(databaseUrl: string): Promise<void> {
    const { dataSource } = await openDatabase(databaseUrl);
    try {
      const stores = createStores(dataSource);
      for (const agent of this.opts.agents ?? DEFAULT_AGENTS) {
        await stores.agents.authorize({
          telegramId: agent.telegramId, phone: agent.phone, callerId: agent.callerId, by: '1000', displayName: agent.displayName ?? `Agent ${agent.telegramId}`,
        });
        await stores.agents.setRoute(agent.telegramId, agent.route);
        await seedVerifiedCallerIds(stores, [agent.callerId], [agent.route]);
      }
    } finally {
      await closeDatabase(dataSource);
    }
  }

  private listenSimulator(port: number): Promise<AriSimulator> {
    return AriSimulator.start({ ringMs: 50, ...this.opts.sim, ...CLUSTER_ARI, port });
  }

  // --- the instances ---

  instance(i: number): ClusterInstance {
    const instance = this.instances[i];
    if (!instance) throw new Error(`no instance ${i} (there are ${this.instances.length})`);
    return instance;
  }

  /** Signals instance i's whole process group: SIGKILL to crash it, SIGSTOP to freeze it, SIGCONT to thaw it. */
  kill(i: number, signal: NodeJS.Signals = 'SIGKILL'): void {
    process.kill(-this.instance(i).process.pid, signal);
  }

  /** Resolves when instance i's current run has exited. */
  exited(i: number): ServiceProcess['exited'] {
    return this.instance(i).process.exited;
  }

  /** Ends instance i's current run if it is still going and starts it again: same port, id, database and environment. */
  async restart(i: number): Promise<void> {
    const instance = this.instance(i);
    if (instance.process.child.exitCode === null && instance.process.child.signalCode === null) {
      instance.process.killGroup();
      await instance.process.exited;
    }
    instance.process = this.spawn(instance.env);
    await this.ready(instance.process);
  }

  /**
   * Cluster mode, between tests that share one cluster: every instance running again (the exited
   * restarted, the frozen thawed) behind the proxy, every call ended (what is left is hung up from
   * the far end), the simulators' far ends back to their default and their logs forgotten, and the
   * servers settled. What it keeps: the chats and the calls table, so each test uses agents of its own.
   * Simulators stopped by a test are not started again here.
   */
  async startOver(timeoutMs = 20_000): Promise<void> {
    for (const instance of this.instances) {
      if (instance.process.child.exitCode !== null || instance.process.child.signalCode !== null) await this.restart(instance.index);
      else this.kill(instance.index, 'SIGCONT');
    }
    this.proxy.setUpstreams(this.instances.map((inst) => inst.url));
    for (const sim of this.simulators) {
      sim.setFarEnd(() => undefined);
      for (const channel of sim.channels()) {
        try {
          sim.farEndHangup(channel.id);
        } catch {
          // A channel with no far end (never dialled) goes when the app hangs up its call.
        }
      }
    }
    await this.withDatabase((db) => waitFor(async () => {
      const [row] = await db.query(`SELECT count(*) AS live FROM calls WHERE stage <> 'ended'`) as { live: string }[];
      return Number(row?.live) === 0;
    }, { what: 'every call ended', timeoutMs }));
    await waitFor(() => this.simulators.every((sim) => sim.channels().length === 0), { what: 'every channel hung up', timeoutMs });
    await this.serversSettled(timeoutMs);
    for (const sim of this.simulators) sim.clearLogs();
  }

  /** The JSON log lines instance i's current run has written so far. */
  logsOf(i: number): LogLine[] {
    return this.instance(i).process.logLines();
  }

  // --- the Asterisk servers ---

  /** Simulator j as it runs now (a new object after startSimulator). */
  sim(j: number): AriSimulator {
    const sim = this.simulators[j];
    if (!sim) throw new Error(`no simulator ${j} (there are ${this.simulators.length})`);
    return sim;
  }

  /** Simulator j dies: its sockets are cut and its port refuses connections. */
  async stopSimulator(j: number): Promise<void> {
    await this.sim(j).stop();
  }

  /** Simulator j comes back on the same port with no state, as a restarted Asterisk does; far-end settings must be set again. */
  async startSimulator(j: number): Promise<AriSimulator> {
    await this.sim(j).stop();
    this.simulators[j] = await this.listenSimulator(this.simPorts[j]!);
    return this.simulators[j]!;
  }

  // --- the users ---

  user(id: number, name = `User${id}`, username: string | undefined = `user${id}`): TestUser {
    return new TestUser(this, id, name, username);
  }

  /**
   * Sends text as user `userId` (a leading `/` makes it a command). Resolves once an instance has
   * answered the update's webhook post, which may be before the bot's reply is sent (wait for that
   * with user(id).waitFor); rejects when none took it (all down, or a refusal such as 401).
   */
  async sendCommand(userId: number, text: string): Promise<void> {
    const before = this.undelivered.length;
    await this.user(userId).send(text);
    await this.delivered(before);
  }

  /**
   * Presses an inline button in the user's chat: the newest one with this label, or, given
   * `{ data }`, the newest one carrying that callback data (or the data alone when no message has
   * it). Resolves and rejects as sendCommand does.
   */
  async pressButton(userId: number, button: string | RegExp | { data: string }): Promise<void> {
    const before = this.undelivered.length;
    const user = this.user(userId);
    if (typeof button === 'string' || button instanceof RegExp) {
      await user.tap(button);
    } else {
      const message = [...this.messagesTo(userId)].reverse().find((m) => m.buttons.some((b) => b.data === button.data));
      await user.tapData(button.data, message?.messageId);
    }
    await this.delivered(before);
  }

  /** Every message the bot sent to this chat, oldest first, as it reads now, each with every text it has shown. */
  messagesTo(chatId: number): BotMessage[] {
    return this.history.messagesTo(chatId);
  }

  /** The call status messages the bot sent to an agent (they name the customer: "To: …"), oldest first. */
  statusMessages(agent: number): BotMessage[] {
    return this.messagesTo(agent).filter((m) => /To: /.test(m.text));
  }

  /** The status message of the agent's first call. */
  statusOf(agent: number): BotMessage | undefined {
    return this.statusMessages(agent)[0];
  }

  /** The agent's latest Call row as the database holds it; throws when they have placed none. */
  async lastCallOf(agent: number): Promise<CallRowAsStored> {
    const calls = await this.withDatabase((db) => callsOfAgent(db, String(agent)));
    const last = calls[calls.length - 1];
    if (!last) throw new Error(`agent ${agent} has no call`);
    return last;
  }

  /** Ends everything, whatever state it is in: process groups killed, servers closed, database dropped. */
  async stop(): Promise<void> {
    const failures: unknown[] = [];
    const attempt = async (step: () => unknown) => {
      try {
        await step();
      } catch (err) {
        failures.push(err);
      }
    };
    for (const p of this.processes) p.killGroup();
    await Promise.all(this.processes.map((p) => attempt(() => p.exited)));
    for (const sim of this.simulators) await attempt(() => sim.stop());
    await attempt(() => this.proxy.stop());
    await attempt(() => this.files.stop());
    await attempt(() => this.server.stop());
    const database = this.database;
    this.database = undefined;
    if (database) await attempt(async () => closeDatabase(await database));
    if (this.dropDatabase) await attempt(this.dropDatabase);
    for (const dir of this.tempDirs) if (isTemporary(dir)) await attempt(() => fs.rmSync(dir, { recursive: true, force: true }));
    if (failures.length > 0) throw new AggregateError(failures, 'the cluster harness did not stop cleanly');
  }
}

/** A guard before removing a directory: only temporary ones go. */
function isTemporary(dir: string): boolean {
  return path.resolve(dir).startsWith(path.resolve(os.tmpdir()) + path.sep);
}
