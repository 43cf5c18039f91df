import fs from 'node:fs';
import TelegramServer from 'telegram-test-api';
import { STOP_HARD_CAP_MS } from '../../app/shutdown';
import { packageVersion } from '../../config/version';
import { BotApiStub, ME, ok } from '../support/bot-api-stub';
import { MAIN, buildApp } from '../support/built-app';
import { freePort } from '../support/free-port';
import { ServiceProcess, descendants, isRunning, serviceEnv } from '../support/service-process';
import { waitFor } from '../support/wait-for';

jest.setTimeout(60_000);

/** The service as an operator runs it, stopped with signals; no Asterisk (ARI_URL is a closed port). */
describe('stopping the service with a signal', () => {
  let server: TelegramServer;
  let closedPort: number;
  const started: ServiceProcess[] = [];

  beforeAll(() => buildApp(), 180_000);

  beforeEach(async () => {
    server = new TelegramServer({ port: await freePort(), host: '127.0.0.1' });
    await server.start();
    closedPort = await freePort();
  });

  afterEach(async () => {
    for (const p of started.splice(0)) p.killGroup();
    await server.stop();
  });

  function start(command: string, args: string[], apiRoot = server.config.apiURL): ServiceProcess {
    const p = ServiceProcess.start(command, args, serviceEnv(apiRoot, { ARI_URL: `http://127.0.0.1:${closedPort}` }));
    started.push(p);
    return p;
  }

  function commandLine(pid: number): string {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    } catch {
      return '';
    }
  }

  it('given `npm start`, when SIGTERM is sent to the npm process, then the service stops cleanly, npm exits 0 and no process of the tree is left', async () => {
    const p = start('npm', ['start']);
    const startedLine = await p.waitForLog('callbot started');
    expect(startedLine.version).toBe(packageVersion());
    const tree = descendants(p.pid);
    // The script execs the launcher: the service is npm's own child, with no shell between them to lose the signal.
    expect(tree.map(commandLine)).toEqual([expect.stringMatching(/^node scripts\/run-built\.js dist\/app\/main\.js/)]);

    const sent = Date.now();
    process.kill(p.pid, 'SIGTERM');
    const exit = await p.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.atMs - sent).toBeLessThan(STOP_HARD_CAP_MS);
    await waitFor(() => tree.every((pid) => !isRunning(pid)), { timeoutMs: 1000, what: 'every process of the tree to be gone' });
    expect(p.logLines().map((l) => l.message)).toEqual(expect.arrayContaining(['stopping', 'ending live calls', 'stopped']));
  });

  it('given `npm start` in a terminal, when Ctrl-C sends SIGINT to the whole process group (and npm forwards its own copy), then it is one stop, exit 0', async () => {
    const p = start('npm', ['start']);
    await p.waitForLog('callbot started');
    const tree = descendants(p.pid);
    process.kill(-p.pid, 'SIGINT');
    const exit = await p.exited;
    expect(exit).toMatchObject({ code: 0, signal: null });
    await waitFor(() => tree.every((pid) => !isRunning(pid)), { timeoutMs: 1000, what: 'every process of the tree to be gone' });
    expect(p.logLines().filter((l) => l.message === 'second signal: exiting now, without finishing the stop')).toEqual([]);
  });

  it('given `node dist/app/main.js`, when SIGINT is sent, then it stops cleanly with exit code 0', async () => {
    const p = start(process.execPath, [MAIN]);
    await p.waitForLog('callbot started');
    process.kill(p.pid, 'SIGINT');
    expect(await p.exited).toMatchObject({ code: 0, signal: null });
    expect(p.logLines().find((l) => l.message === 'stopping')).toMatchObject({ signal: 'SIGINT' });
  });

  describe('when the stop cannot finish (a reply to Telegram never gets an answer)', () => {
    let stub: BotApiStub;
    const update = {
      update_id: 1,
      message: {
        message_id: 1, date: 1, text: '/help', entities: [{ type: 'bot_command', offset: 0, length: 5 }],
        chat: { id: 5001, type: 'private' }, from: { id: 5001, is_bot: false, first_name: 'Ann' },
      },
    };

    beforeEach(async () => {
      stub = await BotApiStub.start((method, n) => {
        if (method === 'getMe') return ok(ME);
        if (method === 'setMyCommands') return ok(true);
        if (method === 'getUpdates') return n === 1 ? ok([update]) : 'hold';
        return 'hold';
      });
    });

    afterEach(() => stub.stop());

    it('given a stop under way, when a second SIGTERM comes, then the process exits at once with 143', async () => {
      const p = start(process.execPath, [MAIN], stub.apiRoot);
      await p.waitForLog('callbot started');
      await waitFor(() => stub.calls.includes('sendMessage'), { timeoutMs: 10_000, what: 'the reply to be on its way' });
      process.kill(p.pid, 'SIGTERM');
      await p.waitForLog('stopping');
      // The rule is about time: the same signal again within a second is the same stop (npm's forwarded copy).
      await new Promise((r) => setTimeout(r, 1200));
      expect(p.child.exitCode).toBeNull();
      const second = Date.now();
      process.kill(p.pid, 'SIGTERM');
      const exit = await p.exited;
      expect(exit.code).toBe(143);
      expect(exit.atMs - second).toBeLessThan(1000);
      expect(p.logLines().map((l) => l.message)).toContain('second signal: exiting now, without finishing the stop');
    });

    it('given a stop under way, when nothing else happens, then the hard cap ends the process with exit code 1', async () => {
      const p = start(process.execPath, [MAIN], stub.apiRoot);
      await p.waitForLog('callbot started');
      await waitFor(() => stub.calls.includes('sendMessage'), { timeoutMs: 10_000, what: 'the reply to be on its way' });
      const sent = Date.now();
      process.kill(p.pid, 'SIGTERM');
      const exit = await p.exited;
      expect(exit.code).toBe(1);
      expect(exit.atMs - sent).toBeGreaterThanOrEqual(STOP_HARD_CAP_MS - 100);
      expect(exit.atMs - sent).toBeLessThan(STOP_HARD_CAP_MS + 2000);
      expect(p.logLines().map((l) => l.message)).toContain('the stop took too long; exiting without finishing it');
    });
  });
});
