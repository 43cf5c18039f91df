import type { Update } from 'node-telegram-bot-api/types';
import type { HttpListener } from '../../ops/http-listener';
import { startWebhookServer } from '../../telegram/webhook-server';
import { silentLogger } from '../../config/logger';
import { sendHeadAndWait } from '../support/raw-http';

const SECRET = 'webhook-secret_0123456789';

describe('webhook server', () => {
  let server: HttpListener;
  const delivered: Update[] = [];
  let deliver: (update: Update) => Promise<void>;

  beforeEach(async () => {
    delivered.length = 0;
    deliver = async (update) => void delivered.push(update);
    server = await startWebhookServer({
      host: '127.0.0.1', port: 0, path: '/telegram', secret: SECRET, logger: silentLogger(),
      deliver: (update) => deliver(update), headersTimeoutMs: 300, requestTimeoutMs: 300,
    });
  });

  afterEach(() => server.close());

  const post = (body: string, path = '/telegram') => fetch(`http://127.0.0.1:${server.address.port}${path}`, {
    method: 'POST', headers: { 'x-telegram-bot-api-secret-token': SECRET }, body, signal: AbortSignal.timeout(5000),
  });

  it('given a sender that stops in the middle of its body, then it is answered 408 once the request timeout has passed', async () => {
    const head = `POST /telegram HTTP/1.1\nHost: 127.0.0.1\nX-Telegram-Bot-Api-Secret-Token: ${SECRET}\nContent-Length: 100`;
    expect(await sendHeadAndWait(server.address.port, head, '{"update_id"')).toEqual({ status: 408 });
    expect(delivered).toEqual([]);
  });

  it('given a sender that stops in the middle of its headers, then it is answered 408', async () => {
    expect(await sendHeadAndWait(server.address.port, 'POST /telegram HTTP/1.1\nHost: 127.0.0.1\nX-Telegram', null)).toEqual({ status: 408 });
  });

  it('given another path, then it is answered 404', async () => {
    expect((await post('{"update_id":1}', '/elsewhere')).status).toBe(404);
  });

  it('given JSON that is not an update, then it is answered 400 and nothing is delivered', async () => {
    expect((await post('[1,2]')).status).toBe(400);
    expect((await post('{"message":{}}')).status).toBe(400);
    expect(delivered).toEqual([]);
  });

  it('given an update and the secret, then it is delivered and answered 200', async () => {
    const response = await post('{"update_id":42}');
    expect(response.status).toBe(200);
    expect(delivered).toEqual([{ update_id: 42 }]);
  });

  it('given the bot fails to take an update, then it is answered 500 so that Telegram sends it again', async () => {
    deliver = async () => {
      throw new Error('bot boundary threw');
    };
    expect((await post('{"update_id":43}')).status).toBe(500);
  });

  it('given a client that asks before sending (Expect: 100-continue) without the secret, then it is refused before it sends its body', async () => {
    const head = `POST /telegram HTTP/1.1\nHost: 127.0.0.1\nExpect: 100-continue\nContent-Length: ${50 * 1024 * 1024}`;
    expect(await sendHeadAndWait(server.address.port, head, '')).toEqual({ status: 401 });
  });
});
