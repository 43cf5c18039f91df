import { filter, type Observable } from 'rxjs';
import type { CallStage } from '../call/call-types';
import type { CallContext, CallUpdate } from '../call/call-update';
import type { DispositionCode } from '../config/after-call-settings';
import type { Logger } from '../config/logger';
import type { CallViews } from './call-views';
import { CallStatusMessage, type FinalDelivery } from './status-renderer';
import type { TelegramOut } from './telegram-out';
import { SUPERVISION } from './texts';

export interface CallStatusDeps {
  out: TelegramOut;
  logger: Logger;
  confirmDigit?: string;
  statusEditIntervalMs: number;
  /** Transfer and conference can be asked for: their buttons are shown to the call's owner. */
  partyButtons?: boolean;
  /** The chat of an agent a call is handed to (their Telegram id), or undefined if they have none. */
  chatOfAgent?: (agentId: number) => Promise<string | undefined>;
  /** Where the newest state of each shown call is kept for the buttons' checks. */
  views?: CallViews;
  /** The disposition codes under each final status. */
  dispositions?: readonly DispositionCode[];
  /** Whether a supervisor is on a call, when agents are told (MONITOR_NOTICE): a line on its status message while one is. */
  monitoring?: Observable<{ callId: string; monitored: boolean }>;
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
 * When a transfer hands the call to another agent, the first message says so and stops, and a
 * message in the new owner's chat follows the call from then on, with its buttons.
 */
export function showCallStatus(
  deps: CallStatusDeps, call: ShownCall, updates: Observable<CallUpdate>, attach: (chatId: string, messageId: number) => void,
): void {
  const { callId } = call.context;
  const messages: CallStatusMessage[] = [];
  // The agent whose chat follows the call now; a message whose agent handed it on has stopped.
  let following = call.context.agentId;
  let latest: CallUpdate = { context: call.context, stage: call.stage, at: Date.now(), final: false };
  let notes: readonly string[] = [];

  const open = (chatId: string | number, agentId: number, initial: CallUpdate, resumeId?: number | null): void => {
    const status = new CallStatusMessage(deps.out, chatId, {
      minEditIntervalMs: deps.statusEditIntervalMs,
      ...(deps.confirmDigit ? { confirmDigit: deps.confirmDigit } : {}),
      viewer: { agentId, partyButtons: deps.partyButtons === true, ...(deps.dispositions ? { dispositions: deps.dispositions } : {}) },
      onMessageId: (messageId) => attach(String(chatId), messageId),
    }, initial);
    status.annotate(notes);
    messages.push(status);
    const delivered: Promise<FinalDelivery> = resumeId != null ? status.resumeAt(resumeId) : status.start();
    void delivered.then((delivery) => {
      if (delivery === 'lost') deps.logger.error('the final status of a call never reached its agent', { callId });
    });
  };

  const handTo = async (agentId: number): Promise<void> => {
    try {
      const chatId = await deps.chatOfAgent?.(agentId);
      if (!chatId) return void deps.logger.warn('a call was handed to an agent without a chat; their status message is not shown', { callId, agentId });
      // The newest state when the chat is known: the updates in between are already in it.
      if (!latest.final) open(chatId, agentId, latest);
    } catch (err) {
      deps.logger.error('showing a handed-over call to its new agent failed', { callId, agentId, err });
    }
  };

  open(call.chatId, call.context.agentId, latest, call.statusMessageId);
  // Ends with the call: the desk ends its supervision as the call's final update goes out.
  const monitoring = deps.monitoring?.pipe(filter((m) => m.callId === callId)).subscribe(({ monitored }) => {
    notes = monitored ? [SUPERVISION.agentNotice] : [];
    for (const status of messages) status.annotate(notes);
  });
  updates.subscribe({
    next: (update) => {
      latest = update;
      deps.views?.note(update);
      for (const status of messages) status.offer(update);
      const owner = update.ownerAgentId;
      if (owner !== undefined && !update.final && owner !== following) {
        following = owner;
        void handTo(owner);
      }
      if (update.final) monitoring?.unsubscribe();
    },
  });
}
