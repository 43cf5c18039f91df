/**
 * LOG_FORMAT=pretty: one line a record for a person at a terminal, `time LEVEL message key=value…`,
 * with any error below it as its stack and cause chain, indented. Colour is for terminals only.
 */

interface DescribedError {
  name?: unknown;
  message?: unknown;
  stack?: unknown;
  cause?: unknown;
}

const LEVEL_COLOUR: Record<string, number> = { error: 31, warn: 33, info: 32, http: 36, verbose: 36, debug: 90, silly: 90 };

function paint(text: string, code: number, colour: boolean): string {
  return colour ? `\u001b[${code}m${text}\u001b[0m` : text;
}

/** What flattenErrors in logger.ts makes of an Error: a plain object with a name and a message. */
function isDescribedError(value: unknown): value is DescribedError {
  return typeof value === 'object' && value !== null && 'message' in value && ('stack' in value || 'name' in value);
}

/** Bare when it cannot be misread (no spaces, quotes or `=`), JSON otherwise. */
function fieldValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value === undefined) return 'undefined';
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

function indent(text: string, by: string): string {
  return text.split('\n').map((line) => `${by}${line.trimStart()}`).join('\n');
}

/** The error's stack (or name and message), then each cause's, as indented lines. */
function errorBlock(key: string, error: DescribedError): string {
  const lines: string[] = [];
  let current: unknown = error;
  let label = `${key}:`;
  for (let depth = 0; isDescribedError(current) && depth < 6; depth += 1) {
    const head = `${String(current.name ?? 'Error')}: ${String(current.message)}`;
    const stack = typeof current.stack === 'string' && current.stack.startsWith(head)
      ? current.stack.slice(head.length)
      : typeof current.stack === 'string' ? `\n${current.stack}` : '';
    lines.push(`  ${label} ${head}${stack ? `\n${indent(stack.replace(/^\n/, ''), '      ')}` : ''}`);
    label = 'caused by:';
    current = current.cause;
  }
  if (current !== undefined && !isDescribedError(current)) lines.push(`  ${label} ${fieldValue(current)}`);
  return lines.join('\n');
}

export function prettyLine(record: Record<string, unknown>, colour: boolean): string {
  const { level, message, timestamp, ...meta } = record;
  const levelText = String(level);
  const fields: string[] = [];
  const blocks: string[] = [];
  for (const [key, value] of Object.entries(meta)) {
    // As in the JSON format, a field without a value is not written.
    if (value === undefined) continue;
    if (isDescribedError(value)) blocks.push(errorBlock(key, value));
    else fields.push(`${paint(key, 2, colour)}=${fieldValue(value)}`);
  }
  const head = [
    paint(String(timestamp), 2, colour),
    paint(levelText.toUpperCase().padEnd(5), LEVEL_COLOUR[levelText] ?? 0, colour),
    String(message),
    ...fields,
  ].join(' ');
  return [head, ...blocks].join('\n');
}

/**
 * Colour only when a person is watching: the stream is a terminal, it is not a CI run, and
 * NO_COLOR (no-color.org) is not set.
 */
export function wantsColour(stream: NodeJS.WritableStream & { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return stream.isTTY === true && !ci && !env.NO_COLOR;
}
