import type { DncStore } from '../../store/dnc-store';
import type { CallAttempt, CallRule, RuleRefusal } from './call-rule';

/** A number on the do-not-call list is never dialed, whoever asks and over whichever route. */
export class DoNotCallRule implements CallRule {
  constructor(private readonly list: Pick<DncStore, 'lookup'>) {}

  async check(attempt: CallAttempt): Promise<RuleRefusal | undefined> {
    const entry = await this.list.lookup(attempt.target);
    return entry ? { rule: 'do_not_call', since: entry.since } : undefined;
  }
}
