/**
 * Bulk onboarding: a CSV document of agents (telegram_id, phone, name, route, with a header row)
 * authorized line by line through AgentService, as /authorize does each. A document that cannot be
 * read as such a CSV (binary, malformed quoting, no header, too many lines) is refused whole before
 * anything is written; within a readable one, each invalid line is reported by its number and the
 * valid lines are applied.
 */
import { CsvError, parse } from 'csv-parse/sync';
import type { RouteCode } from '../call/call-types';
import type { AgentService, NumberRefused } from './agent-service';

/** The most lines (header included) one document may hold: a bigger team is onboarded in several documents. */
export const MAX_ONBOARDING_LINES = 10_000;
/** The largest document read; checked against the Bot API's file_size before it is downloaded. */
export const MAX_ONBOARDING_BYTES = 2 * 1024 * 1024;

const COLUMNS = ['telegram_id', 'phone', 'name', 'route'] as const;
type Column = (typeof COLUMNS)[number];
const REQUIRED: readonly Column[] = ['telegram_id', 'phone'];
const TELEGRAM_ID = /^[1-9]\d{0,19}$/;
const ROUTES: Record<string, RouteCode> = { m: 'M', main: 'M', d: 'D', dev: 'D' };
const MAX_NAME = 128;

/** One agent line as read, with its line number in the document (1-based, the header is line 1). */
export interface AgentLine {
  line: number;
  telegramId: string;
  phone: string;
  name: string;
  route?: RouteCode;
}

/** Why a line was not applied, as a code and its facts; the bot words it. */
export type LineProblem =
  | { kind: 'field_count'; found: number; expected: number }
  | { kind: 'telegram_id' }
  | { kind: 'phone_missing' }
  | { kind: 'name_too_long'; max: number }
  | { kind: 'route'; value: string }
  | { kind: 'repeated'; firstLine: number }
  | { kind: 'phone'; refusal: NumberRefused };

export interface InvalidLine {
  line: number;
  problem: LineProblem;
}

/** Why a whole document was refused, nothing written. */
export type DocumentProblem =
  | { kind: 'empty' }
  | { kind: 'not_text' }
  | { kind: 'malformed'; line: number | undefined; reason: string }
  | { kind: 'no_header'; expected: readonly string[] }
  | { kind: 'too_many_lines'; max: number };

export type ReadDocument = { ok: true; lines: AgentLine[]; invalid: InvalidLine[] } | { ok: false; problem: DocumentProblem };

/** Reads a document's bytes into agent lines and invalid ones; refuses the whole document when it is not such a CSV. */
export function readAgentDocument(bytes: Uint8Array): ReadDocument {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, problem: { kind: 'not_text' } };
  }
  // A NUL (or another control character but tab, CR, LF) is never in a spreadsheet's CSV: a binary that happens to be valid UTF-8.
  if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(text)) return { ok: false, problem: { kind: 'not_text' } };
  if (text.replace(/^\uFEFF/, '').trim() === '') return { ok: false, problem: { kind: 'empty' } };
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, trim: true, skip_empty_lines: true, relax_column_count: true, info: true, to_line: MAX_ONBOARDING_LINES + 1 }) as unknown as typeof records;
  } catch (err) {
    if (err instanceof CsvError) return { ok: false, problem: { kind: 'malformed', line: (err as CsvError & { lines?: number }).lines, reason: err.message } };
    throw new Error('reading the onboarding CSV failed', { cause: err });
  }
  if (countLines(text) > MAX_ONBOARDING_LINES) return { ok: false, problem: { kind: 'too_many_lines', max: MAX_ONBOARDING_LINES } };
  const [header, ...rows] = records;
  const names = header?.record.map((h) => h.toLowerCase().replace(/\s+/g, '_')) ?? [];
  if (!REQUIRED.every((c) => names.includes(c)) || names.some((n) => !(COLUMNS as readonly string[]).includes(n)) || new Set(names).size !== names.length) {
    return { ok: false, problem: { kind: 'no_header', expected: COLUMNS } };
  }
  const lines: AgentLine[] = [];
  const invalid: InvalidLine[] = [];
  const seen = new Map<string, number>();
  for (const { record, info } of rows) {
    const line = info.lines;
    const read = readLine(record, names, line);
    if ('problem' in read) {
      invalid.push({ line, problem: read.problem });
      continue;
    }
    const firstLine = seen.get(read.telegramId);
    if (firstLine !== undefined) {
      invalid.push({ line, problem: { kind: 'repeated', firstLine } });
      continue;
    }
    seen.set(read.telegramId, line);
    lines.push(read);
  }
  return { ok: true, lines, invalid };
}

function readLine(record: string[], names: readonly string[], line: number): AgentLine | { problem: LineProblem } {
  if (record.length !== names.length) return { problem: { kind: 'field_count', found: record.length, expected: names.length } };
  const field = (c: Column) => record[names.indexOf(c)] ?? '';
  const telegramId = field('telegram_id');
  if (!TELEGRAM_ID.test(telegramId)) return { problem: { kind: 'telegram_id' } };
  const phone = field('phone');
  if (phone === '') return { problem: { kind: 'phone_missing' } };
  const name = field('name');
  if (name.length > MAX_NAME) return { problem: { kind: 'name_too_long', max: MAX_NAME } };
  const routeText = field('route');
  const route = routeText === '' ? undefined : ROUTES[routeText.toLowerCase()];
  if (routeText !== '' && route === undefined) return { problem: { kind: 'route', value: routeText.slice(0, 16) } };
  return { line, telegramId, phone, name, ...(route ? { route } : {}) };
}

function countLines(text: string): number {
  let count = 0;
  for (const line of text.split(/\r\n|\n|\r/)) if (line.trim() !== '') count += 1;
  return count;
}

export interface OnboardingSummary {
  added: number;
  updated: number;
  /** In line order. */
  invalid: InvalidLine[];
}

/**
 * Authorizes each line's agent through AgentService (the number checks, the write and the audit
 * entry of /authorize): added when the Telegram id was new, updated when it was known. A line whose
 * phone the service refuses is invalid; the other lines still apply.
 */
export async function onboardAgents(
  accounts: Pick<AgentService, 'authorize' | 'isKnown'>, by: string, read: { lines: AgentLine[]; invalid: InvalidLine[] },
  options: { signal?: AbortSignal; onProgress?: (done: number, of: number) => void } = {},
): Promise<OnboardingSummary> {
  let added = 0;
  let updated = 0;
  const invalid = [...read.invalid];
  for (const line of read.lines) {
    // The service is stopping: the lines applied so far stay, the rest wait for the file to be sent again.
    options.signal?.throwIfAborted();
    const known = await accounts.isKnown(line.telegramId);
    const result = await accounts.authorize(by, {
      telegramId: line.telegramId, phone: line.phone, ...(line.name ? { displayName: line.name } : {}), ...(line.route ? { route: line.route } : {}),
    });
    if (result.ok) {
      if (known) updated += 1;
      else added += 1;
    } else if (result.refusal !== 'not_pending') {
      invalid.push({ line: line.line, problem: { kind: 'phone', refusal: result } });
    }
    options.onProgress?.(added + updated + invalid.length - read.invalid.length, read.lines.length);
  }
  return { added, updated, invalid: invalid.sort((a, b) => a.line - b.line) };
}
