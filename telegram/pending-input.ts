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

/** A callback time a chat was asked to type, after which call. */
export interface PendingCallbackTime {
  callId: string;
  expiresAt: number;
}

export type PendingTake =
  | { kind: 'none' } | { kind: 'expired' } | { kind: 'number'; pending: PendingNumber }
  | { kind: 'callbackTime'; pending: PendingCallbackTime } | { kind: 'callbackTimeExpired' };

type Pending = { kind: 'number'; pending: PendingNumber } | { kind: 'callbackTime'; pending: PendingCallbackTime };

/**
 * "🔢 Type a number" (or "⌨️ Type a time" for a callback): the chat's next text message is the number, once, until it expires, a command
 * comes or the agent cancels. Kept in this process: in cluster mode a chat's next message may reach
 * another instance, which then treats it as any other text.
 */
export class PendingInputs {
  private readonly byChat = new Map<number, Pending>();
  /** `/announcement M`: the chat's next voice message or audio file is that route's consent announcement. */
  private readonly announcements = new Map<number, { route: RouteCode; expiresAt: number }>();

  constructor(private readonly ttlMs = PENDING_INPUT_TTL_MS, private readonly now: () => number = Date.now) {}

  expect(chatId: number, callId: string, purpose: PartyPurpose): void {
    this.forgetExpired();
    this.byChat.set(chatId, { kind: 'number', pending: { callId, purpose, expiresAt: this.now() + this.ttlMs } });
  }

  /** The chat's next text is the time of a callback after this call. */
  expectCallbackTime(chatId: number, callId: string): void {
    this.forgetExpired();
    this.byChat.set(chatId, { kind: 'callbackTime', pending: { callId, expiresAt: this.now() + this.ttlMs } });
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
    const waiting = this.byChat.get(chatId);
    if (!waiting) return { kind: 'none' };
    this.byChat.delete(chatId);
    if (waiting.pending.expiresAt > this.now()) return waiting;
    return waiting.kind === 'number' ? { kind: 'expired' } : { kind: 'callbackTimeExpired' };
  }

  private forgetExpired(): void {
    const now = this.now();
    for (const [chatId, waiting] of this.byChat) if (waiting.pending.expiresAt <= now) this.byChat.delete(chatId);
    for (const [chatId, pending] of this.announcements) if (pending.expiresAt <= now) this.announcements.delete(chatId);
  }
}
