import type { Observable } from 'rxjs';
import type { CallStage } from '../call/call-types';
import type { CallContext, CallUpdate } from '../call/call-update';
import type { Logger } from '../config/logger';
import { CallStatusMessage } from './status-renderer';
import type { TelegramOut } from './telegram-out';

export interface CallStatusDeps {
  out: TelegramOut;
  logger: Logger;
  confirmDigit?: string;
  statusEditIntervalMs: number;
}

/** Where a call's status is shown, and from which stage it is followed. */
export interface ShownCall {
  chatId: string | number;
  context: CallContext;
  stage: CallStage;
  /** The status message another instance already sent (cluster take-over): edited, not sent again. */
  statusMessageId?: number | null;
}

/**
 * Follows one call in its agent's chat: the process that runs the call shows it, since only it
 * sees the call's updates (on a single instance the one that got /call; in cluster mode the owner
 * of the call's server). `attach` records the message on the call's row. Nothing waits for it.
 */
export function showCallStatus(
  deps: CallStatusDeps, call: ShownCall, updates: Observable<CallUpdate>, attach: (chatId: string, messageId: number) => void,
): void {
  const chatId = String(call.chatId);
  const status = new CallStatusMessage(deps.out, call.chatId, {
    minEditIntervalMs: deps.statusEditIntervalMs,
    ...(deps.confirmDigit ? { confirmDigit: deps.confirmDigit } : {}),
    onMessageId: (messageId) => attach(chatId, messageId),
  }, { context: call.context, stage: call.stage, at: Date.now(), final: false });
  const delivered = call.statusMessageId != null ? status.resume(call.statusMessageId, updates) : status.follow(updates);
  void delivered.then((delivery) => {
    if (delivery === 'lost') deps.logger.error('the final status of a call never reached its agent', { callId: call.context.callId });
  });
}
