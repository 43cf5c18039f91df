import { Bot } from 'node-telegram-bot-api';
import { AppMetrics } from '../../ops/metrics';
import { botOptions } from '../../telegram/telegram-out';
import { TelegramRequestWatch } from '../../ops/telegram-requests';

const TOKEN = '123456:SECRET-token_value';

/** A Bot API stand-in: each request gets the next status from the script (a thrown error for 0). */
function scripted(statuses: number[]): typeof fetch {
  return async () => {
    const status = statuses.shift() ?? 200;
    if (status === 0) throw new TypeError('fetch failed');
    const body = status === 200
      ? { ok: true, result: { message_id: 1, date: 0, chat: { id: 1, type: 'private' } } }
      : { ok: false, error_code: status, description: 'scripted', ...(status === 429 ? { parameters: { retry_after: 1 } } : {}) };
    return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
  };
}

/** Bot API requests through the bot library with the watched fetch, as the app makes them. */
describe('Telegram requests, watched', () => {
  let metrics: AppMetrics;
  const setUp = (statuses: number[]) => {
    metrics = new AppMetrics();
    const watch = new TelegramRequestWatch((method, result) => metrics.telegramAnswered(method, result), scripted(statuses));
    return { watch, bot: new Bot(TOKEN, botOptions('http://127.0.0.1:9', watch.fetch)) };
  };
  const scraped = () => metrics.registry.metrics();

  it('given requests of several methods, then each is counted by method and result, 429s apart', async () => {
    const { bot } = setUp([200, 429, 400, 502, 0]);
    const send = () => bot.api.sendMessage({ chat_id: 1, text: 'hi' }).catch(() => undefined);
    await send();
    await send();
    await bot.api.editMessageText({ chat_id: 1, message_id: 1, text: 'x' }).catch(() => undefined);
    await bot.api.answerCallbackQuery({ callback_query_id: 'q' }).catch(() => undefined);
    await bot.api.getUpdates({ timeout: 0 }).catch(() => undefined);
    const text = await scraped();
    expect(text).toContain('callbot_telegram_requests_total{method="sendMessage",result="ok"} 1');
    expect(text).toContain('callbot_telegram_requests_total{method="sendMessage",result="429"} 1');
    expect(text).toContain('callbot_telegram_requests_total{method="editMessageText",result="4xx"} 1');
    expect(text).toContain('callbot_telegram_requests_total{method="answerCallbackQuery",result="5xx"} 1');
    expect(text).toContain('callbot_telegram_requests_total{method="getUpdates",result="no_answer"} 1');
  });

  it('given any request, then the bot token never becomes a label', async () => {
    const { bot } = setUp([200]);
    await bot.api.sendMessage({ chat_id: 1, text: 'hi' });
    expect(await scraped()).not.toContain('SECRET');
  });

  it.each([
    ['no request yet', [], false],
    ['the last request answered', [200], true],
    ['the last request told to wait (429)', [429], true],
    ['the last request refused as a bad request', [400], true],
    ['the token refused (401)', [401], false],
    ['a server error', [500], false],
    ['no answer', [0], false],
  ])('given %s, then reachable is %p', async (_what, statuses, ok) => {
    const { watch, bot } = setUp([...statuses]);
    for (let i = 0; i < statuses.length; i++) await bot.api.getUpdates({ timeout: 0 }).catch(() => undefined);
    expect(watch.reachability().ok).toBe(ok);
  });

  it('given a failure after a success, then the last answer decides', async () => {
    const { watch, bot } = setUp([200, 0]);
    await bot.api.getUpdates({ timeout: 0 });
    expect(watch.reachability()).toEqual({ ok: true, detail: 'reachable' });
    await bot.api.getUpdates({ timeout: 0 }).catch(() => undefined);
    expect(watch.reachability()).toEqual({ ok: false, detail: 'last request got no answer' });
  });
});
