import type { Api } from 'node-telegram-bot-api';
import { TelegramApiError } from 'node-telegram-bot-api';
import type { GetMeResult } from 'node-telegram-bot-api/types';
import type { Logger } from '../config/logger';
import { RetryLog, cappedBackoffMs, causeText, sleepUnlessAborted } from '../config/retry-log';

/** Telegram's answers to a token it does not know (401) or cannot even parse (404). */
const TOKEN_REFUSED = new Set([401, 404]);
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

/** The Bot API server answered that the token is not a bot's: retrying cannot help. */
export class BotTokenRefused extends Error {
  constructor(readonly status: number, description: string) {
    super(`the Bot API server refused the bot token: ${status} ${description}`);
    this.name = 'BotTokenRefused';
  }
}

/**
 * `getMe` before anything else talks to Telegram: a refused token stops the start-up with its own
 * error; an unreachable server is retried with capped backoff until it answers or `signal` aborts.
 */
export async function checkBotApi(api: Api, logger: Logger, signal?: AbortSignal, retry = { minMs: RETRY_MIN_MS, maxMs: RETRY_MAX_MS }): Promise<GetMeResult> {
  const retries = new RetryLog(logger, { failing: 'Bot API unreachable; retrying', recovered: 'Bot API reachable again' });
  for (let attempt = 0; ; attempt += 1) {
    try {
      const me = await api.getMe(signal);
      retries.succeeded();
      return me;
    } catch (err) {
      if (err instanceof TelegramApiError && TOKEN_REFUSED.has(err.errorCode)) throw new BotTokenRefused(err.errorCode, err.description);
      if (signal?.aborted) throw err;
      const wait = cappedBackoffMs(attempt, retry.minMs, retry.maxMs);
      retries.failed(err, { inMs: wait });
      await sleepUnlessAborted(wait, signal);
      if (signal?.aborted) throw new Error('stopped while waiting for the Bot API server');
    }
  }
}

/** What a failed Bot API request means, for a warning that says what really went wrong. */
export function botApiFailure(method: string, err: unknown): { message: string; fields: Record<string, unknown> } {
  if (err instanceof TelegramApiError) {
    // An answer of only {"ok":false} leaves both unset: the fields name what the server said, nothing else.
    const said: Record<string, unknown> = {};
    if (err.errorCode !== undefined) said.status = err.errorCode;
    if (err.description !== undefined) said.description = err.description;
    // Past getMe the token is known to be good, so a 404 means the server has no such method.
    if (err.errorCode === 404 || /is not supported|unknown method/i.test(err.description ?? '')) {
      return { message: `${method} is not available on this Bot API server`, fields: said };
    }
    if (err.errorCode === 401) return { message: `the Bot API server refused the bot token for ${method}`, fields: { status: 401 } };
    if (err.errorCode === undefined && err.description === undefined) return { message: `the Bot API server refused ${method} without saying why`, fields: said };
    return { message: `the Bot API server refused ${method}`, fields: said };
  }
  return { message: `${method} failed: the Bot API server did not answer`, fields: { cause: causeText(err) } };
}
