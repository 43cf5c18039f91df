import { ruleRefusalText } from '../../telegram/texts';
import type { CallAttempt } from '../../compliance/rules/call-rule';
import { CallingHoursRule } from '../../compliance/rules/calling-hours-rule';
import type { WeeklyHours } from '../../compliance/rules/calling-window';
import { loadConfig } from '../../config/config';
import { TEST_ENV } from '../support/engine-harness';

const hoursOf = (env: Record<string, string> = {}): WeeklyHours => loadConfig({ ...TEST_ENV, ...env }).callingHours;
const attempt = (target: string, iso: string): CallAttempt => ({ agentId: 1, agentTelegramId: '2001', target, route: 'M', at: Date.parse(iso) });

describe('calling hours rule (time zones from libphonenumber\'s data)', () => {
  it.each([
    {
      what: 'Chicago at 22:14 CDT',
      target: '+13125550123', at: '2026-06-11T03:14:00Z',
      text: 'It is 22:14 for this number (America/Chicago); calls are allowed 08:00–21:00, opening in 9 h 46 min.',
    },
    {
      what: 'New York at 07:30 EST, the morning clocks fell back',
      target: '+12025550123', at: '2026-11-01T12:30:00Z',
      text: 'It is 07:30 for this number (America/New_York); calls are allowed 08:00–21:00, opening in 30 min.',
    },
    {
      what: 'New York at 21:30 EST, the night before clocks spring forward',
      target: '+12025550123', at: '2026-03-08T02:30:00Z',
      text: 'It is 21:30 for this number (America/New_York); calls are allowed 08:00–21:00, opening in 9 h 30 min.',
    },
    {
      what: 'North Dakota (+1 701, Mountain and Central) at 08:30 Central, not yet 08:00 Mountain',
      target: '+17015550123', at: '2026-06-10T13:30:00Z',
      text: 'It is 07:30 (America/Denver) and 08:30 (America/North_Dakota/Center) for this number;'
        + ' calls are allowed 08:00–21:00 in each of its time zones, opening in 30 min.',
    },
    {
      what: 'Alaska (+1 907, Adak and Anchorage) at 21:30 Anchorage, 20:30 Adak',
      target: '+19075550123', at: '2026-06-11T05:30:00Z',
      text: 'It is 20:30 (America/Adak) and 21:30 (America/Anchorage) for this number;'
        + ' calls are allowed 08:00–21:00 in each of its time zones, opening in 11 h 30 min.',
    },
  ])('refuses $what', async ({ target, at, text }) => {
    const refusal = await new CallingHoursRule(hoursOf()).check(attempt(target, at));
    expect(refusal).toMatchObject({ rule: 'calling_hours' });
    expect(refusal && ruleRefusalText(refusal)).toBe(text);
  });

  it.each([
    { what: 'Chicago at 08:00 CDT', target: '+13125550123', at: '2026-06-10T13:00:00Z' },
    { what: 'New York at 20:59 EDT', target: '+12025550123', at: '2026-06-11T00:59:00Z' },
    { what: 'North Dakota at 09:00 Central, 08:00 Mountain', target: '+17015550123', at: '2026-06-10T14:00:00Z' },
  ])('lets $what through', async ({ target, at }) => {
    expect(await new CallingHoursRule(hoursOf()).check(attempt(target, at))).toBeUndefined();
  });

  it('keeps the facts the audit records: zones, local times, the local day and its window, when it opens', async () => {
    const rule = new CallingHoursRule(hoursOf({ CALLING_HOURS_SUN: 'closed' }));
    expect(await rule.check(attempt('+12025550123', '2026-06-14T16:00:00Z'))).toEqual({
      rule: 'calling_hours', zones: ['America/New_York'], localTimes: ['12:00'], weekday: 'Sunday', hours: 'closed', opensInMinutes: 20 * 60,
    });
  });

  it('says so when the local day is closed', async () => {
    const rule = new CallingHoursRule(hoursOf({ CALLING_HOURS_SAT: '09:00-17:00', CALLING_HOURS_SUN: 'closed' }));
    const refusal = await rule.check(attempt('+12025550123', '2026-06-14T16:00:00Z'));
    expect(refusal && ruleRefusalText(refusal)).toBe('It is 12:00 for this number (America/New_York); no calls are allowed on Sunday, opening in 20 h.');
  });

  it.each([
    { what: 'no zone at all', zones: [], facts: [] },
    { what: 'a zone the runtime does not know', zones: ['America/New_York', 'Mars/Olympus_Mons'], facts: ['Mars/Olympus_Mons'] },
  ])('refuses a number with $what, whatever the hour (the stricter reading)', async ({ zones, facts }) => {
    const rule = new CallingHoursRule(hoursOf(), async () => zones);
    const refusal = await rule.check(attempt('+12025550123', '2026-06-10T16:00:00Z'));
    expect(refusal).toEqual({ rule: 'calling_hours_unknown_zone', zones: facts });
    expect(refusal && ruleRefusalText(refusal)).toMatch(/time zone of this number is unknown/);
  });

  it('given hours that never close, then it asks for no time zone at all', async () => {
    const rule = new CallingHoursRule(hoursOf({ CALLING_HOURS: '00:00-24:00' }), async () => { throw new Error('not asked'); });
    expect(await rule.check(attempt('+12025550123', '2026-06-10T05:00:00Z'))).toBeUndefined();
  });
});
