import fs from 'node:fs';

/** One SIP message from a sipp `-trace_msg` log, as sipp sent or received it. */
export interface SipMessage {
  /** sipp's own timestamp for the message, in ms (microsecond precision), local clock. */
  at: number;
  dir: 'in' | 'out';
  startLine: string;
  /** Request method, or undefined for a response. */
  method?: string;
  /** Response status, or undefined for a request. */
  status?: number;
  /** User part of the Request-URI of a request (the dialed number). */
  requestUser?: string;
  callId: string;
  /** The method named in CSeq (for a response: the request it answers). */
  cseqMethod: string;
  headers: Map<string, string[]>;
  raw: string;
}

const BLOCK_HEAD = /^-{20,} (\d{4})-(\d{2})-(\d{2})[ \t](\d{2}):(\d{2}):(\d{2})\.(\d{1,6})$/;
const DIRECTION = /^\w+ message (received|sent)/;

/**
 * Reads sipp's message log. sipp writes each message as
 *   ----------------------------------------------- 2026-11-24 05:19:09.656425
 *   UDP message received [979] bytes :
 *   <blank>
 *   <the SIP message>
 * Offsets let a scenario read only what was logged since it started.
 */
export class SipTrace {
  constructor(readonly file: string) {}

  /** The current end of the log: pass it to `since` to read only later messages. */
  mark(): number {
    try {
      return fs.statSync(this.file).size;
    } catch {
      return 0;
    }
  }

  since(offset = 0): SipMessage[] {
    let text: string;
    try {
      const fd = fs.openSync(this.file, 'r');
      try {
        const size = fs.fstatSync(fd).size;
        const buffer = Buffer.alloc(Math.max(0, size - offset));
        fs.readSync(fd, buffer, 0, buffer.length, offset);
        text = buffer.toString('latin1');
      } finally {
        fs.closeSync(fd);
      }
    } catch {
      return [];
    }
    return parseSippMessages(text);
  }
}

export function parseSippMessages(text: string): SipMessage[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  const out: SipMessage[] = [];
  let i = 0;
  while (i < lines.length) {
    const head = BLOCK_HEAD.exec(lines[i]!);
    if (!head) { i += 1; continue; }
    const [, y, mo, d, h, mi, s, frac] = head;
    const wholeMs = new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)).getTime();
    const at = wholeMs + Number(`0.${frac}`) * 1000;
    const dirLine = DIRECTION.exec(lines[i + 1] ?? '');
    let j = i + 2;
    while (j < lines.length && lines[j] === '') j += 1;
    const body: string[] = [];
    while (j < lines.length && !BLOCK_HEAD.test(lines[j]!)) { body.push(lines[j]!); j += 1; }
    i = j;
    if (!dirLine || body.length === 0) continue;
    const message = parseSip(body, at, dirLine[1] === 'received' ? 'in' : 'out');
    if (message) out.push(message);
  }
  return out;
}

function parseSip(lines: string[], at: number, dir: 'in' | 'out'): SipMessage | undefined {
  const startLine = lines[0]!.trim();
  const headers = new Map<string, string[]>();
  for (const line of lines.slice(1)) {
    if (line.trim() === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), line.slice(colon + 1).trim()]);
  }
  const response = /^SIP\/2\.0 (\d{3})/.exec(startLine);
  const request = /^([A-Z]+) sip:([^@;> ]*)@?/.exec(startLine);
  const cseq = (headers.get('cseq')?.[0] ?? '').split(/\s+/);
  return {
    at,
    dir,
    startLine,
    method: response ? undefined : request?.[1],
    status: response ? Number(response[1]) : undefined,
    requestUser: response ? undefined : request?.[2],
    callId: headers.get('call-id')?.[0] ?? headers.get('i')?.[0] ?? '',
    cseqMethod: cseq[1] ?? '',
    headers,
    raw: lines.join('\n'),
  };
}

/** The user part of the first SIP URI in a header value (e.g. the caller ID in From). */
export function uriUser(headerValue: string | undefined): string | undefined {
  return headerValue ? /sips?:([^@;>]+)@/.exec(headerValue)?.[1] : undefined;
}

export function header(message: SipMessage, name: string): string | undefined {
  return message.headers.get(name.toLowerCase())?.[0];
}

/** Everything logged for one dialog (one Call-ID), in log order. */
export function dialog(messages: SipMessage[], callId: string): SipMessage[] {
  return messages.filter((m) => m.callId === callId);
}

/** The first INVITE of each dialog that reached this provider (retransmissions left out). */
export function invitesIn(messages: SipMessage[]): SipMessage[] {
  const seen = new Set<string>();
  return messages.filter((m) => {
    if (m.dir !== 'in' || m.method !== 'INVITE' || seen.has(m.callId)) return false;
    seen.add(m.callId);
    return true;
  });
}
