import { ChatLocks } from '../../cluster/chat-locks';
import { testDatabaseKind } from '../support/test-database';

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

  const handled = (name: string, ms: number) => async () => {
    log.push(`${name} start`);
    await sleep(ms);
    log.push(`${name} end`);
  };

  it('given two updates of one chat on two instances at once, then the second is handled only after the first has finished', async () => {
    const first = one.run(42, handled('first', 200));
    await sleep(50);
    await Promise.all([first, two.run(42, handled('second', 10))]);
    expect(log).toEqual(['first start', 'first end', 'second start', 'second end']);
  });

  it('given updates of two chats on two instances, then neither waits for the other', async () => {
    const first = one.run(42, handled('chat 42', 200));
    await sleep(50);
    await Promise.all([first, two.run(-1001234567890, handled('group', 10))]);
    expect(log).toEqual(['chat 42 start', 'group start', 'group end', 'chat 42 end']);
  });

  it('given a handler that fails, then the chat\'s turn passes on all the same', async () => {
    await expect(one.run(7, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await two.run(7, handled('next', 1));
    expect(log).toEqual(['next start', 'next end']);
  });
});
