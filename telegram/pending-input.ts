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

  constructor(private readonly ttlMs = PENDING_INPUT_TTL_MS, private readonly now: () => number = Date.now) {}

  expect(chatId: number, callId: string, purpose: PartyPurpose): void {
    this.forgetExpired();
    this.byChat.set(chatId, { callId, purpose, expiresAt: this.now() + this.ttlMs });
  }

  /** Whether the chat was waiting for a number (now it is not). */
  cancel(chatId: number): boolean {
    return this.byChat.delete(chatId);
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
  }
}
