import { ruleRefusalText, ruleWaitText } from '../../telegram/texts';
import type { RouteCode } from '../../call/call-types';
import type { CallAttempt, HoldContext, RuleContext, RuleRefusal, RuleWait } from '../../compliance/rules/call-rule';
import { RouteLimitsRule } from '../../compliance/rules/route-limits-rule';
import { ManualClock } from '../support/manual-clock';

const attempt = (route: RouteCode = 'M'): CallAttempt => ({ agentId: 1, agentTelegramId: '2001', target: '+12025550123', route, at: 0 });

function contextWith(live: Partial<Record<RouteCode, number>>) {
  const context: RuleContext = { liveCallsOnRoute: (route) => live[route] ?? 0 };
  return { context, live };
}

/** A hold's context: the checks before a wait pass unless `refusal` says otherwise; `stop` aborts the wait. */
function holdContext(refusal?: RuleRefusal) {
  const waits: RuleWait[] = [];
  const stop = new AbortController();
  let checked = 0;
  const context: HoldContext = {
    checkedBeforeHolding: async () => { checked += 1; return refusal; },
    waiting: (wait) => { waits.push(wait); },
    signal: stop.signal,
  };
  return { context, waits, stop, checks: () => checked };
}

describe('route limits', () => {
  describe('channels: calls live on the route at once', () => {
    const rule = () => new RouteLimitsRule({ M: { maxCalls: 2, callsPerS: null }, D: { maxCalls: null, callsPerS: null } }, 5000, new ManualClock());

    it.each([
      { route: 'M' as const, live: 1, refusal: undefined },
      { route: 'M' as const, live: 2, refusal: { rule: 'route_busy', route: 'M', limit: 2, live: 2 } },
      { route: 'M' as const, live: 3, refusal: { rule: 'route_busy', route: 'M', limit: 2, live: 3 } },
      { route: 'D' as const, live: 40, refusal: undefined },
    ])('given $live live on $route', async ({ route, live, refusal }) => {
      expect(await rule().check(attempt(route), contextWith({ [route]: live }).context)).toEqual(refusal);
    });

    it('words the refusal', () => {
      expect(ruleRefusalText({ rule: 'route_busy', route: 'M', limit: 2, live: 2 })).toBe('All 2 lines of the Main route are in use; try again in a moment.');
    });
  });

  describe('set-up rate: a call over the rate waits its turn, up to the bound', () => {
    let clock: ManualClock;
    let rule: RouteLimitsRule;

    beforeEach(() => {
      clock = new ManualClock();
      // Two set-ups a second on Main: one every 500 ms; a call waits at most 1.2 s.
      rule = new RouteLimitsRule({ M: { maxCalls: 3, callsPerS: 2 }, D: { maxCalls: null, callsPerS: null } }, 1200, clock);
    });

    it('given requests at the same instant, then they go 500 ms apart, each waiting one says so, and one that would wait too long is refused', async () => {
      const { context, waits } = holdContext();
      const settled: Array<{ i: number; at: number; refusal: RuleRefusal | undefined }> = [];
      for (let i = 0; i < 4; i += 1) {
        void rule.holdBack(attempt('M'), context).then((refusal) => { settled.push({ i, at: clock.now(), refusal }); });
      }
      await clock.advance(2000);

      expect(settled).toEqual([
        { i: 0, at: 0, refusal: undefined },
        { i: 3, at: 0, refusal: { rule: 'route_rate', route: 'M', perSecond: 2, waitMs: 1500, maxWaitMs: 1200 } },
        { i: 1, at: 500, refusal: undefined },
        { i: 2, at: 1000, refusal: undefined },
      ]);
      expect(waits).toEqual([{ rule: 'route_rate', route: 'M', waitMs: 500 }, { rule: 'route_rate', route: 'M', waitMs: 1000 }]);
      expect(ruleWaitText(waits[0]!)).toBe('⏳ Waiting for a free slot on the Main route (about 0.5 s)…');
      expect(ruleRefusalText({ rule: 'route_rate', route: 'M', perSecond: 2, waitMs: 1500, maxWaitMs: 1200 }))
        .toBe('The Main route is setting up calls as fast as it may (2 a second), and this call would wait more than 1.2 s; try again in a moment.');
    });

    it('given the rate is free again later, then a request goes at once', async () => {
      const { context, waits } = holdContext();
      await rule.holdBack(attempt('M'), context);
      await clock.advance(500);
      expect(await rule.holdBack(attempt('M'), context)).toBeUndefined();
      expect(waits).toEqual([]);
    });

    it('given another rule refuses the request, then it is refused before it takes a slot', async () => {
      const dnc: RuleRefusal = { rule: 'do_not_call', since: new Date(0) };
      const refused = holdContext(dnc);
      expect(await rule.holdBack(attempt('M'), refused.context)).toBe(dnc);
      expect(refused.checks()).toBe(1);
      const next = holdContext();
      expect(await rule.holdBack(attempt('M'), next.context)).toBeUndefined();
      expect(next.waits).toEqual([]);
    });

    it('given the agent is stopped while the request waits, then the wait ends at once', async () => {
      await rule.holdBack(attempt('M'), holdContext().context);
      const { context, stop } = holdContext();
      let done = false;
      const waiting = rule.holdBack(attempt('M'), context).then((refusal) => { done = true; return refusal; });
      await clock.advance(100);
      expect(done).toBe(false);
      stop.abort('revoked');
      expect(await waiting).toBeUndefined();
      expect(clock.now()).toBe(100);
    });

    it('given a route with no rate, then its requests never wait', async () => {
      const { context, waits } = holdContext();
      for (let i = 0; i < 5; i += 1) expect(await rule.holdBack(attempt('D'), context)).toBeUndefined();
      expect(waits).toEqual([]);
    });
  });
});
