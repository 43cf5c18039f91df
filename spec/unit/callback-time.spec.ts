import { type CallbackRecords, Callbacks, isMissed } from '../../after-call/callbacks';
import { localWallTime, pickedTime, readTypedTime } from '../../after-call/callback-time';
import { parseDailyHours, type WeeklyHours } from '../../config/compliance-settings';
import type { ScheduledCallback } from '../../entities';
import type { NewCallback } from '../../store';
import { ManualClock } from '../support/manual-clock';

const NY = 'America/New_York';
/** A New York number (212) and a Los Angeles one (310). */
const NY_NUMBER = '+12125550123';
const LA_NUMBER = '+13105550123';
const CALL_ID = '0b0f1c9e-2d7a-4c39-9f51-1a2b3c4d5e6f';
const ANN = 7;

const hours = (text: string): WeeklyHours => {
  const parsed = parseDailyHours(text);
  if (!parsed.ok) throw new Error(parsed.problem);
  return Array.from({ length: 7 }, () => parsed.hours);
};

/** 2026-03-04 (a Wednesday, before US daylight saving) at hh:mm UTC. */
const utc = (hh: number, mm = 0, day = 4, month = 3) => Date.UTC(2026, month - 1, day, hh, mm);

describe('callback times in the customer\'s zone', () => {
  it('given 22:30 in New York, when tomorrow morning is picked, then it is 09:00 New York time the next day', () => {
    const now = utc(3, 30, 5); // 2026-03-04 22:30 EST
    expect(localWallTime(pickedTime('tomorrow_morning', now, NY), NY)).toEqual({ zone: NY, date: '2026-03-05', time: '09:00', weekday: 'Thursday' });
    expect(pickedTime('tomorrow_morning', now, NY)).toBe(utc(14, 0, 5));
  });

  it('given the night before US daylight saving starts, when tomorrow morning is picked, then it is 09:00 on the new offset', () => {
    // 2026-03-08: New York moves from UTC-5 to UTC-4.
    expect(pickedTime('tomorrow_morning', utc(20, 0, 7), NY)).toBe(utc(13, 0, 8));
  });

  it('given any time, when in 1 h is picked, then it is exactly an hour later', () => {
    expect(pickedTime('in_an_hour', utc(15, 7), NY)).toBe(utc(16, 7));
  });

  it.each([
    ['14:30', '2026-03-04', '14:30'],
    ['9.05', '2026-03-04', '09:05'],
    ['tomorrow 10:00', '2026-03-05', '10:00'],
    ['Today 16:45', '2026-03-04', '16:45'],
    ['2026-12-07 09:30', '2026-12-07', '09:30'],
    ['2026-12-07T09:30', '2026-12-07', '09:30'],
  ])('given "%s" typed at 10:00 New York time, then it is read as %s %s New York time', (typed, date, time) => {
    const read = readTypedTime(typed, utc(15, 0), NY);
    expect(read.ok).toBe(true);
    if (read.ok) expect(localWallTime(read.at, NY)).toMatchObject({ date, time });
  });

  it.each(['soon', '25:00', '10:61', 'tomorrow', '2026-12-07', '14:30 pm', ''])('given "%s", then it is not read as a time', (typed) => {
    expect(readTypedTime(typed, utc(15, 0), NY)).toEqual({ ok: false, problem: 'unreadable' });
  });

  it('given a date that does not exist, then it is refused as such, not rolled over', () => {
    expect(readTypedTime('2026-02-30 10:00', utc(15, 0), NY)).toEqual({ ok: false, problem: 'no_such_date' });
  });
});

/** The calls and callbacks tables in memory. */
function records(call: { agentId: number; target: string } | null): CallbackRecords & { added: NewCallback[] } {
  const added: NewCallback[] = [];
  return {
    added,
    calls: { byId: async (id) => (call && id === CALL_ID ? { ...call, onCallAgentId: null, route: 'M' } : null) },
    callbacks: {
      add: async (row) => {
        added.push(row);
        return { ...row, id: added.length, state: 'pending', remindedAt: null, missedNotifiedAt: null, closedAt: null, closedBy: null } as ScheduledCallback;
      },
      byId: async () => null,
      markDone: async () => false,
      markDoneFor: async () => 0,
      cancel: async () => false,
      open: async () => [],
    },
  };
}

describe('scheduling a callback against the calling hours in the customer\'s zone', () => {
  function given(now: number, target = NY_NUMBER, window = '08:00-21:00') {
    const clock = new ManualClock();
    clock.skip(now);
    const tables = records({ agentId: ANN, target });
    return { tables, callbacks: new Callbacks({ ...tables, hours: hours(window), clock }) };
  }

  it('given a New York customer, when 03:00 is typed, then it is refused as outside the hours there and nothing is written', async () => {
    const { tables, callbacks } = given(utc(15, 0));
    const answer = await callbacks.schedule({ callId: CALL_ID, agentId: ANN, when: { typed: 'tomorrow 03:00' } });
    expect(answer).toEqual({ ok: false, reason: 'outside_hours', local: { zone: NY, date: '2026-03-05', time: '03:00', weekday: 'Thursday' }, hours: '08:00-21:00' });
    expect(tables.added).toEqual([]);
  });

  it('given 10:00 UTC (05:00 in New York), when "in 1 h" is picked, then it is refused: 06:00 there is before the hours open', async () => {
    const { tables, callbacks } = given(utc(10, 0));
    expect(await callbacks.schedule({ callId: CALL_ID, agentId: ANN, when: { pick: 'in_an_hour' } })).toMatchObject({ ok: false, reason: 'outside_hours', local: { time: '06:00' } });
    expect(tables.added).toEqual([]);
  });

  it('given a time that has passed in the customer\'s zone, then it is refused as past and nothing is written', async () => {
    const { tables, callbacks } = given(utc(15, 0));
    expect(await callbacks.schedule({ callId: CALL_ID, agentId: ANN, when: { typed: '09:30' } })).toMatchObject({ ok: false, reason: 'past', local: { time: '09:30' } });
    expect(await callbacks.schedule({ callId: CALL_ID, agentId: ANN, when: { typed: '2025-12-07 09:30' } })).toMatchObject({ ok: false, reason: 'past' });
    expect(tables.added).toEqual([]);
  });

  it('given a time more than 90 days ahead, then it is refused', async () => {
    const { tables, callbacks } = given(utc(15, 0));
    expect(await callbacks.schedule({ callId: CALL_ID, agentId: ANN, when: { typed: '2027-12-07 09:30' } })).toMatchObject({ ok: false, reason: 'too_far', maxDays: 90 });
    expect(tables.added).toEqual([]);
  });

  it('given a New York customer, when tomorrow morning is picked, then the callback is written for 09:00 New York time', async () => {
    const { tables, callbacks } = given(utc(22, 0));
    const answer = await callbacks.schedule({ callId: CALL_ID, agentId: ANN, when: { pick: 'tomorrow_morning' } });
    expect(answer).toMatchObject({ ok: true, local: { zone: NY, date: '2026-03-05', time: '09:00' } });
    expect(tables.added).toEqual([{ callId: CALL_ID, agentId: ANN, number: NY_NUMBER, route: 'M', dueAt: new Date(utc(14, 0, 5)), createdAt: new Date(utc(22, 0)) }]);
  });

  it('given 08:30 in New York, when 07:00 Los Angeles time is typed for a Los Angeles customer, then it is read there and refused (10:00 in New York does not count)', async () => {
    const { callbacks } = given(utc(13, 30), LA_NUMBER);
    expect(await callbacks.schedule({ callId: CALL_ID, agentId: ANN, when: { typed: '07:00' } }))
      .toMatchObject({ ok: false, reason: 'outside_hours', local: { zone: 'America/Los_Angeles', time: '07:00' } });
    expect(await callbacks.schedule({ callId: CALL_ID, agentId: ANN, when: { typed: '08:15' } }))
      .toMatchObject({ ok: true, local: { zone: 'America/Los_Angeles', time: '08:15' } });
  });

  it('given a call of another agent, or none, then nothing is scheduled', async () => {
    const { tables, callbacks } = given(utc(15, 0));
    expect(await callbacks.schedule({ callId: CALL_ID, agentId: ANN + 1, when: { pick: 'in_an_hour' } })).toEqual({ ok: false, reason: 'not_yours' });
    expect(await callbacks.schedule({ callId: 'e0e0e0e0-0000-4000-8000-000000000000', agentId: ANN, when: { pick: 'in_an_hour' } })).toEqual({ ok: false, reason: 'no_call' });
    expect(tables.added).toEqual([]);
  });

  it('given a number with no known time zone, then its times are read in UTC, and against calling hours that close nothing can be scheduled', async () => {
    const clock = new ManualClock();
    clock.skip(utc(15, 0));
    const tables = records({ agentId: ANN, target: NY_NUMBER });
    const callbacks = new Callbacks({ ...tables, hours: hours('08:00-21:00'), clock, zonesOf: async () => [] });
    expect(await callbacks.customerOf(CALL_ID, ANN)).toEqual({ ok: true, customer: { number: NY_NUMBER, route: 'M', zone: 'UTC', zoneKnown: false } });
    expect(await callbacks.schedule({ callId: CALL_ID, agentId: ANN, when: { typed: '16:00' } })).toEqual({ ok: false, reason: 'unknown_zone' });
    expect(tables.added).toEqual([]);
  });

  it('given a reminded callback, then it counts as missed only once the configured minutes after its time have passed', () => {
    const callback = { state: 'reminded' as const, dueAt: new Date(utc(15, 0)) };
    expect(isMissed(callback, utc(15, 29), 30 * 60_000)).toBe(false);
    expect(isMissed(callback, utc(15, 30), 30 * 60_000)).toBe(true);
    expect(isMissed({ ...callback, state: 'done' }, utc(18, 0), 30 * 60_000)).toBe(false);
  });
});
