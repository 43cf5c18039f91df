import type { Config } from '../config/config';
import type { Stores } from '../store';
import type { CallRule } from './call-rule';
import { DoNotCallRule } from './do-not-call-rule';

export type { CallAttempt, CallRule, RuleRefusal } from './call-rule';

/** Every compliance rule, in the order they are checked: the service and the bot's specs both build them here. */
export function createCallRules(_config: Config, stores: Stores): CallRule[] {
  return [new DoNotCallRule(stores.dnc)];
}
