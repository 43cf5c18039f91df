import type { CallStore } from '../../store/call-store';
import type { CallAttempt, CallRule, RuleRefusal } from './call-rule';
import { DAY_MS, HOUR_MS, type RollingCap, firstCapReached } from './rolling-caps';

/** At most so many calls by one agent over the last hour and the last 24 hours. */
export class AgentCapsRule implements CallRule {
  private readonly caps: RollingCap<'hour' | 'day'>[];

  constructor(caps: { perHour: number | null; perDay: number | null }, private readonly calls: Pick<CallStore, 'countPlacedCalls'>) {
    this.caps = [
      { period: 'hour', limit: caps.perHour, windowMs: HOUR_MS },
      { period: 'day', limit: caps.perDay, windowMs: DAY_MS },
    ];
  }

  async check(attempt: CallAttempt): Promise<RuleRefusal | undefined> {
    const reached = await firstCapReached(this.caps, attempt.at, (since) => this.calls.countPlacedCalls({ agentId: attempt.agentId }, since));
    return reached && { rule: 'agent_cap', ...reached };
  }
}
