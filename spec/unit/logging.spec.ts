import { PassThrough } from 'node:stream';
import { loadConfig } from '../../config/config';
import { createLogger } from '../../config/logger';
import { databasePassword } from '../../config/redact';

const TOKEN = '7712345678:AAH4bX-secretTokenValue_0123456789abc';
const ARI_PASSWORD = 'ari-pa55word!';
const DATABASE_URL = 'postgres://callbot:db%40pass@127.0.0.1:5432/callbot';

function capture(format: 'json' | 'pretty') {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const logger = createLogger({
    level: 'debug', format, stream,
    secrets: [TOKEN, ARI_PASSWORD, databasePassword(DATABASE_URL)],
  });
  return { logger, text: () => chunks.join('') };
}

describe('logging never leaks secrets', () => {
  it.each(['json', 'pretty'] as const)('given secrets in messages, metadata, URLs and error causes (%s), then none reach the output', async (format) => {
    const { logger, text } = capture(format);
    logger.info(`polling https://api.telegram.org/bot${TOKEN}/getUpdates`);
    logger.warn('ari connect', { url: `ws://127.0.0.1:8088/ari/events?app=callbot&api_key=callbot:${ARI_PASSWORD}`, password: ARI_PASSWORD });
    logger.error('database down', { err: new Error('outer', { cause: new Error(`connect ${DATABASE_URL} failed`) }) });
    logger.debug('foreign token', { url: 'https://api.telegram.org/bot1234567:ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ/sendMessage' });
    logger.info('query string', { url: 'http://x/y?api_key=someone:else&token=abc123' });
    await new Promise((r) => setImmediate(r));
    const out = text();
    expect(out).toContain('polling');
    expect(out).toContain('outer');
    expect(out).toContain('[redacted]');
    for (const secret of [TOKEN, ARI_PASSWORD, 'db@pass', 'db%40pass', 'ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ', 'someone:else', 'abc123']) {
      expect(out).not.toContain(secret);
    }
  });

  it('given a JSON format, then each line is valid JSON with the cause chain kept', async () => {
    const { logger, text } = capture('json');
    logger.error('call failed', { err: new Error('originate failed', { cause: new Error('timeout after 5000 ms') }) });
    await new Promise((r) => setImmediate(r));
    const line = JSON.parse(text().trim()) as { err: { message: string; cause: { message: string } } };
    expect(line.err.message).toBe('originate failed');
    expect(line.err.cause.message).toBe('timeout after 5000 ms');
  });

  it('given a webhook secret configured while the bot long-polls, then the secret never reaches the output', async () => {
    const webhookSecret = 'hook-secret_0123456789abcdef';
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: TOKEN, SUPER_ADMIN_IDS: '1000', ARI_USERNAME: 'callbot', ARI_PASSWORD, DATABASE_URL,
      TELEGRAM_WEBHOOK_SECRET: webhookSecret,
    });
    expect(config.telegram.webhook).toBeUndefined();
    const stream = new PassThrough();
    const chunks: string[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
    const logger = createLogger({ level: 'debug', format: 'json', stream, secrets: config.secrets });
    logger.warn(`left over from webhook mode: ${webhookSecret}`, { value: webhookSecret, ari: ARI_PASSWORD, db: 'db@pass' });
    await new Promise((r) => setImmediate(r));
    const out = chunks.join('');
    expect(out).toContain('left over from webhook mode');
    for (const secret of [webhookSecret, ARI_PASSWORD, 'db@pass']) expect(out).not.toContain(secret);
  });
});
