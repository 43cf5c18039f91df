import TelegramServer from 'telegram-test-api';
import type { DataSource } from 'typeorm';
import { LeaseStore } from '../../../cluster/lease-store';
import { openDatabase } from '../../../store/data-source';
import { createStores } from '../../../store';
import { ADMIN_ID, BOT_TOKEN } from '../../support/bot-harness';
import { type BotMessage, BotMessageHistory } from '../../support/bot-message-history';
import { seedVerifiedCallerIds } from '../../support/caller-id-pool';
import { freePort } from '../../support/free-port';
import { closeDatabase, throwawayPostgresDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait-for';
import { AppProcess } from './app-process';
import { AsteriskLab, SECOND_ASTERISK } from './lab';
import type { AgentProfile } from './scenario';
import { type CallRowAsStored, callsOfAgent } from '../../support/call-rows';

/** One Asterisk server of the cluster, as ASTERISK_SERVERS names it. */
export interface ClusterServer {
  id: string;
  lab: AsteriskLab;
}

/** One callbot instance of the cluster (its current process). */
export interface ClusterInstance {
  id: string;
  app: AppProcess;
}

export type { CallRowAsStored as ClusterCallRow } from '../../support/call-rows';

export interface ClusterLabOptions {
  agents: ReadonlyArray<AgentProfile & { phone: string }>;
  /** CLUSTER_LEASE_TTL_MS of every instance. */
  leaseTtlMs: number;
  /** How many callbot instances; default 2. */
  instances?: number;
}

/** The calls' Stasis app, the same on every instance (one WebSocket per server: its owner's). */
const ARI_APP = 'callbot';

/**
 * Cluster mode on real Asterisk: two Asterisk servers (127.0.0.1 and 127.0.0.4, each its own
 * rendered bundle, directories and ports) sharing the lab's two sipp providers, a throwaway
 * PostgreSQL database (on the server scripts/e2e/in-namespace.sh starts, E2E_POSTGRES_URL), one
 * local Bot API server, and N callbot processes as deployed (`node dist/app/main.js`, CLUSTER=on,
 * both servers in ASTERISK_SERVERS, polling mode: only the holder of the polling lease polls).
 */
export class ClusterLab {
  readonly instances: ClusterInstance[] = [];
  readonly history: BotMessageHistory;

  private constructor(
    readonly servers: readonly ClusterServer[],
    readonly server: TelegramServer,
    readonly databaseUrl: string,
    readonly db: DataSource,
    private readonly dropDatabase: () => Promise<void>,
    private readonly opts: ClusterLabOptions,
  ) {
    this.history = new BotMessageHistory(server);
  }

  static async start(name: string, opts: ClusterLabOptions): Promise<ClusterLab> {
    const pgServer = process.env.E2E_POSTGRES_URL;
    if (!pgServer?.startsWith('postgres')) {
      throw new Error('E2E_POSTGRES_URL names no PostgreSQL server: run the e2e suite with `npm run test:e2e` (scripts/e2e/in-namespace.sh starts one)');
    }
    const cleanups: Array<() => Promise<unknown>> = [];
    try {
      const first = await AsteriskLab.start(`${name}-a1`);
      cleanups.push(() => first.stop());
      const second = await AsteriskLab.start(`${name}-a2`, {
        ip: SECOND_ASTERISK.ip, rtp: { start: SECOND_ASTERISK.rtpStart, end: SECOND_ASTERISK.rtpEnd }, entityId: SECOND_ASTERISK.entityId,
        providers: { main: first.main, dev: first.dev },
      });
      cleanups.unshift(() => second.stop());
      const database = await throwawayPostgresDatabase(pgServer);
      cleanups.unshift(() => database.drop());
      await seed(database.url, opts.agents);
      const { dataSource } = await openDatabase(database.url);
      cleanups.unshift(() => closeDatabase(dataSource));
      const server = new TelegramServer({ port: await freePort(), host: '127.0.0.1', storeTimeout: 3600 });
      await server.start();
      cleanups.unshift(() => server.stop());
      const lab = new ClusterLab([{ id: 'a1', lab: first }, { id: 'a2', lab: second }], server, database.url, dataSource, database.drop, opts);
      cleanups.unshift(() => lab.stopInstances());
      for (let i = 1; i <= (opts.instances ?? 2); i += 1) lab.instances.push(await lab.launch(`callbot-${i}`));
      await lab.settled();
      return lab;
    } catch (err) {
      for (const cleanup of cleanups) await cleanup().catch(() => undefined);
      throw err;
    }
  }

  /** The lab's directory for the cluster's own files (the instances' logs): the first server's. */
  get dir(): string {
    return this.servers[0]!.lab.dir;
  }

  /** How many processes each instance id has had: a restarted one logs to a file of its own. */
  private readonly runs = new Map<string, number>();

  private async launch(id: string): Promise<ClusterInstance> {
    const run = (this.runs.get(id) ?? 0) + 1;
    this.runs.set(id, run);
    const servers = this.servers.map((s) => ({
      id: s.id, url: s.lab.ariUrl, username: s.lab.ari.username, password: s.lab.ari.password, routes: ['M', 'D'], weight: 1,
    }));
    const app = await AppProcess.launch({
      dir: this.dir, name: run === 1 ? id : `${id}-run${run}`, server: this.server, ownsServer: false,
      env: {
        CLUSTER: 'on',
        INSTANCE_ID: id,
        DATABASE_URL: this.databaseUrl,
        ASTERISK_SERVERS: JSON.stringify(servers),
        CLUSTER_LEASE_TTL_MS: String(this.opts.leaseTtlMs),
        ARI_APP,
      },
      ready: (lines) => lines.some((l) => l.message === 'callbot started'),
      what: `callbot instance ${id} to start`,
    });
    return { id, app };
  }

  /** Starts instance `id` again (after a kill), as a new process under the same INSTANCE_ID, and waits until the servers are shared out again. */
  async restart(id: string): Promise<ClusterInstance> {
    const index = this.instances.findIndex((i) => i.id === id);
    if (index < 0) throw new Error(`no instance ${id}`);
    await this.instances[index]!.app.stop();
    const instance = await this.launch(id);
    this.instances[index] = instance;
    await this.settled();
    return instance;
  }

  /**
   * Waits until the servers are shared out (no live instance holds more than the servers divided by
   * the instances alive, rounded up: cluster/fair-share.ts), each owner has its ARI WebSocket up, and
   * some instance polls Telegram.
   */
  private async settled(): Promise<void> {
    const alive = this.instances.filter((i) => i.app.isRunning());
    const share = Math.ceil(this.servers.length / Math.max(1, alive.length));
    await waitFor(async () => {
      const held = new Map<string, number>();
      for (const s of this.servers) {
        const owner = await this.ownerOf(s.id);
        if (!owner || !alive.includes(owner)) return false;
        // The owner's latest connection to this server's ARI (a handed-back server is connected again by its next owner).
        const lines = owner.app.logLines();
        const owning = lines.map((l) => l.message === 'owning Asterisk server' && l.server === s.id).lastIndexOf(true);
        if (owning < 0 || !lines.slice(owning).some((l) => l.message === 'ARI connected' && l.url === s.lab.ariUrl && l.app === ARI_APP)) return false;
        held.set(owner.id, (held.get(owner.id) ?? 0) + 1);
      }
      if ([...held.values()].some((n) => n > share)) return false;
      return (await this.holderOf('telegram:polling')) !== undefined;
    }, { timeoutMs: 20000, everyMs: 100, what: `the servers shared out (at most ${share} an instance), each owner connected to its ARI, and Telegram polled` });
  }

  /** Which instance holds a lease now, by the database's clock. */
  async holderOf(lease: string): Promise<ClusterInstance | undefined> {
    const holding = await new LeaseStore(this.db).current(lease);
    return holding ? this.instances.find((i) => i.id === holding.holder) : undefined;
  }

  /** The instance that owns an Asterisk server (lease `asterisk:<id>`). */
  ownerOf(serverId: string): Promise<ClusterInstance | undefined> {
    return this.holderOf(`asterisk:${serverId}`);
  }

  serverOf(id: string): ClusterServer {
    const server = this.servers.find((s) => s.id === id);
    if (!server) throw new Error(`no Asterisk server ${id} in the cluster lab`);
    return server;
  }

  async lastCallOf(telegramId: string): Promise<CallRowAsStored | undefined> {
    return (await callsOfAgent(this.db, telegramId)).at(-1);
  }

  /** Sends a command as this Telegram user (the instance holding the polling lease gets it). */
  async send(userId: number, name: string, text: string): Promise<void> {
    const client = this.server.getClient(BOT_TOKEN, { userId, chatId: userId, firstName: name, userName: name.toLowerCase() });
    await client.sendCommand(client.makeCommand(text));
  }

  messagesTo(chatId: number): BotMessage[] {
    return this.history.messagesTo(chatId);
  }

  /** Each instance's log, kept in the lab directory; the tail of each for a failure message. */
  logTails(lines = 15): string {
    return this.instances.map((i) => `--- ${i.id} (${i.app.logFile})\n${i.app.logTail(lines)}`).join('\n');
  }

  private async stopInstances(): Promise<void> {
    await Promise.all(this.instances.map((i) => i.app.stop()));
  }

  async stop(): Promise<void> {
    try {
      await this.stopInstances();
      await this.server.stop();
      await closeDatabase(this.db);
      await this.dropDatabase().catch(() => undefined);
    } finally {
      // The second server shares the first's providers: it stops first, then the first with them.
      await this.servers[1]?.lab.stop();
      await this.servers[0]?.lab.stop();
    }
  }
}

/** Migrates the database and authorizes the agents, each with a verified caller ID on their route. */
async function seed(databaseUrl: string, agents: ReadonlyArray<AgentProfile & { phone: string }>): Promise<void> {
  const { dataSource } = await openDatabase(databaseUrl);
  try {
    const stores = createStores(dataSource);
    for (const a of agents) {
      await seedVerifiedCallerIds(stores, [a.callerId], [a.route]);
      await stores.agents.authorize({ telegramId: a.telegramId, phone: a.phone, callerId: a.callerId, by: String(ADMIN_ID), displayName: a.name });
      await stores.agents.setRoute(a.telegramId, a.route);
    }
  } finally {
    await closeDatabase(dataSource);
  }
}
