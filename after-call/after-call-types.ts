/**
 * The hand-over between the disposition keyboard and scheduled callbacks: choosing `Call back` under a
 * final status offers the agent quick picks for when (in 1 h, tomorrow morning in the customer's local time, a typed time).
 */
export interface CallbackOffer {
  offer(request: { chatId: string; agentTelegramId: string; callId: string; statusMessageId?: number }): Promise<void>;
}
