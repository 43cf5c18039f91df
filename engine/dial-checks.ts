/**
 * The checks every number must pass before it is dialed, one set for a `/call` (engine/call-intake.ts)
 * and for a party brought into a running call (engine/call-parties-desk.ts): the number policy
 * (emergency, premium and short codes are never dialed), then every compliance rule (caller ID,
 * do-not-call, calling hours, caps, a route's limits), each with its hold-back where it has one.
 */
import type { Config } from '../config/config';
import type { RouteCode } from '../call/call-types';
import { type NumberCheck, type NumberPolicy, checkDialableNumber } from '../phone/number-policy';
import type { CallAttempt, CallRule, HoldContext, RuleContext, RuleRefusal, RuleWait } from '../compliance/rules/call-rule';

/** A number checked for dialing: its E.164 form, or the first check that refused it with its facts. */
export type DialCheck =
  | { ok: true; target: string }
  | { ok: false; refusal: 'invalid_number'; number: Extract<NumberCheck, { ok: false }> }
  | { ok: false; refusal: 'rule'; target: string; rule: RuleRefusal };

export class DialChecks {
  constructor(private readonly policy: NumberPolicy, private readonly rules: readonly CallRule[]) {}

  /** The number policy alone: whether and as what the typed number may be dialed. */
  number(input: string): NumberCheck {
    return checkDialableNumber(input, this.policy);
  }

  /** Every rule's check, in order; the first refusal wins. */
  async firstRefusal(attempt: CallAttempt, context: RuleContext): Promise<RuleRefusal | undefined> {
    for (const rule of this.rules) {
      const refused = await rule.check(attempt, context);
      if (refused) return refused;
    }
    return undefined;
  }

  /** The rules that hold a request back (a route's set-up rate), each run once, before the checks that decide it. */
  async holdBack(attempt: CallAttempt, context: HoldContext): Promise<RuleRefusal | undefined> {
    for (const rule of this.rules) {
      const refused = await rule.holdBack?.(attempt, context);
      if (refused) return refused;
    }
    return undefined;
  }

  /**
   * All of it for one typed number at once: the number, each rule's hold-back, then each rule's
   * check again at the end of the wait (what a `/call` goes through before its record).
   */
  async check(
    input: string, caller: Omit<CallAttempt, 'target'>, context: RuleContext & { waiting?: (wait: RuleWait) => void; signal?: AbortSignal },
  ): Promise<DialCheck> {
    const number = this.number(input);
    if (!number.ok) return { ok: false, refusal: 'invalid_number', number };
    const target = number.e164;
    const attempt: CallAttempt = { ...caller, target };
    const held = await this.holdBack(attempt, {
      checkedBeforeHolding: () => this.firstRefusal(attempt, context),
      waiting: (wait) => context.waiting?.(wait),
      signal: context.signal ?? new AbortController().signal,
    });
    const rule = held ?? await this.firstRefusal(attempt, context);
    return rule ? { ok: false, refusal: 'rule', target, rule } : { ok: true, target };
  }
}

/** The checks a number passes before it is dialed, as this configuration and these rules make them. */
export function dialChecksOf(deps: { config: Pick<Config, 'defaultRegion' | 'allowedCountries'>; rules?: readonly CallRule[] }): DialChecks {
  return new DialChecks({ defaultRegion: deps.config.defaultRegion, allowedCountries: deps.config.allowedCountries }, deps.rules ?? []);
}

/** The dial string of a number over a route (the route's endpoint template), for every leg alike. */
export function endpointOf(routes: Config['routes'], route: RouteCode, number: string): string {
  return routes[route].endpointTemplate.replace('{number}', number);
}
