import type { CallerIdStore } from '../../store/caller-id-store';
import type { CallAttempt, CallRule, RuleRefusal } from './call-rule';

/**
 * A call presents only a caller ID the organisation has proved it owns on the call's route: the
 * agent's own one must be a verified pool number of that route, checked on every request, so a
 * number removed or not yet verified stops being used at once. The stricter reading: an agent
 * whose caller ID is not verified for their current route is refused with the reason, rather than
 * switched silently to DEFAULT_CALLER_ID. An agent without a caller ID of their own calls with
 * DEFAULT_CALLER_ID, which the operator vouches for in the configuration.
 */
export class CallerIdRule implements CallRule {
  constructor(private readonly pool: Pick<CallerIdStore, 'routesOf'>) {}

  async check(attempt: CallAttempt): Promise<RuleRefusal | undefined> {
    const { callerId, route } = attempt;
    if (!callerId) return undefined;
    const verifiedOn = (await this.pool.routesOf(callerId)).filter((entry) => entry.status === 'verified').map((entry) => entry.route);
    if (verifiedOn.includes(route)) return undefined;
    return { rule: 'caller_id_not_verified', callerId, route, verifiedOn };
  }
}
