import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import type { RouteCode } from '../call/call-types';
import { type CodeDigest, type CodeGenerator, codeMatches, digestOf, randomCode } from './verification-code';
import type { VerificationPlan, VerificationReport, VerificationResult } from './verification-machine';
import type { CallerIdStore } from '../store/caller-id-store';
import type { AuditTrail } from '../engine/call-engine-ports';
import { VERIFICATION_CHANNEL_PREFIX, type VerificationRunner } from './verification-runner';

/** How a code is made and how long it lasts: as hosted platforms verify outgoing caller IDs. */
export const CODE_LENGTH = 6;
export const CODE_TTL_MS = 10 * 60_000;
/** Wrong entries a code allows, over all its calls together. */
export const CODE_ATTEMPTS = 3;
/** How long the person who answers has for each entry of the code. */
export const ENTRY_TIMEOUT_S = 30;

/** A code in force for one number of one route: its digest, never the digits. */
interface Challenge {
  code: CodeDigest;
  expiresAt: number;
  attemptsLeft: number;
  by: string;
  calls: number;
  /** The verification call now live, if any. */
  liveId?: string;
  /** Its number left the pool. */
  forgotten?: boolean;
}

export type VerifyRefusal = 'not_in_pool' | 'already_verified' | 'in_progress' | 'telephony_offline' | 'no_code';

/** What a verification call came to, with what is left of its code. */
export interface VerifyOutcome {
  number: string;
  route: RouteCode;
  result: VerificationResult;
  wrongEntries: number;
  /** Wrong entries the code still allows; 0 when it is no longer valid. */
  attemptsLeft: number;
  /** The code can be used for another call ("call again"). */
  codeValid: boolean;
  expiresAt: number;
  /** The number was removed from the pool while it was being verified. */
  removed?: boolean;
}

export type VerifyStart =
  | {
    ok: true;
    /** The digits to show the admin; absent when the call reuses the code shown before. */
    code?: string;
    expiresAt: number;
    attemptsLeft: number;
    outcome: Promise<VerifyOutcome>;
  }
  | { ok: false; refusal: VerifyRefusal };

/** What the pool list shows of a number's verification. */
export interface PendingVerification {
  expiresAt: number;
  attemptsLeft: number;
  calling: boolean;
}

export interface CallerIdVerificationDeps {
  config: Pick<Config, 'routes' | 'defaultCallerId' | 'targetRingTimeoutS'>;
  runner: VerificationRunner;
  pool: Pick<CallerIdStore, 'find' | 'markVerified'>;
  audit: AuditTrail;
  logger: Logger;
  isTelephonyOnline: () => boolean;
  now?: () => number;
  /** Default: random digits. The real-Asterisk lab injects a code its far end can play. */
  generateCode?: CodeGenerator;
}

/**
 * Proves the organisation holds a pool number before agents' calls may present it: callbot calls
 * the number over its route and the person who answers keys in the code shown to the admin. A code
 * is random, single use, lasts CODE_TTL_MS and allows CODE_ATTEMPTS wrong entries over all the
 * calls made with it; only its digest is kept, in memory, so a restart ends every code in force.
 * Every step is audited, never the code.
 */
export class CallerIdVerification {
  private readonly challenges = new Map<string, Challenge>();
  private readonly now: () => number;
  private readonly generateCode: CodeGenerator;

  constructor(private readonly deps: CallerIdVerificationDeps) {
    this.now = deps.now ?? Date.now;
    this.generateCode = deps.generateCode ?? randomCode;
  }

  /** A new code, and a call with it; any code in force for the number is replaced. */
  async verify(number: string, route: RouteCode, by: string): Promise<VerifyStart> {
    const refused = await this.refusal(number, route);
    if (refused) return { ok: false, refusal: refused };
    const code = this.generateCode(CODE_LENGTH);
    const challenge: Challenge = { code: digestOf(code), expiresAt: this.now() + CODE_TTL_MS, attemptsLeft: CODE_ATTEMPTS, by, calls: 0 };
    this.challenges.set(key(number, route), challenge);
    return { ...(await this.call(number, route, challenge)), code };
  }

  /** Another call with the code in force (nobody answered the last one); refused once it is spent or expired. */
  async callAgain(number: string, route: RouteCode): Promise<VerifyStart> {
    const refused = await this.refusal(number, route);
    if (refused) return { ok: false, refusal: refused };
    const challenge = this.challenges.get(key(number, route));
    if (!challenge || challenge.expiresAt <= this.now() || challenge.attemptsLeft <= 0) {
      this.challenges.delete(key(number, route));
      return { ok: false, refusal: 'no_code' };
    }
    return this.call(number, route, challenge);
  }

  pending(number: string, route: RouteCode): PendingVerification | undefined {
    const challenge = this.challenges.get(key(number, route));
    if (!challenge || challenge.expiresAt <= this.now()) return undefined;
    return { expiresAt: challenge.expiresAt, attemptsLeft: challenge.attemptsLeft, calling: challenge.liveId !== undefined };
  }

  /** The number left the pool: its code is void and its verification call, if any, ends now. */
  forget(number: string, route: RouteCode): void {
    const challenge = this.challenges.get(key(number, route));
    this.challenges.delete(key(number, route));
    if (!challenge) return;
    challenge.forgotten = true;
    if (challenge.liveId) this.deps.runner.cancel(challenge.liveId);
  }

  private async refusal(number: string, route: RouteCode): Promise<VerifyRefusal | undefined> {
    const entry = await this.deps.pool.find(number, route);
    if (!entry) return 'not_in_pool';
    if (entry.status === 'verified') return 'already_verified';
    if (this.challenges.get(key(number, route))?.liveId) return 'in_progress';
    if (!this.deps.isTelephonyOnline()) return 'telephony_offline';
    return undefined;
  }

  private async call(number: string, route: RouteCode, challenge: Challenge): Promise<Extract<VerifyStart, { ok: true }>> {
    const { config } = this.deps;
    const verificationId = randomUUID();
    challenge.liveId = verificationId;
    challenge.calls += 1;
    const plan: VerificationPlan = {
      verificationId, number, route,
      channelId: `${VERIFICATION_CHANNEL_PREFIX}${verificationId}`,
      endpoint: config.routes[route].endpointTemplate.replace('{number}', number),
      callerId: config.defaultCallerId ?? null,
      ringTimeoutS: config.targetRingTimeoutS,
      entryTimeoutS: ENTRY_TIMEOUT_S,
      codeLength: CODE_LENGTH,
      isCode: (entered) => codeMatches(entered, challenge.code),
      attemptsLeft: challenge.attemptsLeft,
      expiresAt: challenge.expiresAt,
    };
    await this.deps.audit.record({
      actor: challenge.by, action: 'caller_id_verify_call', subject: number,
      details: `route ${route}, call ${challenge.calls} with this code, code expires ${new Date(challenge.expiresAt).toISOString()}`,
    });
    const outcome = this.deps.runner.run(plan).then((report) => this.settle(challenge, report));
    return { ok: true, expiresAt: challenge.expiresAt, attemptsLeft: challenge.attemptsLeft, outcome };
  }

  /** Records what the call came to: the number verified, or what is left of the code. */
  private async settle(challenge: Challenge, report: VerificationReport): Promise<VerifyOutcome> {
    const { number, route, result, wrongEntries } = report;
    challenge.liveId = undefined;
    challenge.attemptsLeft = Math.max(0, challenge.attemptsLeft - wrongEntries);
    const spent = result === 'verified' || result === 'wrong_code' || result === 'expired' || challenge.attemptsLeft === 0;
    if (spent && this.challenges.get(key(number, route)) === challenge) this.challenges.delete(key(number, route));
    let removed = challenge.forgotten === true;
    try {
      if (result === 'verified') removed = (await this.deps.pool.markVerified(number, route, challenge.by, new Date(this.now()))) === null;
      await this.deps.audit.record({
        actor: challenge.by,
        action: result === 'verified' && !removed ? 'caller_id_verified' : 'caller_id_verify_failed',
        subject: number,
        details: `route ${route}: ${removed ? 'removed from the pool meanwhile' : result}, wrong entries ${wrongEntries}, ${challenge.attemptsLeft} left`
          + (report.hangupCause !== null ? `, cause ${report.hangupCause}` : '') + (report.detail ? `, ${report.detail}` : ''),
      });
    } catch (err) {
      this.deps.logger.warn('recording a verification result failed', { number, route, result, err });
    }
    return {
      number, route, result, wrongEntries, attemptsLeft: challenge.attemptsLeft,
      codeValid: !spent && !removed && this.challenges.get(key(number, route)) === challenge && challenge.expiresAt > this.now(),
      expiresAt: challenge.expiresAt,
      ...(removed ? { removed: true } : {}),
    };
  }
}

function key(number: string, route: RouteCode): string {
  return `${route}:${number}`;
}
