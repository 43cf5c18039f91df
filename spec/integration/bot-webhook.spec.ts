import net from 'node:net';
import { ADMIN_ID, BotHarness } from '../support/bot-harness';
import { freePort } from '../support/free-port';
import { waitFor } from '../support/wait-for';

const SECRET = 'webhook-secret_0123456789';


describe('bot: webhook mode', () => {
  let h: BotHarness;
  let url: string;

  beforeEach(async () => {
    // A free port can be taken by another test process before the bot binds it: try another.
    for (let attempt = 1; ; attempt += 1) {
      const port = await freePort();
      url = `http://127.0.0.1:${port}/telegram`;
      try {
        h = await BotHarness.start({ env: { TELEGRAM_WEBHOOK_URL: url, TELEGRAM_WEBHOOK_SECRET: SECRET, WEBHOOK_PORT: String(port) } });
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
      })).rejects.toThrow(`webhook server cannot listen on port ${port}`);
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
