import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Bot } from 'node-telegram-bot-api';
import { botApiFailure } from '../../telegram/bot-api-check';
import { botOptions } from '../../telegram/telegram-out';
import { STOP_HARD_CAP_MS } from '../../app/shutdown';
import { OPERATOR } from '../../telegram/texts';
import { createLogger } from '../../config/logger';
import { packageVersion } from '../../config/version';
import { BOT_TOKEN } from '../support/bot-harness';
import { BotApiStub, ME, ok, refused } from '../support/bot-api-stub';
import { MAIN, ROOT, buildApp } from '../support/built-app';
import { freePort } from '../support/free-port';
import { ServiceProcess, serviceEnv } from '../support/service-process';
import { waitFor } from '../support/wait-for';

jest.setTimeout(30_000);

/** What the service's entry point does before it runs: its options, and the checks of the Bot API server. */
describe('starting the service', () => {
  const started: ServiceProcess[] = [];
  let closedPort: number;

  beforeAll(() => buildApp(), 180_000);
  beforeEach(async () => { closedPort = await freePort(); });
  afterEach(() => { for (const p of started.splice(0)) p.killGroup(); });

  function start(apiRoot: string, extra: Record<string, string> = {}): ServiceProcess {
    const p = ServiceProcess.start(process.execPath, [MAIN], serviceEnv(apiRoot, { ARI_URL: `http://127.0.0.1:${closedPort}`, ...extra }));
    started.push(p);
    return p;
  }

  function run(args: string[], env: Record<string, string> = { PATH: process.env.PATH ?? '' }) {
    return spawnSync(process.execPath, [MAIN, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 20_000 });
  }

  describe('options', () => {
    it('given --help, then it prints the usage (commands, where the variables are described, exit codes) and exits 0 without starting', () => {
      const r = run(['--help']);
      expect(r.status).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(OPERATOR.usage(packageVersion()));
      for (const part of ['.env.example', 'TELEGRAM_BOT_TOKEN', 'npm run migrate', 'npm run asterisk:config', 'SIGTERM', 'Exit codes']) expect(r.stdout).toContain(part);
    });

    it('given --version, then it prints the package version and exits 0 without starting', () => {
      const r = run(['--version']);
      expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: `${packageVersion()}\n`, stderr: '' });
      expect(packageVersion()).toMatch(/^\d+\.\d+\.\d+/);
    });

    it('given an option it does not know, then it says so, points to --help and exits 2', () => {
      const r = run(['--verbose']);
      expect(r.status).toBe(2);
      expect(r.stderr).toBe(`${OPERATOR.unknownOption('--verbose')}\n`);
    });

    it('given `npm run asterisk:config -- --help`, then it prints its usage and exits 0', () => {
      const r = spawnSync('npm', ['run', '--silent', 'asterisk:config', '--', '--help'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/^usage: npm run asterisk:config -- --out DIR\n/);
      expect(r.stdout).toContain('Exit codes');
    });
  });

  describe('a production install (npm ci --omit=dev: no ts-node, no TypeScript)', () => {
    let install: string;
    beforeEach(() => {
      // The built app and the production dependency the renderer needs, and nothing of the dev dependencies.
      install = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-prod-'));
      fs.copyFileSync(path.join(ROOT, 'package.json'), path.join(install, 'package.json'));
      fs.mkdirSync(path.join(install, 'scripts'));
      for (const file of ['run-built.js', 'fresh-build.js']) fs.copyFileSync(path.join(ROOT, 'scripts', file), path.join(install, 'scripts', file));
      for (const entry of ['dist', 'asterisk', 'tsconfig.json', 'tsconfig.build.json']) fs.symlinkSync(path.join(ROOT, entry), path.join(install, entry));
      fs.mkdirSync(path.join(install, 'node_modules'));
      fs.symlinkSync(path.join(ROOT, 'node_modules', 'dotenv'), path.join(install, 'node_modules', 'dotenv'));
    });
    afterEach(() => fs.rmSync(install, { recursive: true, force: true }));

    it('given `npm run asterisk:config -- --out DIR`, then it renders the files from the built JavaScript', () => {
      // Only the system's PATH: no node_modules/.bin of the checkout to find ts-node in.
      const systemPath = (process.env.PATH ?? '').split(path.delimiter).filter((dir) => !dir.includes('node_modules')).join(path.delimiter);
      const out = path.join(install, 'etc');
      const r = spawnSync('npm', ['run', '--silent', 'asterisk:config', '--', '--out', out], {
        cwd: install, encoding: 'utf8', timeout: 60_000,
        env: { PATH: systemPath, HOME: process.env.HOME ?? os.tmpdir(), ARI_USERNAME: 'callbot', ARI_PASSWORD: 'ari-secret', SIP_BIND: '127.0.0.1', PROVIDER_MAIN_HOST: '127.0.0.2', PROVIDER_DEV_HOST: '127.0.0.3' },
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(fs.readdirSync(out)).toContain('ari.conf');
    });
  });

  describe('the Bot API check (getMe)', () => {
    let stub: BotApiStub | undefined;
    afterEach(async () => { await stub?.stop(); stub = undefined; });

    it.each([[401, 'Unauthorized'], [404, 'Not Found']])('given the server answers %d to getMe, then it exits 2 saying the token was refused, and never prints the token', async (status, description) => {
      stub = await BotApiStub.start(() => refused(status, description));
      const p = start(stub.apiRoot);
      const exit = await p.exited;
      expect(exit.code).toBe(2);
      expect(p.stderr).toBe(`${OPERATOR.tokenRefused(status)}\n`);
      const secret = BOT_TOKEN.split(':')[1]!;
      expect(p.stdout + p.stderr).not.toContain(secret);
      expect(stub.calls).toEqual(['getMe']);
    });

    it('given no server at TELEGRAM_API_ROOT, then each retry is one short line with the cause and no stack, and SIGTERM still stops it at once', async () => {
      const p = start(`http://127.0.0.1:${closedPort}`);
      await waitFor(() => p.logLines().filter((l) => l.message === 'Bot API unreachable; retrying').length >= 2, { timeoutMs: 10_000 });
      const retries = p.logLines().filter((l) => l.message === 'Bot API unreachable; retrying');
      expect(retries.map((l) => l.attempt)).toEqual([1, 2]);
      for (const line of retries) {
        expect(line.level).toBe('warn');
        expect(line.cause).toMatch(new RegExp(`^Network request failed: getMe: fetch failed: connect ECONNREFUSED 127\\.0\\.0\\.1:${closedPort}$`));
      }
      expect(p.stdout).not.toMatch(/stack|\n\s+at /);
      expect(p.logLines().map((l) => l.message)).not.toContain('database ready');
      process.kill(p.pid, 'SIGTERM');
      expect((await p.exited).code).toBe(0);
    });

    it('given a server that refuses setMyCommands with 401, then the warning says the token was refused for it, not that the method is missing', async () => {
      stub = await BotApiStub.start((method) => (method === 'getMe' ? ok(ME) : method === 'setMyCommands' ? refused(401, 'Unauthorized') : 'hold'));
      const p = start(stub.apiRoot);
      const warning = await p.waitForLog(/command menus not registered/);
      expect(warning).toMatchObject({ level: 'warn', message: 'the Bot API server refused the bot token for setMyCommands; command menus not registered', status: 401 });
    });
  });

  describe('the database named by DATABASE_URL', () => {
    let stub: BotApiStub | undefined;
    afterEach(async () => { await stub?.stop(); stub = undefined; });

    /** Its exit, or undefined if it is still running once the stop's hard cap has passed. */
    async function exitWithinStopCap(p: ServiceProcess) {
      return Promise.race([p.exited, new Promise<undefined>((resolve) => { setTimeout(() => resolve(undefined), STOP_HARD_CAP_MS).unref(); })]);
    }

    it('given an SQLite path under /proc, then it exits 1 at once, saying the directory cannot be created (instead of spinning at full CPU)', async () => {
      stub = await BotApiStub.start((method) => (method === 'getMe' ? ok(ME) : 'hold'));
      const p = start(stub.apiRoot, { DATABASE_URL: 'sqlite:/proc/callbot/callbot.sqlite' });
      const exit = await exitWithinStopCap(p);
      expect(exit?.code).toBe(1);
      expect(p.stderr).toBe('callbot failed to start: cannot open the database (sqlite): the directory /proc/callbot cannot be created (set DATABASE_URL to a path where it can); ENOENT: no such file or directory, mkdir \'/proc/callbot\'\n');
    });

    it('given a postgres URL whose port is not a number, then it is a configuration error: exit 2 naming DATABASE_URL, without the password', async () => {
      const p = start(`http://127.0.0.1:${closedPort}`, { DATABASE_URL: 'postgres://u:secret-pw@127.0.0.1:notaport/db' });
      const exit = await exitWithinStopCap(p);
      expect(exit?.code).toBe(2);
      expect(p.stderr).toMatch(/^Invalid configuration:\n {2}- DATABASE_URL: /);
      expect(p.stdout + p.stderr).not.toContain('secret-pw');
    });

    it.each([
      ['a mysql:// URL', 'mysql://callbot:secret-pw@127.0.0.1/callbot'],
      ['a postgres URL whose port is not a number', 'postgres://u:secret-pw@127.0.0.1:notaport/db'],
    ])('given %s, then `npm run migrate` exits 2 naming DATABASE_URL, as the service does', (_what, url) => {
      const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'run-built.js'), 'dist/scripts/migrate.js'], {
        cwd: ROOT, env: { PATH: process.env.PATH ?? '', DATABASE_URL: url }, encoding: 'utf8', timeout: 20_000,
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^Invalid configuration:\n {2}- DATABASE_URL: /);
      expect(r.stdout + r.stderr).not.toContain('secret-pw');
    });
  });

  describe('what a failed Bot API request is said to be', () => {
    let stub: BotApiStub;
    beforeAll(async () => {
      // The first setMyCommands is answered as by a server without the method, the next as a refusal.
      stub = await BotApiStub.start((_method, n) => (n === 1 ? refused(404, 'Not Found') : refused(400, 'Bad Request: BOT_COMMANDS_TOO_MUCH')));
    });
    afterAll(() => stub.stop());

    async function failureOf(apiRoot: string) {
      const err = await new Bot(BOT_TOKEN, botOptions(apiRoot)).api.setMyCommands({ commands: [] }).then(() => undefined, (e: unknown) => e);
      return botApiFailure('setMyCommands', err);
    }

    it('given a 404, then the method is not available on this server', async () => {
      const failure = await failureOf(stub.apiRoot);
      expect(failure.message).toBe('setMyCommands is not available on this Bot API server');
    });

    it('given another refusal, then it is a refusal with Telegram\'s description', async () => {
      const failure = await failureOf(stub.apiRoot);
      expect(failure).toEqual({ message: 'the Bot API server refused setMyCommands', fields: { status: 400, description: 'Bad Request: BOT_COMMANDS_TOO_MUCH' } });
    });

    it('given a refusal that says neither code nor why ({"ok":false}), then the pretty log says so and prints no undefined field', async () => {
      const bare = await BotApiStub.start(() => ({ status: 400, body: { ok: false } }));
      try {
        const failure = await failureOf(bare.apiRoot);
        expect(failure).toEqual({ message: 'the Bot API server refused setMyCommands without saying why', fields: {} });
        const stream = new PassThrough();
        let written = '';
        stream.on('data', (c: Buffer) => { written += c.toString('utf8'); });
        const logger = createLogger({ level: 'info', format: 'pretty', colour: false, secrets: [], stream });
        logger.warn(`${failure.message}; command menus not registered`, failure.fields);
        await waitFor(() => written.includes('\n'), { what: 'the pretty line' });
        expect(written).toMatch(/ WARN  the Bot API server refused setMyCommands without saying why; command menus not registered\n$/);
      } finally {
        await bare.stop();
      }
    });

    it('given no server, then it did not answer, with the connection\'s cause', async () => {
      const failure = await failureOf(`http://127.0.0.1:${closedPort}`);
      expect(failure.message).toBe('setMyCommands failed: the Bot API server did not answer');
      expect(failure.fields.cause).toMatch(/ECONNREFUSED/);
    });
  });
});
