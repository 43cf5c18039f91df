import { NUMBER_REFUSAL_TEXTS, numberRefusalText } from '../../telegram/texts';
import {
  checkDialableNumber,
  formatForDisplay,
  type NumberCheck,
  type NumberPolicy,
  type NumberRefusal,
} from '../../phone/number-policy';

/** The sentence the agent reads for a refused number (telegram/texts.ts renders the policy's codes and facts). */
const reason = (check: NumberCheck): string | undefined => (check.ok ? undefined : numberRefusalText(check));
const plain = (refusal: NumberRefusal): string => numberRefusalText({ ok: false, refusal });

/**
 * Fixture note: libphonenumber-js/max (1.13.x) treats the fictional 555-01XX block as valid
 * US/CA FIXED_LINE_OR_MOBILE (e.g. +1 202 555 0123, +1 613 555 0123), so the product spec's
 * 202-555-0123 examples are used as-is.
 */
const US_CA: NumberPolicy = { defaultRegion: 'US', allowedCountries: ['US', 'CA'] };
const US_ONLY: NumberPolicy = { defaultRegion: 'US', allowedCountries: ['US'] };
const WIDE: NumberPolicy = { defaultRegion: 'US', allowedCountries: ['US', 'CA', 'GB', 'FR', 'ES', 'IT', 'DE', 'PL', 'IE'] };

type Accepted = [input: string, e164: string, country: string, policy?: NumberPolicy];
type Refused = [input: string, refusal: NumberRefusal, policy?: NumberPolicy];

const accepted: Accepted[] = [
  // Every US format the product spec names
  ['+12025550123', '+12025550123', 'US'],
  ['(202) 555-0123', '+12025550123', 'US'],
  ['202-555-0123', '+12025550123', 'US'],
  ['202.555.0123', '+12025550123', 'US'],
  ['202 555 0123', '+12025550123', 'US'],
  ['2025550123', '+12025550123', 'US'],
  ['1 202 555 0123', '+12025550123', 'US'],
  ['12025550123', '+12025550123', 'US'],
  ['+1 (202) 555-0123', '+12025550123', 'US'],
  // Other harmless spellings
  ['+1-202-555-0123', '+12025550123', 'US'],
  ['1(202)555-0123', '+12025550123', 'US'],
  ['  +1 202 555 0123 \n', '+12025550123', 'US'],
  ['\t(212) 555-1234\t', '+12125551234', 'US'],
  ['+14155552671', '+14155552671', 'US'],
  ['+12015550123', '+12015550123', 'US'],
  // Canada
  ['+16135550123', '+16135550123', 'CA'],
  ['(416) 555-0123', '+14165550123', 'CA'],
  ['604-555-0123', '+16045550123', 'CA'],
  ['514 555 0123', '+15145550123', 'CA', { defaultRegion: 'CA', allowedCountries: ['US', 'CA'] }],
  // Toll-free is allowed
  ['1-800-555-1234', '+18005551234', 'US'],
  ['+1 888 555 1234', '+18885551234', 'US'],
  ['(877) 555-1234', '+18775551234', 'US'],
  ['866.555.1234', '+18665551234', 'US'],
  ['+18335551234', '+18335551234', 'US'],
  // Numbers that merely contain 911 / 976 / 900 somewhere else
  ['+1 202 555 0911', '+12025550911', 'US'],
  ['+1 202 555 0900', '+12025550900', 'US'],
  // Outside NANP, when the policy allows the country
  ['+44 20 7946 0123', '+442079460123', 'GB', WIDE],
  ['011 44 20 7946 0123', '+442079460123', 'GB', WIDE],
];

const refused: Refused[] = [
  // not_a_number: letters, garbage, empty, odd Unicode
  ['', 'not_a_number'],
  ['   ', 'not_a_number'],
  ['hello', 'not_a_number'],
  ['call me maybe', 'not_a_number'],
  ['1-800-FLOWERS', 'not_a_number'],
  ['1-800-356-9377a', 'not_a_number'],
  ['+', 'not_a_number'],
  ['()-.', 'not_a_number'],
  ['++12025550123', 'not_a_number'],
  ['202+555+0123', 'not_a_number'],
  ['tel:+12025550123', 'not_a_number'],
  ['202_555_0123', 'not_a_number'],
  ['202/555/0123', 'not_a_number'],
  ['＋１ ２０２ ５５５ ０１２３', 'not_a_number'], // full-width
  ['٢٠٢٥٥٥٠١٢٣', 'not_a_number'], // Arabic-Indic digits
  ['۲۰۲۵۵۵۰۱۲۳', 'not_a_number'], // Extended Arabic-Indic digits
  ['202\u200B555\u200B0123', 'not_a_number'], // zero-width space
  ['\u200F+12025550123', 'not_a_number'], // RTL mark
  ['+1202555\u202E3210', 'not_a_number'], // RTL override
  ['202\u00A0555\u00A00123', 'not_a_number'], // inner no-break spaces
  ['202\t555\t0123', 'not_a_number'], // inner tabs
  ['😀2025550123', 'not_a_number'],
  ['2'.repeat(65), 'not_a_number'],
  ['x'.repeat(10_000), 'not_a_number'],
  // too_short
  ['2025', 'too_short'],
  ['555-0123', 'too_short'],
  ['202555012', 'too_short'],
  ['+1 202 555', 'too_short'],
  ['12', 'too_short'],
  ['+12', 'too_short'],
  // too_long
  ['+1 202 555 0123 4', 'too_long'],
  ['+1202555012345', 'too_long'],
  ['12345678901234567', 'too_long'],
  ['123456789012345678901234567890', 'too_long'],
  // invalid for its region
  ['+1 555 555 5555', 'invalid'],
  ['+1 202 000 0123', 'invalid'],
  ['+1 202 100 0123', 'invalid'],
  ['+1 700 555 1234', 'invalid'],
  ['+999 123 456', 'invalid'],
  ['911-555-0123', 'invalid'], // N11 area codes do not exist
  ['+1 (411) 555-0123', 'invalid'],
  // extension
  ['202-555-0123 x12', 'extension'],
  ['202-555-0123 ext. 5', 'extension'],
  ['+12025550123;ext=5', 'extension'],
  ['202-555-0123 ext 5', 'extension'],
  ['(202) 555-0123 extension 12', 'extension'],
  ['2025550123x12', 'extension'],
  ['+1 202 555 0123 X 7', 'extension'],
  ['202-555-0123 #12', 'extension'],
  ['+1 202 555 0123,,12', 'extension'],
  // emergency and service numbers, bare or behind 1 / +1
  ['911', 'emergency_or_service'],
  ['9-1-1', 'emergency_or_service'],
  ['(911)', 'emergency_or_service'],
  ['+1911', 'emergency_or_service'],
  ['1911', 'emergency_or_service'],
  ['+1 911', 'emergency_or_service'],
  ['112', 'emergency_or_service'],
  ['+112', 'emergency_or_service'],
  ['999', 'emergency_or_service'],
  ['000', 'emergency_or_service'],
  ['933', 'emergency_or_service'],
  ['1 933', 'emergency_or_service'],
  ['211', 'emergency_or_service'],
  ['+1 311', 'emergency_or_service'],
  ['411', 'emergency_or_service'],
  ['511', 'emergency_or_service'],
  ['1-611', 'emergency_or_service'],
  ['711', 'emergency_or_service'],
  ['811', 'emergency_or_service'],
  // premium rate and shared cost
  ['1-900-555-1234', 'premium_or_shared_cost'],
  ['+1 (900) 555-0123', 'premium_or_shared_cost'],
  ['+1 976 555 1234', 'premium_or_shared_cost'],
  ['(212) 976-1234', 'premium_or_shared_cost'],
  ['+1 202 976 5555', 'premium_or_shared_cost'],
  ['+44 909 123 4567', 'premium_or_shared_cost', WIDE], // getType() PREMIUM_RATE
  ['+44 870 123 4567', 'premium_or_shared_cost', WIDE],
  ['+33 810 12 34 56', 'premium_or_shared_cost', WIDE], // getType() SHARED_COST
  ['+34 902 123 456', 'premium_or_shared_cost', WIDE],
  ['+49 180 1 234567', 'premium_or_shared_cost', WIDE],
  ['+1 345 976 1234', 'premium_or_shared_cost'], // Cayman premium, refused before the country check
  // countries outside the allowed list, including NANP look-alikes
  ['+1 242 357 1234', 'country_not_allowed'],
  ['+1 268 460 1234', 'country_not_allowed'],
  ['+1 473 440 1234', 'country_not_allowed'],
  ['+1 664 491 1234', 'country_not_allowed'],
  ['+1 809 555 1234', 'country_not_allowed'],
  ['+1 876 555 1234', 'country_not_allowed'],
  ['(876) 555-1234', 'country_not_allowed'],
  ['1 809 555 1234', 'country_not_allowed'],
  ['+1 787 555 1234', 'country_not_allowed'], // Puerto Rico is its own region
  ['+1 340 774 1234', 'country_not_allowed'],
  ['+44 20 7946 0123', 'country_not_allowed'],
  ['+33 1 23 45 67 89', 'country_not_allowed'],
  ['+800 1234 5678', 'country_not_allowed'], // non-geographic, no country at all
  ['+16135550123', 'country_not_allowed', US_ONLY],
  ['(416) 555-0123', 'country_not_allowed', US_ONLY],
];

describe('checkDialableNumber', () => {
  describe('given an acceptable number', () => {
    it.each(accepted)('when %j is checked, then it is accepted as %s (%s)', (input, e164, country, policy = US_CA) => {
      expect(checkDialableNumber(input, policy)).toEqual({ ok: true, e164, country });
    });
  });

  describe('given a number that must not be dialed', () => {
    it.each(refused)('when %j is checked, then it is refused as %s', (input, refusal, policy = US_CA) => {
      const result = checkDialableNumber(input, policy);
      expect(result).toMatchObject({ ok: false, refusal });
      if (result.ok) return;
      if (refusal === 'country_not_allowed') expect(reason(result)).toMatch(/^Calls to \+?\w+ are not allowed \(allowed: [A-Z, ]+\)\.$/);
      else expect(reason(result)).toContain(plain(refusal).split('.')[0]);
    });
  });

  describe('given the refusal reasons', () => {
    it('when a look-alike is refused, then the reason names its country and the allowed ones', () => {
      const result = checkDialableNumber('+1 876 555 1234', US_CA);
      expect(result).toEqual({ ok: false, refusal: 'country_not_allowed', facts: { country: 'JM', allowed: ['US', 'CA'] } });
      expect(reason(result)).toBe('Calls to JM are not allowed (allowed: US, CA).');
    });

    it('when a non-geographic number is refused, then the reason names its calling code', () => {
      const result = checkDialableNumber('+800 1234 5678', US_ONLY);
      expect(reason(result)).toBe('Calls to +800 are not allowed (allowed: US).');
    });

    it('when huge input is refused, then the reason says it is too long', () => {
      const result = checkDialableNumber('9'.repeat(10_000), US_CA);
      expect(result).toMatchObject({ ok: false, refusal: 'not_a_number' });
      expect(reason(result)).toMatch(/too long/i);
    });

    it('when 911 is refused, then the bot text is the emergency sentence', () => {
      const result = checkDialableNumber('911', US_CA);
      expect(result).toEqual({ ok: false, refusal: 'emergency_or_service' });
      expect(reason(result)).toBe('Emergency and service numbers (911, 311, …) can never be dialed.');
    });

    it('then every refusal kind has its own distinct, non-empty sentence', () => {
      const texts = NUMBER_REFUSAL_TEXTS;
      expect(texts).toHaveLength(8);
      expect(new Set(texts).size).toBe(texts.length);
      for (const text of texts) expect(text.length).toBeGreaterThan(10);
    });
  });

  describe('given hostile input', () => {
    it.each([
      ['10,000 digits', '1'.repeat(10_000)],
      ['10,000 mixed characters', '+1 (202) 555-0123 x'.repeat(600)],
      ['lone surrogates', '\uD800\uDC00\uD800'],
      ['control characters', '\u0000\u0007202555\u001B0123'],
      ['a non-string from untyped JavaScript', undefined as unknown as string],
    ])('when %s is checked, then it is refused without throwing', (_label, input) => {
      expect(() => checkDialableNumber(input, US_CA)).not.toThrow();
      expect(checkDialableNumber(input, US_CA).ok).toBe(false);
    });
  });
});

describe('formatForDisplay', () => {
  it.each([
    ['+12025550123', '+1 202-555-0123'],
    ['+16135550123', '+1 613-555-0123'],
    ['+18005551234', '+1 800-555-1234'],
    ['+442079460123', '+44 20 7946 0123'],
    ['+33123456789', '+33 1 23 45 67 89'],
    ['not a number', 'not a number'],
  ])('given %j, when formatted for display, then it reads %j', (e164, shown) => {
    expect(formatForDisplay(e164)).toBe(shown);
  });

  it('given any accepted number, when formatted, then it round-trips through checkDialableNumber', () => {
    for (const [input, e164, , policy = US_CA] of accepted) {
      expect(checkDialableNumber(formatForDisplay(e164), policy)).toMatchObject({ ok: true, e164 });
      expect(checkDialableNumber(input, policy)).toMatchObject({ ok: true });
    }
  });
});
