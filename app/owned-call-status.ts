import type { Observable } from 'rxjs';
import type { CallUpdate } from '../call/call-update';
import type { ServerCallRow } from '../cluster/cluster-call-store';
import type { Logger } from '../config/logger';
import { CallStatusMessage } from './status-renderer';
import type { TelegramOut } from './telegram-out';

export interface OwnedCallStatusDeps {
  out: TelegramOut;
  logger: Logger;
  confirmDigit?: string;
  statusEditIntervalMs: number;
}

/**
 * Cluster mode: the owner of a call's server shows its status, since only it sees the call's
 * updates. A call it takes over already has a status message, which it goes on editing; a call it
 * starts gets its first message here.
 */
export function showOwnedCallStatus(
  deps: OwnedCallStatusDeps, row: ServerCallRow, updates: Observable<CallUpdate>, attach: (chatId: string, messageId: number) => void,
): void {
  const chatId = row.telegramChatId ?? row.context.agentTelegramId;
  const status = new CallStatusMessage(deps.out, chatId, {
    minEditIntervalMs: deps.statusEditIntervalMs,
    ...(deps.confirmDigit ? { confirmDigit: deps.confirmDigit } : {}),
    onMessageId: (messageId) => attach(chatId, messageId),
  }, { context: row.context, stage: row.stage, at: Date.now(), final: false });
  const delivered = row.statusMessageId !== null ? status.resume(row.statusMessageId, updates) : status.follow(updates);
  void delivered.then((delivery) => {
    if (delivery === 'lost') deps.logger.error('the final status of a call never reached its agent', { callId: row.id });
  });
}
