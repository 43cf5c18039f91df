import type { Api } from 'node-telegram-bot-api';
import { TelegramApiError } from 'node-telegram-bot-api';
import type { InlineKeyboardMarkup, ReplyMarkup } from 'node-telegram-bot-api/types';
import type { Logger } from '../config/logger';

/** Telegram caps a message at 4096 characters. */
const MAX_TEXT = 4096;

/**
 * Every message the bot sends or edits goes through here. Rate limits and 429 `retry_after` are
 * the transport's (configured in bot.ts); this adds what Telegram's rules need on top: texts cut to
 * size, "message is not modified" treated as success, and errors that never escape to a handler.
 */
export class TelegramOut {
  constructor(private readonly api: Api, private readonly logger: Logger) {}

  /** Sends a message; resolves to its id, or undefined when Telegram refused it. */
  async send(chatId: number | string, text: string, markup?: ReplyMarkup): Promise<number | undefined> {
    try {
      const message = await this.api.sendMessage({ chat_id: chatId, text: clip(text), ...(markup ? { reply_markup: markup } : {}) });
      return message.message_id;
    } catch (err) {
      this.logger.warn('sendMessage failed', { chatId, err });
      return undefined;
    }
  }

  /** Edits a message; false when the edit did not happen (the caller may send a new one). */
  async edit(chatId: number | string, messageId: number, text: string, markup?: InlineKeyboardMarkup): Promise<boolean> {
    try {
      await this.api.editMessageText({ chat_id: chatId, message_id: messageId, text: clip(text), ...(markup ? { reply_markup: markup } : {}) });
      return true;
    } catch (err) {
      if (err instanceof TelegramApiError && /message is not modified/i.test(err.description)) return true;
      this.logger.warn('editMessageText failed', { chatId, messageId, err });
      return false;
    }
  }

  /** Answers a callback query; a failure (too late, already answered) only matters to the log. */
  async answer(callbackQueryId: string, text?: string, alert = false): Promise<void> {
    try {
      await this.api.answerCallbackQuery({ callback_query_id: callbackQueryId, ...(text ? { text, show_alert: alert } : {}) });
    } catch (err) {
      this.logger.debug('answerCallbackQuery failed', { err });
    }
  }
}

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}
