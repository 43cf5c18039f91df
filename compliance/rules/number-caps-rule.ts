import type { CallStore } from '../../store/call-store';
import type { CallAttempt, CallRule, RuleRefusal } from './call-rule';
import { DAY_MS, type RollingCap, firstCapReached } from './rolling-caps';

/**
 * At most so many calls to one customer number, by all agents together, over the last 24 hours
 * and the last 7 days. Rolling windows rather than calendar days: a call late one evening and
 * one early the next morning count against the same day.
 */
export class NumberCapsRule implements CallRule {
  private readonly caps: RollingCap<'day' | '7_days'>[];

  constructor(caps: { perDay: number | null; per7Days: number | null }, private readonly calls: Pick<CallStore, 'countPlacedCalls'>) {
    this.caps = [
      { period: 'day', limit: caps.perDay, windowMs: DAY_MS },
      { period: '7_days', limit: caps.per7Days, windowMs: 7 * DAY_MS },
    ];
  }

  async check(attempt: CallAttempt): Promise<RuleRefusal | undefined> {
    const reached = await firstCapReached(this.caps, attempt.at, (since) => this.calls.countPlacedCalls({ target: attempt.target }, since));
    return reached && { rule: 'number_cap', ...reached };
  }
}
