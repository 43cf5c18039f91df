import { type WeeklyHours, isOpenInAll, nextOpening } from '../../compliance/rules/calling-window';

const H = (open: string, close: string) => {
  const m = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
  return { open: m(open), close: m(close) };
};
const EVERY_DAY: WeeklyHours = Array.from({ length: 7 }, () => H('08:00', '21:00'));
/** Saturday 09:00-17:00, Sunday closed, weekdays 08:00-21:00. */
const WEEKEND: WeeklyHours = [null, ...Array.from({ length: 5 }, () => H('08:00', '21:00')), H('09:00', '17:00')];
const NY = ['America/New_York'];
/** What the data gives +1 701 (North Dakota): Mountain and Central time. */
const ND = ['America/Denver', 'America/North_Dakota/Center'];
/** +1 907 (Alaska): Anchorage and the Aleutians, an hour apart. */
const AK = ['America/Adak', 'America/Anchorage'];

const at = (iso: string) => Date.parse(iso);
const MIN = 60_000;

describe('calling window in the customer\'s local time', () => {
  it.each([
    // In America/New_York: 2026-03-08 springs forward at 02:00, 2026-11-01 falls back at 02:00.
    { when: 'a winter morning before opening (07:00 EST)', zones: NY, instant: '2026-03-07T12:00:00Z', open: false, opensInMin: 60 },
    { when: 'the evening before spring forward (21:30 EST), the night an hour short', zones: NY, instant: '2026-03-08T02:30:00Z', open: false, opensInMin: 9 * 60 + 30 },
    { when: 'one minute before opening, the first morning of EDT (07:59 EDT)', zones: NY, instant: '2026-03-08T11:59:00Z', open: false, opensInMin: 1 },
    { when: 'opening, the first morning of EDT (08:00 EDT, 07:00 by the old offset)', zones: NY, instant: '2026-03-08T12:00:00Z', open: true },
    { when: 'the evening before fall back (22:00 EDT), the night an hour long', zones: NY, instant: '2026-11-01T02:00:00Z', open: false, opensInMin: 11 * 60 },
    { when: 'the first morning of EST at 07:30 (08:30 by the old offset)', zones: NY, instant: '2026-11-01T12:30:00Z', open: false, opensInMin: 30 },
    { when: 'the last minute of the day\'s window (20:59 EST)', zones: NY, instant: '2026-11-02T01:59:00Z', open: true },
    { when: 'closing time (21:00 EST)', zones: NY, instant: '2026-11-02T02:00:00Z', open: false, opensInMin: 11 * 60 },
    { when: 'North Dakota: 07:30 Mountain, 08:30 Central', zones: ND, instant: '2026-06-10T13:30:00Z', open: false, opensInMin: 30 },
    { when: 'North Dakota: 08:00 Mountain, 09:00 Central', zones: ND, instant: '2026-06-10T14:00:00Z', open: true },
    { when: 'North Dakota: 20:30 Mountain, 21:30 Central', zones: ND, instant: '2026-06-11T02:30:00Z', open: false, opensInMin: 11 * 60 + 30 },
    { when: 'Alaska: 08:30 Anchorage, 07:30 Adak', zones: AK, instant: '2026-06-10T16:30:00Z', open: false, opensInMin: 30 },
  ])('$when: open=$open', ({ zones, instant, open, opensInMin }) => {
    const t = at(instant);
    expect(isOpenInAll(EVERY_DAY, zones, t)).toBe(open);
    const opens = nextOpening(EVERY_DAY, zones, t);
    expect(opens === undefined ? undefined : (opens - t) / MIN).toBe(open ? 0 : opensInMin);
    if (opens !== undefined) expect(isOpenInAll(EVERY_DAY, zones, opens)).toBe(true);
  });

  it.each([
    { when: 'Saturday 08:30, before the Saturday opening', instant: '2026-06-13T12:30:00Z', open: false, opensInMin: 30 },
    { when: 'Saturday 16:59', instant: '2026-06-13T20:59:00Z', open: true, opensInMin: 0 },
    { when: 'Saturday 17:30: Sunday is closed, Monday opens at 08:00', instant: '2026-06-13T21:30:00Z', open: false, opensInMin: 38 * 60 + 30 },
    { when: 'Sunday noon', instant: '2026-06-14T16:00:00Z', open: false, opensInMin: 20 * 60 },
  ])('per weekday, in New York, $when: open=$open', ({ instant, open, opensInMin }) => {
    const t = at(instant);
    expect(isOpenInAll(WEEKEND, NY, t)).toBe(open);
    expect(((nextOpening(WEEKEND, NY, t) ?? Number.NaN) - t) / MIN).toBe(opensInMin);
  });

  it('given every day closed, then it never opens', () => {
    expect(nextOpening(Array.from({ length: 7 }, () => null), NY, at('2026-06-10T12:00:00Z'))).toBeUndefined();
  });

  it('given zones so far apart that the windows never meet, then it never opens', () => {
    const short: WeeklyHours = Array.from({ length: 7 }, () => H('09:00', '10:00'));
    expect(nextOpening(short, ['America/New_York', 'Asia/Tokyo'], at('2026-06-10T12:00:00Z'))).toBeUndefined();
  });
});
