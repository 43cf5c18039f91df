import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_ID, BOT_TOKEN } from './bot-harness';
import { ROOT } from './built-app';
import { waitFor } from './wait-for';

/** The environment of a service that may run: a bot token, a Bot API root, ARI credentials and its own SQLite file. */
export function serviceEnv(apiRoot: string, extra: Record<string, string> = {}): Record<string, string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-service-'));
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? os.tmpdir(),
    TELEGRAM_BOT_TOKEN: BOT_TOKEN,
    TELEGRAM_API_ROOT: apiRoot,
    SUPER_ADMIN_IDS: String(ADMIN_ID),
    ARI_USERNAME: 'callbot',
    ARI_PASSWORD: 'ari-secret',
    DATABASE_URL: `sqlite:${path.join(dir, 'callbot.sqlite')}`,
    LOG_FORMAT: 'json',
    ...extra,
  };
}

/**
 * callbot started the way an operator starts it (`npm start`, or node on dist/app/main.js), with
 * only the environment it is given, from the project directory (there is no .env in a checkout
 * that the tests would pick up: .env is ignored by git, and the env given here wins).
 */
export class ServiceProcess {
  private out = '';
  private err = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; atMs: number }>;

  private constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (c: Buffer) => { this.out += c.toString('utf8'); });
    child.stderr?.on('data', (c: Buffer) => { this.err += c.toString('utf8'); });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, atMs: Date.now() })));
  }

  /** Its own process group, so a failed spec can end whatever is left of it. */
  static start(command: string, args: readonly string[], env: Record<string, string>): ServiceProcess {
    return new ServiceProcess(spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get stdout(): string {
    return this.out;
  }

  get stderr(): string {
    return this.err;
  }

  /** The complete lines of stdout parsed so far, and where the rest begins: waits call logLines() every few milliseconds. */
  private parsed: LogLine[] = [];
  private parsedUpTo = 0;

  /** The JSON log lines written so far. */
  logLines(): LogLine[] {
    const end = this.out.lastIndexOf('\n') + 1;
    if (end > this.parsedUpTo) {
      this.parsed.push(...parseLogLines(this.out.slice(this.parsedUpTo, end - 1)));
      this.parsedUpTo = end;
    }
    return [...this.parsed, ...parseLogLines(this.out.slice(this.parsedUpTo))];
  }

  async waitForLog(message: string | RegExp, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const match = (m: string) => (typeof message === 'string' ? m === message : message.test(m));
    return waitFor(() => {
      const line = this.logLines().find((l) => match(l.message));
      if (!line && this.child.exitCode !== null) throw new Error(`exited (${this.child.exitCode}) before logging ${String(message)}:\n${this.out}\n${this.err}`);
      return line;
    }, { timeoutMs, everyMs: 20, what: `log line ${String(message)}; so far:\n${this.out}\n${this.err}` });
  }

  /** Ends whatever of its process group is left (after a failed spec). */
  killGroup(): void {
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

type LogLine = { level: string; message: string } & Record<string, unknown>;

/** The lines of `text` that are JSON; the others are passed over. */
function parseLogLines(text: string): LogLine[] {
  return text.split('\n').flatMap((line) => {
    try {
      return [JSON.parse(line) as LogLine];
    } catch {
      return [];
    }
  });
}

/** Every process whose parent chain leads to `pid`, from /proc (Linux). */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // ended while we looked
    }
  }
  const found: number[] = [];
  const walk = (parent: number) => {
    for (const [child, ppid] of parents) {
      if (ppid === parent) {
        found.push(child);
        walk(child);
      }
    }
  };
  walk(pid);
  return found;
}

/** Alive and not a zombie (an orphan's zombie, never reaped, still counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}
