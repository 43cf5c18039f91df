/**
 * One line of a do-not-call file, read as a number: a CSV's first field, a plain number in any form
 * /dnc add takes, or the US National DNC Registry's download format (area code and number, `202,5550123`
 * or `2025550123`).
 */
import { getCountryCallingCode } from 'libphonenumber-js';
import { type CountryCode, checkListableNumber } from '../phone/number-policy';
import { dncKey } from '../store/dnc-store';

export type DncLine =
  | { kind: 'number'; key: number }
  /** Blank, a `#` comment, or a first line without digits (a CSV header). */
  | { kind: 'skip' }
  | { kind: 'invalid' };

/** Area code and number as the registry writes them, NANP-shaped (neither part starts with 0 or 1). */
const REGISTRY = /^([2-9]\d{2}),([2-9]\d{6})$/;
const NANP_TEN = /^(?:\+1|1)?([2-9]\d{2}[2-9]\d{6})$/;
const FIELD_END = /[,;\t]/;

export interface DncLineReader {
  read(line: string, lineNumber: number): DncLine;
}

/**
 * Registry-shaped lines skip the full parse: the registry lists only US numbers, and at ten
 * million lines the per-line validity lookup would be most of an import's time. Everything else
 * goes through checkListableNumber in the default region, as /dnc add does.
 */
export function dncLineReader(defaultRegion: CountryCode): DncLineReader {
  const nanpRegion = getCountryCallingCode(defaultRegion) === '1';
  return {
    read(raw, lineNumber) {
      const line = (lineNumber === 1 ? raw.replace(/^\uFEFF/, '') : raw).replace(/"/g, '').trim();
      if (line === '' || line.startsWith('#')) return { kind: 'skip' };
      const registry = REGISTRY.exec(line);
      if (registry) return { kind: 'number', key: Number(`1${registry[1]}${registry[2]}`) };
      const end = line.search(FIELD_END);
      const field = (end >= 0 ? line.slice(0, end) : line).trim();
      const ten = NANP_TEN.exec(field);
      // Ten bare digits are national only where the default region is in NANP; "+1…" always is.
      if (ten && (nanpRegion || field.startsWith('+1'))) return { kind: 'number', key: Number(`1${ten[1]}`) };
      if (lineNumber === 1 && !/\d/.test(line)) return { kind: 'skip' };
      const checked = checkListableNumber(field, defaultRegion);
      return checked.ok ? { kind: 'number', key: dncKey(checked.e164) } : { kind: 'invalid' };
    },
  };
}
