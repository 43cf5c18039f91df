import winston from 'winston';
import { prettyLine, wantsColour } from './pretty-format';
import { SecretRedactor } from './redact';

export type Logger = winston.Logger;

export interface LoggerOptions {
  level: string;
  format: 'json' | 'pretty';
  secrets: ReadonlyArray<string | undefined>;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was written. */
  stream?: NodeJS.WritableStream;
  /** Colour in the pretty format; by default only on a terminal outside CI (see wantsColour). */
  colour?: boolean;
}

/**
 * Redaction happens on the final serialised line, after every field, error stack and `cause` has
 * been rendered, so no code path (metadata, nested errors, URLs in messages) can bypass it.
 */
export function createLogger(options: LoggerOptions): Logger {
  const redactor = new SecretRedactor(options.secrets);
  const colour = options.colour ?? wantsColour(options.stream ?? process.stdout, process.env);
  const render = options.format === 'json'
    ? winston.format.json()
    : winston.format.printf((info) => prettyLine(info, colour));
  const MESSAGE = Symbol.for('message');
  const scrub = winston.format((info) => {
    const record = info as unknown as Record<symbol, unknown>;
    const line = record[MESSAGE];
    if (typeof line === 'string') record[MESSAGE] = redactor.redact(line);
    return info;
  });
  return winston.createLogger({
    level: options.level,
    format: winston.format.combine(
      winston.format.errors({ stack: true, cause: true }),
      winston.format.timestamp(),
      flattenErrors(),
      render,
      scrub(),
    ),
    transports: [options.stream
      ? new winston.transports.Stream({ stream: options.stream })
      : new winston.transports.Console()],
  });
}

/** Errors in metadata (`{ err }`) are rendered with message, stack and the whole `cause` chain. */
const flattenErrors = winston.format((info) => {
  for (const [key, value] of Object.entries(info)) {
    if (value instanceof Error) (info as Record<string, unknown>)[key] = describeError(value);
  }
  return info;
});

export function describeError(error: unknown, depth = 0): unknown {
  if (!(error instanceof Error) || depth > 5) return error instanceof Error ? error.message : String(error);
  const out: Record<string, unknown> = { name: error.name, message: error.message };
  if (error.stack) out.stack = error.stack;
  if (error.cause !== undefined) out.cause = describeError(error.cause, depth + 1);
  return out;
}

/** A logger that writes nothing, for tests and tools that do not care. */
export function silentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console({ silent: true })] });
}
