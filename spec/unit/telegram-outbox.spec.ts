import { NetworkError, TelegramApiError } from 'node-telegram-bot-api';
import { type OutboxLimits, type OutboxPriority, TelegramOutbox } from '../../telegram/telegram-outbox';
import { ManualClock } from '../support/manual-clock';

const LIMITS: OutboxLimits = { perChatRate: 1, perChatBurst: 2, globalRate: 28, globalBurst: 5, retryMinMs: 500, retryMaxMs: 8000 };
const tooMany = (retryAfter: number) => new TelegramApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });

/** An outbox on a manual clock whose requests log what went out, and when. */
function outboxWith(limits: Partial<OutboxLimits> = {}) {
  const clock = new ManualClock();
  const outbox = new TelegramOutbox({ ...LIMITS, ...limits }, clock);
  const sent: Array<{ what: string; at: number }> = [];
  const job = (chatId: number, what: string, priority: OutboxPriority | (() => OutboxPriority) = 'reply', answers: Array<Error | undefined> = [], maxAttempts = 3) => {
    let attempt = 0;
    return outbox.enqueue({
      chatId, priority, maxAttempts,
      request: async () => {
        sent.push({ what, at: clock.now() });
        const answer = answers[attempt++];
        if (answer) throw answer;
        return what;
      },
    });
  };
  return { clock, outbox, sent, job, order: () => sent.map((s) => s.what) };
}

describe('the Telegram outbox', () => {
  it('given the bot budget is spent, when an edit, a first status, a final status and a reply wait in four chats, then they go reply, final, first, edit', async () => {
    const { clock, job, order } = outboxWith({ globalRate: 1, globalBurst: 1 });
    job(9, 'filler');
    job(1, 'edit', 'edit');
    job(2, 'first', 'first');
    job(3, 'final', 'final');
    job(4, 'reply', 'reply');
    await clock.advance(5000);
    expect(order()).toEqual(['filler', 'reply', 'final', 'first', 'edit']);
  });

  it('given one chat with more than its burst waiting, then it gets about one message a second while another chat is not held back', async () => {
    const { clock, job, sent } = outboxWith();
    for (let i = 1; i <= 5; i += 1) job(1, `a${i}`);
    job(2, 'b1');
    await clock.advance(10_000);
    expect(sent).toEqual([
      { what: 'a1', at: 0 }, { what: 'b1', at: 0 }, { what: 'a2', at: 0 },
      { what: 'a3', at: 1000 }, { what: 'a4', at: 2000 }, { what: 'a5', at: 3000 },
    ]);
  });

  it('given the bot at its global rate, then no second carries more than the rate plus the burst', async () => {
    const { clock, job, sent } = outboxWith({ globalRate: 28, globalBurst: 5 });
    for (let chat = 1; chat <= 200; chat += 1) job(chat, `m${chat}`);
    await clock.advance(10_000);
    expect(sent).toHaveLength(200);
    const perSecond = new Map<number, number>();
    for (const s of sent) perSecond.set(Math.floor(s.at / 1000), (perSecond.get(Math.floor(s.at / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(28 + 5);
    // 195 after the burst at 28 a second: about 7 s, not one per chat-second.
    expect(sent.at(-1)!.at).toBeLessThan(7500);
  });

  it('given a chat with one token left, then an intermediate edit waits for a second one while a final status goes at once', async () => {
    const { clock, job, sent } = outboxWith({ perChatBurst: 2 });
    job(1, 'first', 'first');
    await clock.advance(10);
    job(1, 'edit', 'edit');
    await clock.advance(10);
    job(2, 'other-first', 'first');
    job(1, 'final', 'final');
    await clock.advance(3000);
    expect(sent).toEqual([{ what: 'first', at: 0 }, { what: 'other-first', at: 20 }, { what: 'final', at: 20 }, { what: 'edit', at: 2000 }]);
  });

  it('given one request per chat on the wire at a time, then a chat sees its messages in the order they were queued', async () => {
    const { clock, outbox, sent } = outboxWith({ perChatBurst: 10 });
    let release!: () => void;
    outbox.enqueue({ chatId: 1, priority: 'reply', maxAttempts: 1, request: () => { sent.push({ what: 'slow', at: clock.now() }); return new Promise<void>((r) => { release = r; }); } });
    outbox.enqueue({ chatId: 1, priority: 'reply', maxAttempts: 1, request: async () => { sent.push({ what: 'next', at: clock.now() }); } });
    await clock.advance(100);
    expect(sent.map((s) => s.what)).toEqual(['slow']);
    release();
    await clock.advance(100);
    expect(sent.map((s) => s.what)).toEqual(['slow', 'next']);
  });

  it('given a 429 with retry_after for one chat, then that chat waits that long, it is not counted as an attempt, and other chats go on', async () => {
    const { clock, outbox, job, sent } = outboxWith();
    const limited = job(1, 'a', 'reply', [tooMany(3), tooMany(3), tooMany(3)], 1);
    job(1, 'a-later');
    await clock.advance(100);
    job(2, 'b');
    await clock.advance(12_000);
    expect(sent).toEqual([
      { what: 'a', at: 0 }, { what: 'b', at: 100 }, { what: 'a', at: 3000 }, { what: 'a', at: 6000 }, { what: 'a', at: 9000 }, { what: 'a-later', at: 9000 },
    ]);
    expect(await limited.done).toEqual({ ok: true, value: 'a' });
    expect(outbox.counters.tooManyRequests).toBe(3);
  });

  it('given 429s for two chats within a second, then the whole bot pauses for retry_after', async () => {
    const { clock, job, sent } = outboxWith();
    job(1, 'a', 'reply', [tooMany(2)]);
    job(2, 'b', 'reply', [tooMany(2)]);
    await clock.advance(500);
    job(3, 'c');
    await clock.advance(5000);
    expect(sent.filter((s) => s.what === 'c')).toEqual([{ what: 'c', at: 2000 }]);
  });

  it('given 5xx answers, then the job is retried with doubling backoff and given up after its attempts', async () => {
    const { clock, outbox, job, sent } = outboxWith();
    const server = new TelegramApiError(502, 'Bad Gateway');
    const failing = job(1, 'x', 'final', [server, new NetworkError('socket hang up'), server], 3);
    await clock.advance(10_000);
    expect(sent.map((s) => s.at)).toEqual([0, 500, 1500]);
    expect(await failing.done).toEqual({ ok: false, error: server });
    expect(outbox.counters.lostAnswers).toBe(3);
  });

  it('given a 4xx answer (not 429), then the job is not retried', async () => {
    const { clock, job, sent } = outboxWith();
    const refused = job(1, 'x', 'edit', [new TelegramApiError(400, 'Bad Request: message to edit not found')], 5);
    await clock.advance(5000);
    expect(sent).toHaveLength(1);
    expect(await refused.done).toMatchObject({ ok: false, error: { errorCode: 400 } });
  });

  it('given a queued job that is cancelled before its turn, then it never goes out; once on the wire it cannot be cancelled', async () => {
    const { clock, job, order } = outboxWith({ globalRate: 1, globalBurst: 1 });
    const first = job(1, 'first');
    const second = job(2, 'second');
    expect(first.cancel()).toBe(false);
    expect(second.cancel()).toBe(true);
    await clock.advance(5000);
    expect(order()).toEqual(['first']);
    expect(await second.done).toEqual({ ok: false, cancelled: true });
  });

  it('given messages waiting, then drained() resolves once the last one is sent, or false at its timeout', async () => {
    const { clock, outbox, job } = outboxWith();
    for (let i = 0; i < 5; i += 1) job(1, `m${i}`);
    const early = outbox.drained(500);
    const late = outbox.drained(5000);
    await clock.advance(5000);
    expect(await early).toBe(false);
    expect(await late).toBe(true);
    expect(outbox.pending).toBe(0);
    expect(await outbox.drained(1)).toBe(true);
  });

  it('given a waiting job whose priority rises, then it overtakes jobs queued before it', async () => {
    const { clock, job, order } = outboxWith({ globalRate: 1, globalBurst: 1 });
    let urgent = false;
    job(9, 'filler');
    job(1, 'edit', 'edit');
    job(2, 'was-first', () => (urgent ? 'final' : 'first'));
    urgent = true;
    await clock.advance(5000);
    expect(order()).toEqual(['filler', 'was-first', 'edit']);
  });
});
