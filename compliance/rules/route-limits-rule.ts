import type { RouteCode } from '../../call/call-types';
import type { RouteLimits } from '../../config/compliance-settings';
import type { CallAttempt, CallRule, HoldContext, RuleContext, RuleRefusal } from './call-rule';
import { SetupRate } from './setup-rate';

/** Time for the rate's waits: the real one, or a manual one in specs. */
export interface RuleClock {
  now(): number;
  setTimer(fn: () => void, ms: number): () => void;
}

export const REAL_CLOCK: RuleClock = {
  now: Date.now,
  setTimer: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

/**
 * A route's trunk takes so many calls at once and so many set-ups a second. Over the channel
 * limit a request is refused; over the rate it waits for its slot, for a bounded time, and is
 * refused only when the wait would be longer. The channel limit, like every rule, is checked
 * again after the wait, when the call is recorded.
 */
export class RouteLimitsRule implements CallRule {
  private readonly rates: Partial<Record<RouteCode, SetupRate>> = {};

  constructor(
    private readonly limits: Record<RouteCode, RouteLimits>,
    private readonly maxWaitMs: number,
    private readonly clock: RuleClock = REAL_CLOCK,
  ) {
    for (const route of Object.keys(limits) as RouteCode[]) {
      const perSecond = limits[route].callsPerS;
      if (perSecond !== null) this.rates[route] = new SetupRate(perSecond);
    }
  }

  async check(attempt: CallAttempt, context: RuleContext): Promise<RuleRefusal | undefined> {
    return this.busy(attempt.route, context);
  }

  async holdBack(attempt: CallAttempt, context: HoldContext): Promise<RuleRefusal | undefined> {
    const { route } = attempt;
    const rate = this.rates[route];
    if (!rate) return undefined;
    const refused = await context.checkedBeforeHolding();
    if (refused) return refused;
    const now = this.clock.now();
    const waitMs = rate.take(now, this.maxWaitMs);
    if (waitMs === undefined) return { rule: 'route_rate', route, perSecond: rate.perSecond, waitMs: Math.ceil(rate.waitAt(now)), maxWaitMs: this.maxWaitMs };
    if (waitMs === 0 || context.signal.aborted) return undefined;
    context.waiting({ rule: 'route_rate', route, waitMs: Math.ceil(waitMs) });
    await new Promise<void>((resolve) => {
      const cancel = this.clock.setTimer(done, waitMs);
      context.signal.addEventListener('abort', done, { once: true });
      function done(): void {
        cancel();
        context.signal.removeEventListener('abort', done);
        resolve();
      }
    });
    return undefined;
  }

  private busy(route: RouteCode, context: RuleContext): RuleRefusal | undefined {
    const limit = this.limits[route].maxCalls;
    if (limit === null) return undefined;
    const live = context.liveCallsOnRoute(route);
    return live >= limit ? { rule: 'route_busy', route, limit, live } : undefined;
  }
}
