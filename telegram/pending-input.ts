import type { RouteCode } from '../call/call-types';
import type { PartyPurpose } from './menus/callback-data';

/** How long a chat's next message is taken as the number asked for; after that it is not dialed. */
export const PENDING_INPUT_TTL_MS = 2 * 60_000;

/** A number a chat was asked to type: for which call, and what for. */
export interface PendingNumber {
  callId: string;
  purpose: PartyPurpose;
  expiresAt: number;
}

export type PendingTake = { kind: 'none' } | { kind: 'expired' } | { kind: 'number'; pending: PendingNumber };

/**
 * "🔢 Type a number": the chat's next text message is the number, once, until it expires, a command
 * comes or the agent cancels. Kept in this process: in cluster mode a chat's next message may reach
 * another instance, which then treats it as any other text.
 */
export class PendingInputs {
  private readonly byChat = new Map<number, PendingNumber>();
  /** `/announcement M`: the chat's next voice message or audio file is that route's consent announcement. */
  private readonly announcements = new Map<number, { route: RouteCode; expiresAt: number }>();

  constructor(private readonly ttlMs = PENDING_INPUT_TTL_MS, private readonly now: () => number = Date.now) {}

  expect(chatId: number, callId: string, purpose: PartyPurpose): void {
    this.forgetExpired();
    this.byChat.set(chatId, { callId, purpose, expiresAt: this.now() + this.ttlMs });
  }

  /** Whether the chat was waiting for a number (now it is not); an awaited announcement is forgotten too. */
  cancel(chatId: number): boolean {
    this.announcements.delete(chatId);
    return this.byChat.delete(chatId);
  }

  expectAnnouncement(chatId: number, route: RouteCode): void {
    this.forgetExpired();
    this.announcements.set(chatId, { route, expiresAt: this.now() + this.ttlMs });
  }

  /** Whether the chat was asked for an announcement that has not come yet (a document then is one, not a do-not-call list). */
  awaitsAnnouncement(chatId: number): boolean {
    const pending = this.announcements.get(chatId);
    return pending !== undefined && pending.expiresAt > this.now();
  }

  /** The route whose announcement the chat was asked to send, taken out; null when none was asked for or it came too late. */
  takeAnnouncement(chatId: number): RouteCode | null {
    const pending = this.announcements.get(chatId);
    this.announcements.delete(chatId);
    return pending && pending.expiresAt > this.now() ? pending.route : null;
  }

  /** The number the chat was asked for, taken out: its next text is that number, or came too late. */
  take(chatId: number): PendingTake {
    const pending = this.byChat.get(chatId);
    if (!pending) return { kind: 'none' };
    this.byChat.delete(chatId);
    return pending.expiresAt > this.now() ? { kind: 'number', pending } : { kind: 'expired' };
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [chatId, pending] of this.byChat) if (pending.expiresAt <= now) this.byChat.delete(chatId);
    for (const [chatId, pending] of this.announcements) if (pending.expiresAt <= now) this.announcements.delete(chatId);
  }
}
