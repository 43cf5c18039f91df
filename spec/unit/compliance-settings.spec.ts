import { ConfigError, loadConfig } from '../../config/config';
import { TEST_ENV } from '../support/engine-harness';

const H = (open: string, close: string) => ({
  open: Number(open.slice(0, 2)) * 60 + Number(open.slice(3)), close: Number(close.slice(0, 2)) * 60 + Number(close.slice(3)),
});

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...TEST_ENV, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

describe('compliance settings', () => {
  it('given none, then 08:00-21:00 every day, 3 calls a number a day and 7 a week, and no agent or route limit', () => {
    const config = loadConfig(TEST_ENV);
    expect(config.callingHours).toEqual(Array.from({ length: 7 }, () => H('08:00', '21:00')));
    expect(config.callCaps).toEqual({ numberPerDay: 3, numberPer7Days: 7, agentPerHour: null, agentPerDay: null });
    expect(config.routeLimits).toEqual({ M: { maxCalls: null, callsPerS: null }, D: { maxCalls: null, callsPerS: null } });
    expect(config.routeRateMaxWaitMs).toBe(5000);
  });

  it('given weekday variables, then each overrides CALLING_HOURS on its own day only (Sunday first)', () => {
    const config = loadConfig({ ...TEST_ENV, CALLING_HOURS: '09:00-20:00', CALLING_HOURS_SAT: '10:00 – 16:30', CALLING_HOURS_SUN: 'Closed' });
    expect(config.callingHours).toEqual([null, ...Array.from({ length: 5 }, () => H('09:00', '20:00')), H('10:00', '16:30')]);
  });

  it.each([
    { value: '00:00-24:00', hours: H('00:00', '24:00') },
    { value: '8:00-21:00', problem: /HH:MM-HH:MM/ },
    { value: '08:00', problem: /HH:MM-HH:MM/ },
    { value: '08:00-21:60', problem: /minutes 00-59/ },
    { value: '08:00-25:00', problem: /hours 00-24/ },
    { value: '21:00-08:00', problem: /cannot run past midnight/ },
    { value: '09:00-09:00', problem: /opening time before the closing time/ },
    { value: 'always', problem: /or closed/ },
  ])('CALLING_HOURS=$value', ({ value, hours, problem }) => {
    if (hours) {
      expect(loadConfig({ ...TEST_ENV, CALLING_HOURS: value }).callingHours[3]).toEqual(hours);
      return;
    }
    const problems = problemsOf({ CALLING_HOURS_WED: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^CALLING_HOURS_WED: /);
    expect(problems[0]).toMatch(problem);
  });

  it.each([
    { name: 'CAP_NUMBER_PER_DAY', value: 'off', ok: true },
    { name: 'CAP_AGENT_PER_HOUR', value: '20', ok: true },
    { name: 'CAP_NUMBER_PER_7_DAYS', value: '0', ok: false },
    { name: 'CAP_AGENT_PER_DAY', value: 'many', ok: false },
    { name: 'ROUTE_MAIN_MAX_CALLS', value: '30', ok: true },
    { name: 'ROUTE_DEV_CALLS_PER_S', value: '0.5', ok: true },
    { name: 'ROUTE_MAIN_CALLS_PER_S', value: '0', ok: false },
    { name: 'ROUTE_MAIN_CALLS_PER_S', value: '-2', ok: false },
    { name: 'ROUTE_RATE_MAX_WAIT_S', value: '61', ok: false },
  ])('$name=$value is accepted: $ok', ({ name, value, ok }) => {
    const problems = problemsOf({ [name]: value });
    expect(problems.map((p) => p.split(':')[0])).toEqual(ok ? [] : [name]);
  });

  it('maps caps and route limits to the config', () => {
    const config = loadConfig({
      ...TEST_ENV, CAP_NUMBER_PER_DAY: 'off', CAP_AGENT_PER_HOUR: '20', CAP_AGENT_PER_DAY: '150',
      ROUTE_MAIN_MAX_CALLS: '30', ROUTE_MAIN_CALLS_PER_S: '5', ROUTE_DEV_CALLS_PER_S: '0.5', ROUTE_RATE_MAX_WAIT_S: '2.5',
    });
    expect(config.callCaps).toEqual({ numberPerDay: null, numberPer7Days: 7, agentPerHour: 20, agentPerDay: 150 });
    expect(config.routeLimits).toEqual({ M: { maxCalls: 30, callsPerS: 5 }, D: { maxCalls: null, callsPerS: 0.5 } });
    expect(config.routeRateMaxWaitMs).toBe(2500);
  });
});
