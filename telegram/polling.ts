import type { Api } from 'node-telegram-bot-api';
import type { Update } from 'node-telegram-bot-api/types';
import type { Logger } from '../config/logger';
import { RetryLog, cappedBackoffMs, sleepUnlessAborted } from '../config/retry-log';

/** How long Telegram holds a getUpdates open when there is nothing to deliver. */
const LONG_POLL_S = 25;
/**
 * A server that ignores `timeout` (the local test server answers at once) would turn long polling
 * into a busy loop; an empty answer that came back quicker than this waits out the rest.
 */
const MIN_EMPTY_POLL_MS = 100;

/** Long polling as an async stream of updates; retries forever with capped backoff on errors. */
export async function* pollUpdates(api: Api, logger: Logger, signal: AbortSignal): AsyncGenerator<Update> {
  let offset: number | undefined;
  let failures = 0;
  const retries = new RetryLog(logger, { failing: 'getUpdates failed; retrying', recovered: 'getUpdates works again' });
  while (!signal.aborted) {
    const started = Date.now();
    let updates: Update[];
    try {
      updates = await api.getUpdates({ timeout: LONG_POLL_S, allowed_updates: ['message', 'callback_query'], ...(offset !== undefined ? { offset } : {}) }, signal);
      failures = 0;
      retries.succeeded();
    } catch (err) {
      if (signal.aborted) return;
      failures += 1;
      const wait = cappedBackoffMs(failures, 500, 30_000);
      retries.failed(err, { inMs: wait });
      await sleepUnlessAborted(wait, signal);
      continue;
    }
    for (const update of updates) {
      offset = update.update_id + 1;
      yield update;
    }
    if (updates.length === 0) await sleepUnlessAborted(MIN_EMPTY_POLL_MS - (Date.now() - started), signal);
  }
}
