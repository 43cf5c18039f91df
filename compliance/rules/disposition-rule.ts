import type { CallStore } from '../../store/call-store';
import type { Call } from '../../entities';
import type { CallAttempt, CallRule, RuleRefusal } from './call-rule';

/**
 * REQUIRE_DISPOSITION: an agent places no call, and brings no number into one, while the call that
 * ended last with them on it still waits for its outcome. A rule, not a check in the bot, so every
 * path that dials for an agent (/call, 🔁 Call again, a callback's 📞 Call, a number added to a call)
 * passes it, and its refusal is recorded and audited as every other rule's is.
 */
export class DispositionRule implements CallRule {
  constructor(private readonly calls: Pick<CallStore, 'lastCallEndedWithAgent'>) {}

  async check(attempt: CallAttempt): Promise<RuleRefusal | undefined> {
    const last = await this.calls.lastCallEndedWithAgent(attempt.agentId);
    if (!last?.target || last.disposition !== null || !customerWasDialed(last)) return undefined;
    return { rule: 'disposition_required', callId: last.id, target: last.target, endedAt: last.endedAt, outcome: last.outcome };
  }
}

/**
 * Only a call that reached for the customer has an outcome to choose: one that ended at the agent's
 * own phone (busy, unanswered, not confirmed) had nothing to say about the customer.
 */
function customerWasDialed(call: Pick<Call, 'outcome' | 'targetRingingAt' | 'connectedAt'>): boolean {
  return call.outcome === 'completed' || (call.outcome?.startsWith('target_') ?? false) || call.targetRingingAt !== null || call.connectedAt !== null;
}
