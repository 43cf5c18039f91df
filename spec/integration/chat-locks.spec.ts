import { Client } from 'pg';
import { ChatLocks } from '../../cluster/chat-locks';
import { testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;


/** Two instances' locks on one database: one chat's updates one at a time, other chats alongside. */
onPostgres('chat turns across instances (PostgreSQL advisory locks)', () => {
  let one: ChatLocks;
  let two: ChatLocks;
  const log: string[] = [];

  beforeEach(() => {
    one = new ChatLocks(process.env.TEST_DATABASE_URL!);
    two = new ChatLocks(process.env.TEST_DATABASE_URL!);
    log.length = 0;
  });

  afterEach(async () => {
    await one.end();
    await two.end();
  });

  /** A handler that logs its start and end, and in between waits for `until` (or nothing). */
  const handled = (name: string, until: () => boolean = () => true) => async () => {
    log.push(`${name} start`);
    await waitFor(until, { what: `${name}'s cue` });
    log.push(`${name} end`);
  };
  /** The chat's turn is held by another instance: true once a session on the database waits for an advisory lock. */
  const someoneWaitsForALock = async (): Promise<boolean> => {
    const client = new Client({ connectionString: process.env.TEST_DATABASE_URL! });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event = 'advisory'");
      return Number(rows[0]!.n) > 0;
    } finally {
      await client.end();
    }
  };

  it('given two updates of one chat on two instances at once, then the second is handled only after the first has finished', async () => {
    let secondWaiting = false;
    const first = one.run(42, handled('first', () => secondWaiting));
    await waitFor(() => log.includes('first start'), { what: 'the first update handled' });
    const second = two.run(42, handled('second'));
    secondWaiting = await waitFor(someoneWaitsForALock, { what: 'the second update waiting for the chat\'s turn', everyMs: 50 });
    await Promise.all([first, second]);
    expect(log).toEqual(['first start', 'first end', 'second start', 'second end']);
  });

  it('given updates of two chats on two instances, then neither waits for the other', async () => {
    const first = one.run(42, handled('chat 42', () => log.includes('group end')));
    await waitFor(() => log.includes('chat 42 start'), { what: 'chat 42\'s update handled' });
    await Promise.all([first, two.run(-1001234567890, handled('group'))]);
    expect(log).toEqual(['chat 42 start', 'group start', 'group end', 'chat 42 end']);
  });

  it('given a handler that fails, then the chat\'s turn passes on all the same', async () => {
    await expect(one.run(7, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await two.run(7, handled('next'));
    expect(log).toEqual(['next start', 'next end']);
  });
});
