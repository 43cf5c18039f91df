import type { Config } from '../../config/config';
import type { Stores } from '../../store';
import type { CallRule } from './call-rule';
import { AgentCapsRule } from './agent-caps-rule';
import { CallerIdRule } from './caller-id-rule';
import { CallingHoursRule } from './calling-hours-rule';
import { NumberCapsRule } from './number-caps-rule';
import { REAL_CLOCK, type RuleClock, RouteLimitsRule } from './route-limits-rule';
import { DoNotCallRule } from './do-not-call-rule';
import { DispositionRule } from './disposition-rule';

export type { CallAttempt, CallRule, HoldContext, RuleContext, RuleRefusal, RuleWait } from './call-rule';

/** Every compliance rule, in the order they are checked: the service and the bot's specs both build them here. */
export function createCallRules(config: Config, stores: Stores, clock: RuleClock = REAL_CLOCK): CallRule[] {
  const caps = config.callCaps;
  return [
    // The agent's own business first (their last call's outcome, their caller ID), then the customer's do-not-call request, whatever the hour or the counts.
    ...(config.afterCall.requireDisposition ? [new DispositionRule(stores.calls)] : []),
    new CallerIdRule(stores.callerIds),
    new DoNotCallRule(stores.dnc),
    new CallingHoursRule(config.callingHours),
    new NumberCapsRule({ perDay: caps.numberPerDay, per7Days: caps.numberPer7Days }, stores.calls),
    new AgentCapsRule({ perHour: caps.agentPerHour, perDay: caps.agentPerDay }, stores.calls),
    // Last: a request waits for a set-up slot only once nothing else refuses it.
    new RouteLimitsRule(config.routeLimits, config.routeRateMaxWaitMs, clock),
  ];
}
