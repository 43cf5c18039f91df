/**
 * The hand-over between the disposition keyboard and scheduled callbacks: choosing `Call back` under a
 * final status offers the agent quick picks for when (in 1 h, tomorrow morning in the customer's local time, a typed time).
 */
export interface CallbackOffer {
  offer(request: { chatId: string; agentTelegramId: string; callId: string; statusMessageId?: number }): Promise<void>;
}

/** An agent chose (or changed) a call's disposition: told after it is recorded and audited (the webhooks' `call.disposition_set`). */
export interface DispositionChosen {
  callId: string;
  disposition: string;
  previous: string | null;
  agentId: number | null;
  at: number;
}
