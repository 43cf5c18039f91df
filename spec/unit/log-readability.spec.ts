import { PassThrough } from 'node:stream';
import { createLogger } from '../../config/logger';
import { wantsColour } from '../../config/pretty-format';
import { RetryLog, causeText } from '../../config/retry-log';

const ANSI = /\u001b\[/;

function capture(format: 'json' | 'pretty', colour?: boolean) {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c.toString('utf8')));
  const logger = createLogger({ level: 'debug', format, stream, secrets: [], ...(colour === undefined ? {} : { colour }) });
  return { logger, text: async () => { await new Promise((r) => setImmediate(r)); return chunks.join(''); } };
}

function refused(): Error {
  const socket = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
  return new Error('Network request failed: getUpdates', { cause: new TypeError('fetch failed', { cause: socket }) });
}

describe('expected retries are logged as a few short lines', () => {
  it('given an error with causes, then its one-line text is every message in the chain', () => {
    expect(causeText(refused())).toBe('Network request failed: getUpdates: fetch failed: connect ECONNREFUSED 127.0.0.1:9');
    expect(causeText(new AggregateError([new Error('connect ECONNREFUSED ::1:9'), new Error('connect ECONNREFUSED 127.0.0.1:9')], '')))
      .toBe('connect ECONNREFUSED ::1:9; connect ECONNREFUSED 127.0.0.1:9');
  });

  it('given 20 failures in a row, then the 1st, 2nd, 4th, 8th and 16th are logged with the count and the cause, never a stack', async () => {
    const { logger, text } = capture('json');
    const retries = new RetryLog(logger, { failing: 'ARI unavailable; retrying', recovered: 'ARI reachable again' });
    for (let i = 0; i < 20; i += 1) retries.failed(refused(), { url: 'http://127.0.0.1:9' });
    const lines = (await text()).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.map((l) => l.attempt)).toEqual([1, 2, 4, 8, 16]);
    for (const line of lines) {
      expect(line).toMatchObject({ level: 'warn', message: 'ARI unavailable; retrying', url: 'http://127.0.0.1:9' });
      expect(line.cause).toMatch(/ECONNREFUSED 127\.0\.0\.1:9$/);
      expect(JSON.stringify(line)).not.toMatch(/stack|\n\s+at /);
    }
  });

  it('given failures then a success, then one line says it recovered and after how many attempts; the count starts afresh', async () => {
    const { logger, text } = capture('json');
    const retries = new RetryLog(logger, { failing: 'getUpdates failed; retrying', recovered: 'getUpdates works again' });
    for (let i = 0; i < 5; i += 1) retries.failed(refused());
    retries.succeeded();
    retries.succeeded();
    retries.failed(refused());
    const lines = (await text()).trim().split('\n').map((l) => JSON.parse(l) as { message: string; attempt?: number });
    expect(lines.map((l) => l.message)).toEqual([
      'getUpdates failed; retrying', 'getUpdates failed; retrying', 'getUpdates failed; retrying',
      'getUpdates works again after 5 failed attempts',
      'getUpdates failed; retrying',
    ]);
    expect(lines.at(-1)?.attempt).toBe(1);
  });
});

describe('LOG_FORMAT=pretty is for a person', () => {
  it('given fields and an error with a cause, then the line reads key=value and the stacks follow on their own lines', async () => {
    const { logger, text } = capture('pretty', false);
    logger.error('update handler failed', { updateId: 42, chat: 'a b', err: new Error('boom', { cause: new Error('inner') }) });
    const [head, ...rest] = (await text()).trimEnd().split('\n');
    expect(head).toMatch(/^\d{4}-\d\d-\d\dT\S+ ERROR update handler failed updateId=42 chat="a b"$/);
    expect(rest[0]).toBe('  err: Error: boom');
    expect(rest[1]).toMatch(/^ {6}at /);
    const cause = rest.findIndex((l) => l === '  caused by: Error: inner');
    expect(cause).toBeGreaterThan(1);
    expect(rest[cause + 1]).toMatch(/^ {6}at /);
  });

  it('given a field without a value, then it is left out, as the JSON format leaves it out', async () => {
    const { logger, text } = capture('pretty', false);
    logger.warn('the Bot API server refused setMyCommands', { status: 400, description: undefined });
    expect((await text()).trimEnd()).toMatch(/ WARN  the Bot API server refused setMyCommands status=400$/);
  });

  it('given colour off, then no ANSI escape is written; given colour on, then the level is coloured', async () => {
    const plain = capture('pretty', false);
    plain.logger.warn('ARI unavailable; retrying', { attempt: 1 });
    expect(await plain.text()).not.toMatch(ANSI);
    const coloured = capture('pretty', true);
    coloured.logger.warn('ARI unavailable; retrying', { attempt: 1 });
    expect(await coloured.text()).toContain('\u001b[33mWARN ');
  });

  it('given a terminal, then colour is on, except under CI=true or NO_COLOR; given a pipe or a file, then it is off', () => {
    const tty = Object.assign(new PassThrough(), { isTTY: true });
    expect(wantsColour(tty, {})).toBe(true);
    expect(wantsColour(tty, { CI: 'true' })).toBe(false);
    expect(wantsColour(tty, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour(tty, { CI: 'false' })).toBe(true);
    expect(wantsColour(new PassThrough(), {})).toBe(false);
  });

  it('given the default (a stream that is not a terminal), then the pretty output has no ANSI codes', async () => {
    const { logger, text } = capture('pretty');
    logger.error('unexpected', { err: new Error('boom') });
    expect(await text()).not.toMatch(ANSI);
  });
});
