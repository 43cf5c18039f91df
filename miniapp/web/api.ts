/** The page's side of /app/api: the session (signed in with Telegram's initData), JSON calls, and the event stream. */
import type { SessionAnswer, SignInRefused, StreamEvent } from '../miniapp-types';

export class ApiError extends Error {
  /** The server's sentence: `message` from the app's own routes, `detail` from the HTTP server's problem+json (a body it refused). */
  constructor(readonly status: number, readonly body: { message?: string; detail?: string; error?: string }) {
    super(body.message ?? body.detail ?? `request failed (${status})`);
  }
}

/** Renews the session a minute before it ends, with the same initData. */
const RENEW_BEFORE_MS = 60_000;

export class Api {
  private session: SessionAnswer | undefined;

  constructor(private readonly initData: string, private readonly onSessionLost: (message: string) => void) {}

  get me() { return this.session!.me; }
  get region() { return this.session!.region; }

  async signIn(): Promise<SessionAnswer> {
    const response = await fetch('api/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ initData: this.initData }) });
    const body = await response.json() as SessionAnswer | SignInRefused;
    if (!response.ok) throw new ApiError(response.status, body as SignInRefused);
    this.session = body as SessionAnswer;
    const renewIn = Math.max(5_000, this.session.expiresAtMs - Date.now() - RENEW_BEFORE_MS);
    setTimeout(() => { this.signIn().catch((err: unknown) => this.onSessionLost(err instanceof Error ? err.message : String(err))); }, renewIn);
    return this.session;
  }

  async get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  async post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  /** The stream of the viewer's call and the wallboard; reconnects by itself, and with a new token once the session is renewed. */
  events(onEvent: (event: StreamEvent) => void, onState: (live: boolean) => void): void {
    let source: EventSource | undefined;
    const open = () => {
      source?.close();
      source = new EventSource(`api/events?token=${encodeURIComponent(this.session!.token)}`);
      source.onopen = () => onState(true);
      source.onmessage = (message) => onEvent(JSON.parse(message.data as string) as StreamEvent);
      source.onerror = () => {
        onState(false);
        // Closed for good (its token refused): open again with the current token.
        if (source?.readyState === EventSource.CLOSED) setTimeout(open, 2000);
      };
    };
    open();
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`api/${path}`, {
      method,
      headers: { authorization: `Bearer ${this.session!.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const answer = await response.json() as T & { message?: string };
    if (!response.ok) throw new ApiError(response.status, answer);
    return answer;
  }
}
