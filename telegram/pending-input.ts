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

  /** Whether the chat was waiting for a number (now it is not). */
  cancel(chatId: number): boolean {
    return this.byChat.delete(chatId);
  }

  /** What the chat was asked for, taken out: its next text is that, or came too late. */
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
  }
}
