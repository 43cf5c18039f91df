import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer } from './http-util';

/** One Bot API method's answer: an HTTP status and a JSON body, or 'hold' to never answer. */
export type StubAnswer = { status: number; body: unknown } | 'hold';

/**
 * A Bot API server on 127.0.0.1 that answers each method as a spec says (Telegram's envelope:
 * `{ ok, result }` or `{ ok: false, error_code, description }`), and records the methods called.
 */
export class BotApiStub {
  readonly calls: string[] = [];
  private readonly held = new Set<http.ServerResponse>();

  private constructor(private readonly server: http.Server) {}

  static async start(answer: (method: string, call: number) => StubAnswer): Promise<BotApiStub> {
    let stub: BotApiStub | undefined = undefined;
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const method = /\/bot[^/]+\/(\w+)/.exec(req.url ?? '')?.[1] ?? '?';
        stub!.calls.push(method);
        const a = answer(method, stub!.calls.filter((m) => m === method).length);
        if (a === 'hold') {
          stub!.held.add(res);
          return;
        }
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
      });
    });
    stub = new BotApiStub(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return stub;
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const res of this.held) res.destroy();
    await closeServer(this.server);
  }
}

export const ok = (result: unknown): StubAnswer => ({ status: 200, body: { ok: true, result } });
export const refused = (status: number, description: string): StubAnswer => ({ status, body: { ok: false, error_code: status, description } });
export const ME = { id: 123456789, is_bot: true, first_name: 'callbot', username: 'callbot_test_bot' };
