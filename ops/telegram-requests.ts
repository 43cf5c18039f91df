/**
 * How each Bot API request ended: ok, 429 (Telegram says wait), 4xx (refused), 5xx, or no_answer
 * (a timeout, a dropped connection, or the request aborted).
 */
export type TelegramResult = 'ok' | '429' | '4xx' | '5xx' | 'no_answer';

/** What the readiness probe says of Telegram. */
export interface TelegramReachability {
  ok: boolean;
  detail: string;
}

/** Method names as the Bot API spells them; anything else in a URL is not a label. */
const METHOD = /^[A-Za-z]{1,64}$/;

/**
 * Watches every Bot API request the bot makes (long polls, sends, edits, callback answers) by
 * standing in for its fetch: it counts each by method and result, and remembers the last answer,
 * so the readiness probe knows whether Telegram is reachable without asking it.
 */
export class TelegramRequestWatch {
  private last?: { result: TelegramResult; status?: number };

  constructor(private readonly answered: (method: string, result: TelegramResult) => void, private readonly inner: typeof fetch = globalThis.fetch) {}

  readonly fetch: typeof fetch = async (input, init) => {
    const method = methodOf(input);
    let response: Response;
    try {
      response = await this.inner(input, init);
    } catch (err) {
      this.note(method, 'no_answer');
      throw err;
    }
    this.note(method, resultOf(response.status), response.status);
    return response;
  };

  /**
   * Reachable when the last request got an answer that is not a server error; a 429 counts (Telegram
   * is there, and limits us), a 401 does not (the token is refused).
   */
  reachability(): TelegramReachability {
    const last = this.last;
    if (!last) return { ok: false, detail: 'no answer yet' };
    if (last.result === 'no_answer') return { ok: false, detail: 'last request got no answer' };
    if (last.result === '5xx' || last.status === 401) return { ok: false, detail: `last request answered ${String(last.status)}` };
    return { ok: true, detail: 'reachable' };
  }

  private note(method: string, result: TelegramResult, status?: number): void {
    this.last = status === undefined ? { result } : { result, status };
    this.answered(method, result);
  }
}

function resultOf(status: number): TelegramResult {
  if (status === 429) return '429';
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  return 'ok';
}

/** The last path segment of `…/bot<token>/<method>`; the token never leaves this function. */
function methodOf(input: Parameters<typeof fetch>[0]): string {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  const path = url.split('?')[0] ?? '';
  const method = path.slice(path.lastIndexOf('/') + 1);
  return METHOD.test(method) ? method : 'other';
}
