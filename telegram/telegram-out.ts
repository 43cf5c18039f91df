import type { Api } from 'node-telegram-bot-api';
import { type InputFile, TelegramApiError } from 'node-telegram-bot-api';
import type { InlineKeyboardMarkup, ReplyMarkup } from 'node-telegram-bot-api/types';
import type { Logger } from '../config/logger';
import { type OutboxJob, type OutboxPriority, type QueuedJob, TelegramOutbox } from './telegram-outbox';

/** Telegram caps a message at 4096 characters. */
const MAX_TEXT = 4096;
/** ...and a photo's caption at 1024. */
const MAX_CAPTION = 1024;
/** A reply lost to a 5xx is worse than the rare duplicate a retry of a delivered one makes. */
const SEND_ATTEMPTS = 3;

/** A Bot API request that has not answered by then is treated as lost; long polls get their own, longer timeout. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * The bot's transport: no limiter and no retries of its own. Long polling must not spend the
 * message budget, and the outbox decides what is retried, when, and in which order. `watchedFetch`
 * is the operators' view of every request (telegram-requests.ts).
 */
export function botOptions(apiRoot: string, watchedFetch?: typeof fetch): { apiRoot: string; maxRetries: number; timeoutMs: number; fetch?: typeof fetch } {
  return { apiRoot, maxRetries: 0, timeoutMs: REQUEST_TIMEOUT_MS, ...(watchedFetch ? { fetch: watchedFetch } : {}) };
}

export interface OutgoingText {
  text: string;
  markup?: ReplyMarkup;
  /** Shown as a reply to this message of the chat (sent alone if that one is gone). */
  replyTo?: number;
}

type JobOptions = Pick<OutboxJob<unknown>, 'priority' | 'maxAttempts' | 'notBefore' | 'since'>;

/** How an edit ended: shown (or already showing that text), impossible (the message is gone or not editable), or failed. */
export type EditResult = 'shown' | 'gone' | 'failed';

/**
 * Every message the bot sends or edits goes through the outbox (priorities, Telegram's per-chat
 * and global limits, retries); callback queries are answered at once, outside it. This adds what
 * Telegram's rules need on top: texts cut to size, "message is not modified" treated as success,
 * and errors that never escape to a handler.
 */
export class TelegramOut {
  constructor(private readonly api: Api, private readonly logger: Logger, readonly outbox = new TelegramOutbox()) {}

  /** Sends a message; resolves to its id, or undefined when Telegram refused it or never answered. */
  async send(chatId: number | string, text: string, markup?: ReplyMarkup, priority: OutboxPriority = 'reply'): Promise<number | undefined> {
    const result = await this.queueSend(chatId, () => ({ text, markup }), { priority, maxAttempts: SEND_ATTEMPTS }).done;
    return result.ok ? result.value : undefined;
  }

  /** Sends a message as a reply to another of the chat's (a call's status message); resolves to its id, as send does. */
  async sendReply(chatId: number | string, replyTo: number, text: string, markup?: ReplyMarkup): Promise<number | undefined> {
    const result = await this.queueSend(chatId, () => ({ text, markup, replyTo }), { priority: 'reply', maxAttempts: SEND_ATTEMPTS }).done;
    return result.ok ? result.value : undefined;
  }

  /** Edits a message; false when the edit did not happen. */
  async edit(chatId: number | string, messageId: number, text: string, markup?: InlineKeyboardMarkup, priority: OutboxPriority = 'edit'): Promise<boolean> {
    const result = await this.queueEdit(chatId, messageId, () => ({ text, markup }), { priority, maxAttempts: SEND_ATTEMPTS }).done;
    return result === 'shown';
  }

  /** Changes a message's buttons alone (a chosen disposition marked); false when the edit did not happen. */
  async editMarkup(chatId: number | string, messageId: number, markup: InlineKeyboardMarkup): Promise<boolean> {
    const job = this.outbox.enqueue({
      chatId, priority: 'edit', maxAttempts: SEND_ATTEMPTS,
      request: async () => {
        try {
          await this.api.editMessageReplyMarkup({ chat_id: chatId, message_id: messageId, reply_markup: markup });
        } catch (err) {
          if (err instanceof TelegramApiError && /message is not modified/i.test(err.description)) return;
          throw err;
        }
      },
    });
    const result = await job.done;
    if (!result.ok && !('cancelled' in result)) this.logger.warn('editMessageReplyMarkup failed', { chatId, messageId, err: result.error });
    return result.ok;
  }

  /** Queues a sendMessage whose text is read when it goes out; the job's result is the message id. */
  queueSend(
    chatId: number | string, content: () => OutgoingText,
    options: JobOptions,
  ): { done: Promise<{ ok: true; value: number } | { ok: false; cancelled: boolean }>; cancel(): boolean } {
    const job = this.outbox.enqueue({
      chatId, ...options,
      request: async () => {
        const { text, markup, replyTo } = content();
        const message = await this.api.sendMessage({
          chat_id: chatId, text: clip(text), ...(markup ? { reply_markup: markup } : {}),
          ...(replyTo !== undefined ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } } : {}),
        });
        return message.message_id;
      },
    });
    return {
      cancel: () => job.cancel(),
      done: job.done.then((result) => {
        if (result.ok) return result;
        const cancelled = 'cancelled' in result;
        if (!cancelled) this.logger.warn('sendMessage failed', { chatId, err: result.error });
        return { ok: false as const, cancelled };
      }),
    };
  }

  /** Queues an editMessageText whose text is read when it goes out. */
  queueEdit(
    chatId: number | string, messageId: number, content: () => { text: string; markup?: InlineKeyboardMarkup },
    options: JobOptions,
  ): { done: Promise<EditResult | 'cancelled'>; cancel(): boolean } {
    const job: QueuedJob<void> = this.outbox.enqueue({
      chatId, ...options,
      request: async () => {
        const { text, markup } = content();
        try {
          await this.api.editMessageText({ chat_id: chatId, message_id: messageId, text: clip(text), ...(markup ? { reply_markup: markup } : {}) });
        } catch (err) {
          // A retried edit whose first try did land gets this answer: the message shows the text.
          if (err instanceof TelegramApiError && /message is not modified/i.test(err.description)) return;
          throw err;
        }
      },
    });
    return {
      cancel: () => job.cancel(),
      done: job.done.then((result) => {
        if (result.ok) return 'shown';
        if ('cancelled' in result) return 'cancelled';
        this.logger.warn('editMessageText failed', { chatId, messageId, err: result.error });
        return isGone(result.error) ? 'gone' : 'failed';
      }),
    };
  }

  /** Sends a file as a document, under the same limits as messages; resolves to its id, or undefined. */
  async sendDocument(chatId: number | string, document: InputFile, caption?: string): Promise<number | undefined> {
    const job = this.outbox.enqueue({
      chatId, priority: 'reply', maxAttempts: SEND_ATTEMPTS,
      request: async () => (await this.api.sendDocument({ chat_id: chatId, document, ...(caption ? { caption: clip(caption) } : {}) })).message_id,
    });
    const result = await job.done;
    if (result.ok) return result.value;
    if (!('cancelled' in result)) this.logger.warn('sendDocument failed', { chatId, err: result.error });
    return undefined;
  }

  /** Sends an image (a chart) as a photo, under the same limits as messages; resolves to its id, or undefined. */
  async sendPhoto(chatId: number | string, photo: InputFile, caption?: string): Promise<number | undefined> {
    const job = this.outbox.enqueue({
      chatId, priority: 'reply', maxAttempts: SEND_ATTEMPTS,
      request: async () => (await this.api.sendPhoto({ chat_id: chatId, photo, ...(caption ? { caption: clip(caption, MAX_CAPTION) } : {}) })).message_id,
    });
    const result = await job.done;
    if (result.ok) return result.value;
    if (!('cancelled' in result)) this.logger.warn('sendPhoto failed', { chatId, err: result.error });
    return undefined;
  }

  /**
   * Sends an OGG/Opus file as a voice message (a call's recording), optionally as a reply; after the
   * final statuses in the chat's queue. Resolves to its id, or undefined.
   */
  async sendVoice(chatId: number | string, voice: InputFile, options: { caption?: string; durationS?: number; replyTo?: number } = {}): Promise<number | undefined> {
    const job = this.outbox.enqueue({
      chatId, priority: 'final', maxAttempts: SEND_ATTEMPTS,
      request: async () => (await this.api.sendVoice({
        chat_id: chatId, voice,
        ...(options.caption ? { caption: clip(options.caption) } : {}),
        ...(options.durationS !== undefined ? { duration: options.durationS } : {}),
        // The status message may be gone (deleted by the agent): the voice goes all the same.
        ...(options.replyTo !== undefined ? { reply_parameters: { message_id: options.replyTo, allow_sending_without_reply: true } } : {}),
      })).message_id,
    });
    const result = await job.done;
    if (result.ok) return result.value;
    if (!('cancelled' in result)) this.logger.warn('sendVoice failed', { chatId, err: result.error });
    return undefined;
  }

  /** Where the Bot API server keeps a file a user sent (getFile); it is downloaded from there. */
  async filePath(fileId: string): Promise<string | undefined> {
    const file = await this.api.getFile({ file_id: fileId });
    return file.file_path;
  }

  /** Answers a callback query at once (the button spins until then); a failure only matters to the log. */
  async answer(callbackQueryId: string, text?: string, alert = false): Promise<void> {
    try {
      await this.api.answerCallbackQuery({ callback_query_id: callbackQueryId, ...(text ? { text, show_alert: alert } : {}) });
    } catch (err) {
      this.logger.debug('answerCallbackQuery failed', { err });
    }
  }
}

/** Telegram's answers for a message that no longer exists or can no longer be edited by the bot. */
function isGone(error: unknown): boolean {
  return error instanceof TelegramApiError && error.errorCode === 400
    && /message to edit not found|message can't be edited|message can not be edited|MESSAGE_ID_INVALID/i.test(error.description);
}

function clip(text: string, max = MAX_TEXT): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
