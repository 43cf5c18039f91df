import net from 'node:net';
import { PassThrough } from 'node:stream';
import { ADMIN_ID, BotHarness } from '../support/bot-harness';
import { freePort } from '../support/free-port';
import { sendHeadAndWait, streamUntilAnswered } from '../support/raw-http';
import { createLogger } from '../../config/logger';
import { waitFor } from '../support/wait-for';

const SECRET = 'webhook-secret_0123456789';


describe('bot: webhook mode', () => {
  let h: BotHarness;
  let url: string;
  let port: number;
  let logged: string;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterAll(() => process.off('unhandledRejection', onUnhandled));

  beforeEach(async () => {
    // A free port can be taken by another test process before the bot binds it: try another.
    for (let attempt = 1; ; attempt += 1) {
      port = await freePort();
      url = `http://127.0.0.1:${port}/telegram`;
      logged = '';
      unhandled.length = 0;
      const stream = new PassThrough().on('data', (line: Buffer) => { logged += line.toString(); });
      const logger = createLogger({ level: 'debug', format: 'json', secrets: [SECRET], stream });
      try {
        h = await BotHarness.start({ env: { TELEGRAM_WEBHOOK_URL: url, TELEGRAM_WEBHOOK_SECRET: SECRET, WEBHOOK_PORT: String(port) }, logger });
        return;
      } catch (err) {
        if (attempt >= 5) throw err;
      }
    }
  });

  afterEach(() => h.stop());

  const update = (text: string) => JSON.stringify({
    update_id: 1,
    message: { message_id: 7, date: 0, text, chat: { id: ADMIN_ID, type: 'private' }, from: { id: ADMIN_ID, is_bot: false, first_name: 'Ada' }, entities: [{ type: 'bot_command', offset: 0, length: text.length }] },
  });

  it.each([
    ['no secret header', {}],
    ['a wrong secret', { 'x-telegram-bot-api-secret-token': 'not-the-secret-123' }],
  ])('given %s, then the update is rejected with 401 and not handled', async (_what, headers) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: update('/help') });
    expect(response.status).toBe(401);
    expect(h.messagesTo(ADMIN_ID)).toEqual([]);
  });

  it.each(['GET', 'HEAD', 'PUT'])('given a %s request, then it is answered 405 and nothing is logged as unhandled', async (method) => {
    const response = await fetch(url, { method, signal: AbortSignal.timeout(5000) });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect(unhandled).toEqual([]);
    expect(logged).not.toMatch(/unhandled|cannot have body/i);
  });

  it('given a POST declaring 300 MiB without the secret, then it is answered 401 from its headers, before its body is sent', async () => {
    const answer = await sendHeadAndWait(port, `POST /telegram HTTP/1.1\nHost: 127.0.0.1\nContent-Type: application/json\nContent-Length: ${300 * 1024 * 1024}`, '{"upd');
    expect(answer).toEqual({ status: 401 });
  });

  it('given a POST declaring 300 MiB with the secret, then it is answered 413 before its body is sent', async () => {
    const answer = await sendHeadAndWait(port, `POST /telegram HTTP/1.1\nHost: 127.0.0.1\nX-Telegram-Bot-Api-Secret-Token: ${SECRET}\nContent-Length: ${300 * 1024 * 1024}`, '{"upd');
    expect(answer).toEqual({ status: 413 });
  });

  it('given a chunked body with the secret that grows past 1 MiB, then it is answered 413 while it is still being sent', async () => {
    const { status, sentBytes } = await streamUntilAnswered(url, { 'x-telegram-bot-api-secret-token': SECRET }, 8 * 1024 * 1024);
    expect(status).toBe(413);
    expect(sentBytes).toBeLessThan(8 * 1024 * 1024);
  });

  it('given malformed JSON with the secret, then it is answered 400 and nothing is handled', async () => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body: '{"update_id": 1, "mess' });
    expect(response.status).toBe(400);
    expect(h.messagesTo(ADMIN_ID)).toEqual([]);
    expect(unhandled).toEqual([]);
  });

  it('given no WEBHOOK_HOST, then the webhook server listens on loopback only', () => {
    expect(h.callBot.webhookAddress?.address).toBe('127.0.0.1');
  });

  it('given the right secret, then the update is handled', async () => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-telegram-bot-api-secret-token': SECRET }, body: update('/help') });
    expect(response.status).toBe(200);
    await waitFor(() => h.messagesTo(ADMIN_ID).some((m) => /Admin commands/.test(m.text)), { what: 'the help reply' });
  });

  it('given the webhook port is taken, then start-up fails with a clear error instead of hanging', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const { port } = blocker.address() as net.AddressInfo;
    try {
      await expect(BotHarness.start({
        env: { TELEGRAM_WEBHOOK_URL: `http://127.0.0.1:${port}/telegram`, TELEGRAM_WEBHOOK_SECRET: SECRET, WEBHOOK_PORT: String(port) },
      })).rejects.toThrow(new RegExp(`webhook server cannot listen on .*:${port}$`));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
