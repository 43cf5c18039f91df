import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import TelegramServer from 'telegram-test-api';
import { openDatabase } from '../../../store/data-source';
import { createStores } from '../../../store';
import { ADMIN_ID, BOT_TOKEN, OPEN_RULES_ENV } from '../../support/bot-harness';
import { freePort } from '../../support/free-port';
import { closeDatabase } from '../../support/test-database';
import { waitFor } from '../../support/wait-for';
import { type AsteriskLab, REPO } from './lab';
import type { AgentProfile } from './scenario';
import { seedVerifiedCallerIds } from '../../support/caller-id-pool';

const MAIN = path.join(REPO, 'dist', 'app', 'main.js');

/**
 * callbot as it is deployed: `node dist/app/main.js` in its own process, configured only through
 * its environment, with its own Bot API server, SQLite file and Stasis app name. Nothing of the test
 * runner shares its event loop, so what it measures is the product's own speed (the in-process
 * harness shares one loop with jest, the Bot API server and the test's bookkeeping).
 */
export class AppProcess {
  /** When the process exited, and how. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly server: TelegramServer,
    readonly logFile: string,
    /** Whether stop() also stops the Bot API server (not when other instances share it). */
    private readonly ownsServer = true,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, atMs: Date.now() })));
  }

  /**
   * Agents are written to the database before the app starts, as an admin would have authorized
   * them. `env` adds to or overrides the app's environment (the load bench lifts the call cap).
   */
  static async start(
    lab: AsteriskLab,
    name: string,
    agents: ReadonlyArray<AgentProfile & { phone: string }>,
    { env = {} }: { env?: Record<string, string> } = {},
  ): Promise<AppProcess> {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: build the app first (npm run build; scripts/e2e/run-e2e.sh does)`);
    const databaseUrl = `sqlite:${path.join(lab.dir, `app-${name}.sqlite`)}`;
    const { dataSource } = await openDatabase(databaseUrl);
    try {
      const stores = createStores(dataSource);
      const store = stores.agents;
      // Agents may share a caller ID: each number is put in its route's pool once.
      const seeded = new Set<string>();
      for (const a of agents) {
        if (!seeded.has(`${a.route} ${a.callerId}`)) await seedVerifiedCallerIds(stores, [a.callerId], [a.route]);
        seeded.add(`${a.route} ${a.callerId}`);
        await store.authorize({ telegramId: a.telegramId, phone: a.phone, callerId: a.callerId, by: String(ADMIN_ID), displayName: a.name });
        await store.setRoute(a.telegramId, a.route);
      }
    } finally {
      await closeDatabase(dataSource);
    }

    const server = new TelegramServer({ port: await freePort(), host: '127.0.0.1', storeTimeout: 3600 });
    await server.start();
    return AppProcess.launch({
      dir: lab.dir, name, server, ownsServer: true,
      env: {
        ARI_URL: lab.ariUrl,
        ARI_USERNAME: lab.ari.username,
        ARI_PASSWORD: lab.ari.password,
        ARI_APP: `callbot-${name}`,
        DATABASE_URL: databaseUrl,
        AGENT_RING_TIMEOUT_S: '3',
        TARGET_RING_TIMEOUT_S: '3',
        ...env,
      },
      ready: (lines) => lines.some((l) => l.message === 'ARI connected') && lines.some((l) => l.message === 'callbot started'),
      what: `the app process (${name}) to start and connect to ARI`,
    });
  }

  /**
   * Starts `node dist/app/main.js` with the lab's common environment (bot token, the Bot API
   * server, open calling rules, JSON logs) plus `env`, in `dir` (no .env of the developer's is
   * read), and waits until its log satisfies `ready`. The process is recorded in the run's pids.
   */
  static async launch(opts: {
    dir: string;
    name: string;
    server: TelegramServer;
    /** Whether stop() also stops the Bot API server. */
    ownsServer: boolean;
    env: Record<string, string>;
    ready: (lines: ReturnType<AppProcess['logLines']>) => boolean;
    what: string;
    timeoutMs?: number;
  }): Promise<AppProcess> {
    if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: build the app first (npm run build; scripts/e2e/run-e2e.sh does)`);
    const logFile = path.join(opts.dir, `app-${opts.name}.log`);
    const log = fs.openSync(logFile, 'a');
    const child = spawn(process.execPath, [MAIN], {
      cwd: opts.dir,
      env: {
        PATH: process.env.PATH ?? '',
        TELEGRAM_BOT_TOKEN: BOT_TOKEN,
        TELEGRAM_API_ROOT: opts.server.config.apiURL,
        SUPER_ADMIN_IDS: String(ADMIN_ID),
        ...OPEN_RULES_ENV,
        LOG_FORMAT: 'json',
        LOG_LEVEL: 'info',
        ...opts.env,
      },
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    if (process.env.E2E_RUN_DIR) fs.appendFileSync(path.join(process.env.E2E_RUN_DIR, 'pids'), `${child.pid} app ${opts.name}\n`);
    const app = new AppProcess(child, opts.server, logFile, opts.ownsServer);
    try {
      await waitFor(() => {
        if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}):\n${app.logTail()}`);
        return opts.ready(app.logLines());
      }, { timeoutMs: opts.timeoutMs ?? 20000, what: opts.what });
    } catch (err) {
      await app.stop();
      throw err;
    }
    return app;
  }

  /** For the load bench's CPU readings (/proc/<pid>/stat). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends a signal (SIGKILL: the process dies on the spot, its leases and sockets left as they are). */
  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Sends a command as this Telegram user. */
  async send(userId: number, name: string, text: string): Promise<void> {
    const client = this.server.getClient(BOT_TOKEN, { userId, chatId: userId, firstName: name, userName: name.toLowerCase() });
    await client.sendCommand(client.makeCommand(text));
  }

  /** The texts of every message the bot has sent to a chat (as they read now, after edits). */
  textsTo(chatId: number): string[] {
    const stored = this.server.storage.botMessages as unknown as Array<{ message: { chat_id: number | string; text: string } }>;
    return stored.filter((m) => Number(m.message.chat_id) === chatId).map((m) => m.message.text);
  }

  /** How many of the bot's messages show a call's final state now (the ended call's "Call again" button). */
  finalStatuses(): number {
    const stored = this.server.storage.botMessages as unknown as Array<{ message: { reply_markup?: { inline_keyboard?: Array<Array<{ text: string }>> } } }>;
    return stored.filter((m) => (m.message.reply_markup?.inline_keyboard ?? []).some((row) => row.some((b) => b.text === '🔁 Call again'))).length;
  }

  logLines(): Array<{ level: string; message: string } & Record<string, unknown>> {
    let text = '';
    try {
      text = fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return [];
    }
    return text.split('\n').flatMap((line) => {
      try {
        return [JSON.parse(line) as { level: string; message: string }];
      } catch {
        return [];
      }
    });
  }

  logTail(lines = 20): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  }

  /** SIGTERM (the app ends its live calls and closes cleanly), then the Bot API server. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
    if (this.ownsServer) await this.server.stop();
  }
}
