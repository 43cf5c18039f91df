/**
 * The caller-ID verification code: random digits, and the keyed digest that is all a verification
 * keeps of it. The code itself is shown to the admin once and never stored or logged, so a digest
 * in memory is what the digits keyed on the phone are compared with.
 */
import { createHmac, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';

/** Makes a code of `length` digits; injectable so a lab whose far end can only play fixed digits can use it. */
export type CodeGenerator = (length: number) => string;

export const randomCode: CodeGenerator = (length) => Array.from({ length }, () => String(randomInt(10))).join('');

/** What a verification holds instead of its code: a digest under a key of its own. */
export interface CodeDigest {
  key: string;
  digest: string;
}

export function digestOf(code: string, key: string = randomBytes(16).toString('hex')): CodeDigest {
  return { key, digest: createHmac('sha256', key).update(code).digest('hex') };
}

/** Whether keyed digits are the code, compared in constant time. */
export function codeMatches(entered: string, code: CodeDigest): boolean {
  const mine = Buffer.from(digestOf(entered, code.key).digest, 'hex');
  return timingSafeEqual(mine, Buffer.from(code.digest, 'hex'));
}
