import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDatabase } from '../../store/data-source';
import { postgresOpenError } from '../../store/database-errors';
import { ROOT, buildApp } from '../support/built-app';
import { freePort } from '../support/free-port';
import { testDatabaseKind } from '../support/test-database';

/** What openDatabase rejects with; it must reject. */
async function openError(url: string): Promise<string> {
  const result = await openDatabase(url).then(
    async ({ dataSource }) => { await dataSource.destroy(); return undefined; },
    (err: unknown) => (err instanceof Error ? err.message : String(err)),
  );
  if (result === undefined) throw new Error(`${url} opened, but it was expected to fail`);
  return result;
}

function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, severity: 'FATAL' });
}

describe('a database that cannot be opened says why, with the driver\'s reason', () => {
  it('given a mysql:// URL, then it is refused by its scheme\'s name before any connection, and the password is not shown', async () => {
    const message = await openError('mysql://callbot:s3cret@127.0.0.1:1/callbot');
    expect(message).toBe('cannot open the database: DATABASE_URL mysql is not supported; expects sqlite:<path> or postgres://user:pass@host:port/db');
  });

  it('given a postgres URL whose port is not a number, then it is refused as malformed before any connection, and the password is not shown', async () => {
    const message = await openError('postgres://u:s3cret@127.0.0.1:notaport/db');
    expect(message).toMatch(/^cannot open the database: DATABASE_URL is not a valid postgres:\/\/ URL /);
    expect(message).not.toContain('s3cret');
  });

  it('given a PostgreSQL URL where nothing listens, then it says nothing is listening there, and the driver\'s ECONNREFUSED', async () => {
    const port = await freePort();
    const message = await openError(`postgres://callbot:s3cret@127.0.0.1:${port}/callbot`);
    expect(message).toContain(`cannot open the database (postgres): nothing is listening on 127.0.0.1:${port}`);
    expect(message).toMatch(new RegExp(`the driver said: .*ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
    expect(message).not.toContain('s3cret');
  });

  it.each([
    ['3D000', 'database "callbot" does not exist', 'PostgreSQL on db.example:5433 has no database "callbot"'],
    ['28P01', 'password authentication failed for user "agent"', 'PostgreSQL refused the password of user "agent"'],
    ['28000', 'no pg_hba.conf entry for host "10.0.0.9", user "agent", database "callbot"', 'PostgreSQL refused the login of user "agent"'],
  ])('given PostgreSQL answers %s, then the message says so and keeps the driver\'s words', (code, driver, said) => {
    const error = postgresOpenError('postgres://agent:pw@db.example:5433/callbot', pgError(code, driver));
    expect(error.message).toBe(`cannot open the database (postgres): ${said}${code === '3D000' ? ' (create it, or fix DATABASE_URL)' : code === '28000' ? ' (no such role, or pg_hba.conf does not allow it)' : ''}; the driver said: ${driver}`);
    expect((error.cause as Error).message).toBe(driver);
  });

  it('given an SQLite file in a directory this process may not write to, then it names the directory and says it is not writable', () => {
    buildApp();
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-ro-'));
    fs.chmodSync(parent, 0o755);
    const dir = path.join(parent, 'data');
    fs.mkdirSync(dir, { mode: 0o555 });
    fs.chmodSync(dir, 0o555);
    const url = `sqlite:${path.join(dir, 'callbot.sqlite')}`;
    const script = `require(${JSON.stringify(path.join(ROOT, 'dist', 'store', 'data-source.js'))}).openDatabase(${JSON.stringify(url)})`
      + '.then(() => process.exit(0), (e) => { process.stdout.write(e.message); process.exit(3); })';
    // root may write anywhere: as root, the check runs as the unprivileged user `nobody`.
    const command = process.getuid?.() === 0 ? ['runuser', ['-u', 'nobody', '--', process.execPath, '-e', script]] as const : [process.execPath, ['-e', script]] as const;
    const run = spawnSync(command[0], [...command[1]], { cwd: os.tmpdir(), encoding: 'utf8' });
    try {
      expect(run.stderr).toBe('');
      expect(run.status).toBe(3);
      expect(run.stdout).toMatch(new RegExp(`^cannot open the database \\(sqlite\\): the directory ${dir} is not writable by this process \\(user id \\d+\\); EACCES`));
      expect(fs.readdirSync(dir)).toEqual([]);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });
});

// On the real server scripts/with-postgres.sh starts (npm test's PostgreSQL pass).
const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;
onPostgres('on a real PostgreSQL server', () => {
  const server = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://x@127.0.0.1/x');

  it('given a database that does not exist, then it says so by name, with the server\'s 3D000 answer', async () => {
    const url = new URL(server.href);
    url.pathname = '/no_such_database';
    const message = await openError(url.href);
    expect(message).toBe(`cannot open the database (postgres): PostgreSQL on ${server.hostname}:${server.port} has no database "no_such_database" (create it, or fix DATABASE_URL); the driver said: database "no_such_database" does not exist`);
  });

  it('given a user the server does not know, then it says the login was refused, with the server\'s reason', async () => {
    const url = new URL(server.href);
    url.username = 'no_such_role';
    url.password = 'wrong';
    const message = await openError(url.href);
    expect(message).toMatch(/^cannot open the database \(postgres\): PostgreSQL refused (the login|the password) of user "no_such_role"/);
    expect(message).toMatch(/the driver said: .*no_such_role/);
    expect(message).not.toContain('wrong');
  });
});
