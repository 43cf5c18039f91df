/**
 * The one place where callbot decides whether a typed phone number may be dialed.
 * Every caller (bot commands, stasis app, scripts) goes through checkDialableNumber.
 */
import {
  ParseError,
  parsePhoneNumberFromString,
  parsePhoneNumberWithError,
  validatePhoneNumberLength,
  type PhoneNumber,
} from 'libphonenumber-js/max';

export type CountryCode = import('libphonenumber-js').CountryCode;

export interface NumberPolicy {
  defaultRegion: CountryCode;
  allowedCountries: readonly CountryCode[];
}

export type NumberRefusal =
  | 'not_a_number'
  | 'too_short'
  | 'too_long'
  | 'invalid'
  | 'extension'
  | 'emergency_or_service'
  | 'premium_or_shared_cost'
  | 'country_not_allowed';

/** What a refusal's wording needs beyond its kind. */
export interface NumberRefusalFacts {
  /** not_a_number: the input was longer than this many characters. */
  maxLength?: number;
  /** country_not_allowed: the number's country (or +calling code), and the countries that are allowed. */
  country?: string;
  allowed?: readonly string[];
}

export type NumberCheck =
  | { ok: true; e164: string; country: CountryCode }
  | { ok: false; refusal: NumberRefusal; facts?: NumberRefusalFacts };

/** Checked on the raw input, before any regex or parsing, so hostile input costs nothing. */
const MAX_INPUT_LENGTH = 64;

/** Only ASCII digits, spaces and + ( ) - . ; a + may only come first. */
const PLAIN_NUMBER = /^\+?[0-9 ().-]*[0-9][0-9 ().-]*$/;

/** A plain number followed by an extension marker (x, ext., extension, ;ext=, #, comma pause) and digits. */
const WITH_EXTENSION = /^\+?[0-9 ().-]*[0-9][0-9 ().-]*(?:;\s*ext=|,+|#|(?:extension|extn|ext|x)\.?[:=]?)\s*[0-9]+#?$/i;

/** Dialed bare, or behind a 1 / +1 prefix. libphonenumber only calls these "too short". */
const EMERGENCY_OR_SERVICE = new Set(['911', '112', '999', '000', '933', '211', '311', '411', '511', '611', '711', '811']);

/** Historic NANP pay-per-call: area code 900 (and unassigned 976), and exchange ("prefix") 976 in any area code. */
const NANP_PREMIUM = /^(?:900|976)|^\d{3}976/;

function refuse(refusal: NumberRefusal, facts?: NumberRefusalFacts): NumberCheck {
  return facts ? { ok: false, refusal, facts } : { ok: false, refusal };
}

/** Maps libphonenumber's ParseError / validatePhoneNumberLength codes onto our refusals. */
function refusalForCode(code: string): NumberRefusal {
  switch (code) {
    case 'TOO_SHORT':
      return 'too_short';
    case 'TOO_LONG':
      return 'too_long';
    case 'NOT_A_NUMBER':
      return 'not_a_number';
    default: // INVALID_COUNTRY (unknown calling code), INVALID_LENGTH
      return 'invalid';
  }
}

export function checkDialableNumber(input: string, policy: NumberPolicy): NumberCheck {
  if (typeof input !== 'string') return refuse('not_a_number');
  if (input.length > MAX_INPUT_LENGTH) {
    return refuse('not_a_number', { maxLength: MAX_INPUT_LENGTH });
  }
  const text = input.trim();
  if (WITH_EXTENSION.test(text)) return refuse('extension');
  // Stricter than libphonenumber, which would happily read vanity letters, full-width or
  // Arabic-Indic digits and skip zero-width/RTL marks: what is dialed must be what was seen.
  if (!PLAIN_NUMBER.test(text)) return refuse('not_a_number');

  const digits = text.replace(/[^0-9]/g, '');
  if (EMERGENCY_OR_SERVICE.has(digits) || (digits.length === 4 && digits.startsWith('1') && EMERGENCY_OR_SERVICE.has(digits.slice(1)))) {
    return refuse('emergency_or_service');
  }

  let phone: PhoneNumber;
  try {
    phone = parsePhoneNumberWithError(text, policy.defaultRegion);
  } catch (error) {
    return refuse(error instanceof ParseError ? refusalForCode(error.message) : 'not_a_number');
  }
  const lengthProblem = validatePhoneNumberLength(text, policy.defaultRegion);
  if (lengthProblem) return refuse(refusalForCode(lengthProblem));
  if (phone.ext) return refuse('extension');

  // Before isValid(): area code 976 is unassigned, so it would otherwise only say "invalid".
  if (phone.countryCallingCode === '1' && NANP_PREMIUM.test(phone.nationalNumber)) return refuse('premium_or_shared_cost');
  if (!phone.isValid()) return refuse('invalid');
  const type = phone.getType();
  if (type === 'PREMIUM_RATE' || type === 'SHARED_COST') return refuse('premium_or_shared_cost');

  // All of NANP shares +1, but +1 876 is Jamaica, +1 809 the Dominican Republic, +1 242 the
  // Bahamas…: those are international (and often costly) calls. Only the country tells them apart.
  const country = phone.country;
  if (!country || !policy.allowedCountries.includes(country)) {
    return refuse('country_not_allowed', { country: country ?? `+${phone.countryCallingCode}`, allowed: policy.allowedCountries });
  }
  return { ok: true, e164: phone.number, country };
}

/**
 * A number as a do-not-call list keeps it: the same strict reading as checkDialableNumber (national
 * forms in the default region, no extensions, no look-alike characters) and a valid number, but
 * none of the dialing limits: a number of a country callbot may not call today may still ask not
 * to be called once that changes.
 */
export function checkListableNumber(input: string, defaultRegion: CountryCode): NumberCheck {
  if (typeof input !== 'string') return refuse('not_a_number');
  if (input.length > MAX_INPUT_LENGTH) return refuse('not_a_number', { maxLength: MAX_INPUT_LENGTH });
  const text = input.trim();
  if (WITH_EXTENSION.test(text)) return refuse('extension');
  if (!PLAIN_NUMBER.test(text)) return refuse('not_a_number');
  let phone: PhoneNumber;
  try {
    phone = parsePhoneNumberWithError(text, defaultRegion);
  } catch (error) {
    return refuse(error instanceof ParseError ? refusalForCode(error.message) : 'not_a_number');
  }
  const lengthProblem = validatePhoneNumberLength(text, defaultRegion);
  if (lengthProblem) return refuse(refusalForCode(lengthProblem));
  if (phone.ext) return refuse('extension');
  if (!phone.isValid() || !phone.country) return refuse('invalid');
  return { ok: true, e164: phone.number, country: phone.country };
}

/**
 * A number as it is named where it is not the number being worked on: the country code and the last
 * four digits, '+1 •••-•••-0123', so a reply that names another customer's number does not spell it out.
 */
export function maskedForDisplay(e164: string): string {
  const shown = formatForDisplay(e164);
  const code = /^\+\d+/.exec(shown)?.[0] ?? '';
  const digits = shown.slice(code.length).replace(/\D/g, '').length;
  let kept = 0;
  const rest = [...shown.slice(code.length)].reverse().map((ch) => {
    if (!/\d/.test(ch)) return ch;
    kept += 1;
    return kept <= 4 || digits <= 4 ? ch : '•';
  }).reverse().join('');
  return `${code}${rest}`;
}

/** '+1 202-555-0123' for NANP (the style US/CA agents read), formatInternational otherwise; never throws. */
export function formatForDisplay(e164: string): string {
  const phone = parsePhoneNumberFromString(e164);
  if (!phone) return e164;
  const national = phone.nationalNumber;
  if (phone.countryCallingCode === '1' && national.length === 10) {
    return `+1 ${national.slice(0, 3)}-${national.slice(3, 6)}-${national.slice(6)}`;
  }
  return phone.formatInternational();
}
