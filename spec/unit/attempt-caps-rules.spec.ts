import { ruleRefusalText } from '../../telegram/texts';
import { AgentCapsRule } from '../../compliance/rules/agent-caps-rule';
import type { CallAttempt } from '../../compliance/rules/call-rule';
import { NumberCapsRule } from '../../compliance/rules/number-caps-rule';

const NOW = Date.parse('2026-06-10T15:00:00Z');
const HOUR = 3_600_000;

/** Placed calls (refused requests are never counted, so they are not here): who, to whom, how long ago. */
interface Placed { agentId: number; target: string; hoursAgo: number }

function callsOf(placed: Placed[]) {
  return {
    countPlacedCalls: async (of: { target: string } | { agentId: number }, since: Date) => placed.filter((c) => {
      const matches = 'target' in of ? c.target === of.target : c.agentId === of.agentId;
      return matches && NOW - c.hoursAgo * HOUR > since.getTime();
    }).length,
  };
}

const attempt: CallAttempt = { agentId: 1, agentTelegramId: '2001', target: '+12025550123', route: 'M', at: NOW };
const times = (n: number, call: Omit<Placed, 'hoursAgo'>, hoursAgo: (i: number) => number): Placed[] =>
  Array.from({ length: n }, (_, i) => ({ ...call, hoursAgo: hoursAgo(i) }));
const toNumber = { agentId: 1, target: '+12025550123' };

describe('attempt caps per customer number (all agents together)', () => {
  const rule = (placed: Placed[]) => new NumberCapsRule({ perDay: 3, per7Days: 7 }, callsOf(placed));

  it.each([
    { what: 'no earlier call', placed: [], refusal: undefined },
    { what: 'two calls today', placed: times(2, toNumber, (i) => i + 1), refusal: undefined },
    {
      what: 'three calls in the last 24 hours, by two agents',
      placed: [...times(2, toNumber, (i) => i + 1), { agentId: 2, target: '+12025550123', hoursAgo: 23 }],
      refusal: { rule: 'number_cap', period: 'day', limit: 3, placed: 3 },
      text: 'This number has already been called 3 times in the last 24 hours (at most 3, by all agents together); try again later.',
    },
    { what: 'three calls, the oldest 25 hours ago', placed: times(3, toNumber, (i) => [1, 2, 25][i] ?? 0), refusal: undefined },
    {
      what: 'seven calls over six days',
      placed: times(7, toNumber, (i) => 30 + i * 18),
      refusal: { rule: 'number_cap', period: '7_days', limit: 7, placed: 7 },
      text: 'This number has already been called 7 times in the last 7 days (at most 7, by all agents together); try again later.',
    },
    { what: 'seven calls, the oldest eight days ago', placed: times(7, toNumber, (i) => (i === 0 ? 8 * 24 : 30 + i * 18)), refusal: undefined },
    { what: 'many calls to other numbers', placed: times(9, { agentId: 1, target: '+12025550199' }, (i) => i), refusal: undefined },
  ])('given $what', async ({ placed, refusal, text }) => {
    const refused = await rule(placed).check(attempt);
    expect(refused).toEqual(refusal);
    if (refused) expect(ruleRefusalText(refused)).toBe(text);
  });

  it('given both caps off, then it never counts', async () => {
    const calls = { countPlacedCalls: async () => { throw new Error('not asked'); } };
    expect(await new NumberCapsRule({ perDay: null, per7Days: null }, calls).check(attempt)).toBeUndefined();
  });
});

describe('attempt caps per agent', () => {
  const rule = (placed: Placed[]) => new AgentCapsRule({ perHour: 2, perDay: 5 }, callsOf(placed));
  const byAnn = (target: string) => ({ agentId: 1, target });

  it.each([
    { what: 'one call in the last hour', placed: times(1, byAnn('+12025550111'), () => 0.5), refusal: undefined },
    {
      what: 'two calls in the last hour, to different numbers',
      placed: [{ ...byAnn('+12025550111'), hoursAgo: 0.5 }, { ...byAnn('+12025550112'), hoursAgo: 0.9 }],
      refusal: { rule: 'agent_cap', period: 'hour', limit: 2, placed: 2 },
      text: 'You have already placed 2 calls in the last hour (at most 2); try again later.',
    },
    {
      what: 'five calls today, none in the last hour',
      placed: times(5, byAnn('+12025550111'), (i) => 2 + i),
      refusal: { rule: 'agent_cap', period: 'day', limit: 5, placed: 5 },
      text: 'You have already placed 5 calls in the last 24 hours (at most 5); try again later.',
    },
    { what: 'another agent\'s calls', placed: times(5, { agentId: 2, target: '+12025550111' }, () => 0.1), refusal: undefined },
  ])('given $what', async ({ placed, refusal, text }) => {
    const refused = await rule(placed).check(attempt);
    expect(refused).toEqual(refusal);
    if (refused) expect(ruleRefusalText(refused)).toBe(text);
  });
});
