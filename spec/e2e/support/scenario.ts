import type { Call } from '../../../entities';
import type { RouteCode } from '../../../call/call-types';
import { seedVerifiedCallerIds } from '../../support/caller-id-pool';
import { waitFor } from '../../support/wait-for';
import { ADMIN_ID, type BotMessage, type E2eBot, type E2eUser } from './e2e-bot';
import type { AsteriskLab, ProviderName } from './lab';
import { type SipMessage, dialog, header, invitesIn, uriUser } from './sip-trace';

/**
 * Far-end behaviour is chosen by the last four digits of the dialed number
 * (spec/e2e/sipp/provider-uas.xml); agents' phones go through the same providers.
 */
export const PHONE = {
  answers: '+15551230001',
  busy: '+15551230486',
  ringsForever: '+15551230480',
  hangsUpAfter2s: '+15551230777',
  pressesOne: '+15551230701',
  /** Rings 6 s before answering: longer than a cluster take-over with a 3 s lease (cluster.e2e.ts). */
  ringsSixSeconds: '+15551230706',
} as const;

/** Pool numbers whose far ends answer a verification call (provider-uas.xml). */
export const POOL = {
  /** Keys 245789 (VERIFICATION_CODE) once answered. */
  keysTheCode: '+12025550702',
  busy: '+12025550486',
} as const;

/** The code the lab's far end keys; the e2e app is given it, where the service makes random ones. */
export const VERIFICATION_CODE = '245789';

export const TARGET = {
  answers: '+12025550123',
  busy: '+12025550486',
  notFound: '+12025550404',
  ringsForever: '+12025550480',
  hangsUpAfter2s: '+12025550777',
  /** Answers and sends BYE 12 s later: long enough to kill an instance mid-call (cluster.e2e.ts). */
  hangsUpAfter12s: '+12025550712',
} as const;

export interface AgentProfile {
  telegramId: string;
  name: string;
  callerId: string;
  route: RouteCode;
}

export const ANN: AgentProfile = { telegramId: '2001', name: 'Ann', callerId: '+15551234567', route: 'M' };
export const DEV: AgentProfile = { telegramId: '2002', name: 'Dee', callerId: '+15557654321', route: 'D' };

export const PROVIDER_OF: Record<RouteCode, ProviderName> = { M: 'main', D: 'dev' };

/** One call placed from Telegram, with what the providers logged since it started. */
export class PlacedCall {
  private constructor(
    readonly bot: E2eBot,
    readonly lab: AsteriskLab,
    readonly agent: AgentProfile,
    readonly user: E2eUser,
    readonly phone: string,
    readonly target: string,
    private readonly before: number,
    private readonly marks: Record<ProviderName, number>,
  ) {}

  static async place(bot: E2eBot, lab: AsteriskLab, agent: AgentProfile, phone: string, target: string): Promise<PlacedCall> {
    // The agent's caller ID is a verified pool number of their route, as the call rule requires.
    if (!(await bot.stores.callerIds.isVerified(agent.callerId, agent.route))) await seedVerifiedCallerIds(bot.stores, [agent.callerId], [agent.route]);
    await bot.stores.agents.authorize({ telegramId: agent.telegramId, phone, callerId: agent.callerId, by: String(ADMIN_ID), displayName: agent.name });
    await bot.stores.agents.setRoute(agent.telegramId, agent.route);
    const user = bot.user(Number(agent.telegramId), agent.name);
    const marks = { main: lab.main.trace.mark(), dev: lab.dev.trace.mark() };
    const call = new PlacedCall(bot, lab, agent, user, phone, target, user.messages().length, marks);
    await user.send(`/call ${target}`);
    return call;
  }

  /** Waits for the call's status message to read `pattern`. */
  status(pattern: RegExp, timeoutMs = 10000): Promise<BotMessage> {
    return this.user.waitFor(pattern, timeoutMs, this.before);
  }

  /** What one provider logged since the call was placed. */
  sip(provider: ProviderName = PROVIDER_OF[this.agent.route]): SipMessage[] {
    return this.lab.provider(provider).trace.since(this.marks[provider]);
  }

  /** The INVITE that reached the route's provider for this number. */
  inviteFor(number: string, provider: ProviderName = PROVIDER_OF[this.agent.route]): SipMessage | undefined {
    return invitesIn(this.sip(provider)).find((m) => m.requestUser === number);
  }

  async waitForInvite(number: string, timeoutMs = 5000): Promise<SipMessage> {
    return waitFor(() => this.inviteFor(number), { timeoutMs, what: `an INVITE for ${number}` });
  }

  /** The first message of the dialog of `invite` that matches. */
  inDialog(invite: SipMessage, match: (m: SipMessage) => boolean, provider: ProviderName = PROVIDER_OF[this.agent.route]): SipMessage | undefined {
    return dialog(this.sip(provider), invite.callId).find(match);
  }

  async waitInDialog(invite: SipMessage, what: string, match: (m: SipMessage) => boolean, timeoutMs = 5000): Promise<SipMessage> {
    return waitFor(() => this.inDialog(invite, match), { timeoutMs, what: `${what} in the dialog of the INVITE for ${invite.requestUser}` });
  }

  async endedRow(): Promise<Call> {
    return this.bot.endedCallOf(this.agent.telegramId);
  }
}

/** Asterisk sent us this request (CANCEL, BYE) in the dialog. */
export const received = (method: string) => (m: SipMessage) => m.dir === 'in' && m.method === method;
/** The provider sent this request (BYE) in the dialog. */
export const sent = (method: string) => (m: SipMessage) => m.dir === 'out' && m.method === method;
/** The provider's final answer to the INVITE. */
export const answeredWith = (status: number) => (m: SipMessage) => m.dir === 'out' && m.status === status && m.cseqMethod === 'INVITE';

/** The caller ID the provider sees: the user part of From, and P-Asserted-Identity. */
export function callerIdOf(invite: SipMessage): { from?: string; pai?: string } {
  return { from: uriUser(header(invite, 'From')), pai: uriUser(header(invite, 'P-Asserted-Identity')) };
}
