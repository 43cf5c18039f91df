/**
 * The environment variables of after-call work (the disposition codes under a final status, whether
 * one is required before the next call, how long a note may be) and what they become in the Config;
 * config.ts merges them into its schema. What a code does is decided in after-call/dispositions.ts.
 */
import { z } from 'zod';

/** One outcome an agent can choose under a call's final status: a stable code (stored, exported) and its button label. */
export interface DispositionCode {
  code: string;
  label: string;
}

export interface AfterCallSettings {
  /** In the order their buttons are shown. */
  dispositions: readonly DispositionCode[];
  /** An agent's next call is refused until their last call has a disposition. */
  requireDisposition: boolean;
  /** The longest note kept, in characters; a longer one is refused whole. */
  noteMaxChars: number;
}

export const DEFAULT_DISPOSITION_CODES =
  'interested:Interested,callback:Call back,not_interested:Not interested,wrong_number:Wrong number,voicemail:Voicemail,dnc:Asked not to be called';

/**
 * A code goes into a button's callback data (Telegram allows 64 bytes, the call id takes 36) and the
 * calls.disposition column (32): lower-case letters, digits and _ only, so it needs no escaping anywhere.
 */
const CODE = /^[a-z0-9_]{1,16}$/;
/** A button label Telegram shows in full on a phone, two to a row. */
const MAX_LABEL = 32;
/** Two to a row: more than this makes the final status a wall of buttons. */
const MAX_CODES = 12;

const SYNTAX = 'expects comma-separated code:Label pairs such as interested:Interested,callback:Call back';

/** `code:Label,code:Label`: the codes unique, each label shown on its button. */
export function parseDispositionCodes(text: string): { ok: true; codes: DispositionCode[] } | { ok: false; problem: string } {
  const pairs = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (pairs.length === 0) return { ok: false, problem: SYNTAX };
  if (pairs.length > MAX_CODES) return { ok: false, problem: `expects at most ${MAX_CODES} codes` };
  const codes: DispositionCode[] = [];
  for (const pair of pairs) {
    const colon = pair.indexOf(':');
    const code = colon < 0 ? '' : pair.slice(0, colon).trim();
    const label = colon < 0 ? '' : pair.slice(colon + 1).trim();
    if (!code || !label) return { ok: false, problem: `${SYNTAX} (${JSON.stringify(pair.slice(0, 40))} has no code:Label)` };
    if (!CODE.test(code)) return { ok: false, problem: `code ${JSON.stringify(code.slice(0, 40))}: expects 1-16 characters of a-z 0-9 _` };
    if ([...label].length > MAX_LABEL) return { ok: false, problem: `the label of ${code}: expects at most ${MAX_LABEL} characters` };
    if (codes.some((c) => c.code === code)) return { ok: false, problem: `code ${code} is listed twice` };
    codes.push({ code, label });
  }
  return { ok: true, codes };
}

const dispositionCodes = z.string().trim().default(DEFAULT_DISPOSITION_CODES).transform((v, ctx) => {
  const parsed = parseDispositionCodes(v);
  if (!parsed.ok) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: parsed.problem });
    return z.NEVER;
  }
  return parsed.codes;
});

const onOff = z.string().trim().toLowerCase().default('false').transform((v, ctx) => {
  if (['true', 'on', 'yes', '1'].includes(v)) return true;
  if (['false', 'off', 'no', '0'].includes(v)) return false;
  ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expects true or false' });
  return z.NEVER;
});

/** Telegram's own cap on a message's text is 4096; a note is at most that. */
const noteMaxChars = z.string().trim().default('2000').transform((v, ctx) => {
  if (!/^\d{1,4}$/.test(v) || Number(v) < 1 || Number(v) > 4096) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expects a whole number of characters from 1 to 4096' });
    return z.NEVER;
  }
  return Number(v);
});

export const afterCallEnv = {
  DISPOSITION_CODES: dispositionCodes,
  REQUIRE_DISPOSITION: onOff,
  NOTE_MAX_CHARS: noteMaxChars,
};

type AfterCallEnv = z.infer<z.ZodObject<typeof afterCallEnv>>;

export function afterCallSettings(v: AfterCallEnv): AfterCallSettings {
  return { dispositions: v.DISPOSITION_CODES, requireDisposition: v.REQUIRE_DISPOSITION, noteMaxChars: v.NOTE_MAX_CHARS };
}
