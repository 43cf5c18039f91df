import { Pool } from 'pg';

/** The first key of the two-key advisory lock form: callbot's chats, apart from any other user of advisory locks. */
const CHAT_LOCK_SPACE = 0x63616c6c; // "call"

/**
 * One chat's updates handled one at a time across every instance (cluster mode, webhook behind a
 * load balancer that may hand two updates of a chat to two instances at once): a PostgreSQL
 * session advisory lock per chat, held while the update is handled. The locks live on a small
 * pool of their own, so that waiting for a chat never takes a connection the handlers need.
 */
export class ChatLocks {
  private readonly pool: Pool;

  constructor(databaseUrl: string, size = 10) {
    this.pool = new Pool({ connectionString: databaseUrl, max: size });
  }

  async run<T>(chatId: number, handle: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    // Telegram's chat ids fit in 52 bits; the lock's second key is a 32-bit int: fold the id into it.
    const key = Number(BigInt.asIntN(32, BigInt(chatId) ^ (BigInt(chatId) >> 32n)));
    try {
      await client.query('SELECT pg_advisory_lock($1, $2)', [CHAT_LOCK_SPACE, key]);
      try {
        return await handle();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', [CHAT_LOCK_SPACE, key]);
      }
    } finally {
      client.release();
    }
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
