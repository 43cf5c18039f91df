import type TelegramServer from 'telegram-test-api';

/** One message the bot sent, as the local Bot API server holds it now (edits applied). */
export interface BotMessage {
  chatId: number;
  messageId: number;
  text: string;
  buttons: Array<{ text: string; data: string }>;
  /** Every text this message has shown, first to last. */
  history: string[];
}

export type TranscriptListener = (entry: { kind: 'sent' | 'edited'; chatId: number; messageId: number; text: string; buttons: string[] }) => void;

interface StoredBotMessage {
  messageId: number;
  message: { chat_id: number | string; text: string; reply_markup?: { inline_keyboard?: Array<Array<{ text: string; callback_data?: string }>> } };
}

/**
 * What the bot has said in every chat of a local Bot API server. The server applies an edit in
 * place and forgets the old text, so this records every text a message shows: specs can then check
 * the whole life of a status message, whichever process sent or edited it.
 */
export class BotMessageHistory {
  private readonly texts = new Map<number, string[]>();
  private readonly listeners = new Set<TranscriptListener>();

  constructor(private readonly server: TelegramServer) {
    const add = server.addBotMessage.bind(server);
    server.addBotMessage = (raw, token) => {
      const sent = add(raw, token);
      this.texts.set(sent.message_id, [raw.text]);
      this.tell('sent', Number(raw.chat_id), sent.message_id, raw.text, raw.reply_markup);
      return sent;
    };
    const edit = server.editMessageText.bind(server);
    server.editMessageText = (raw) => {
      edit(raw);
      if (raw.message_id !== undefined) this.texts.get(Number(raw.message_id))?.push(raw.text);
      this.tell('edited', Number(raw.chat_id), Number(raw.message_id), raw.text, raw.reply_markup);
    };
    // Only the buttons change (a chosen outcome marked): the message's text is told again with them.
    const editMarkup = server.editMessageReplyMarkup.bind(server);
    server.editMessageReplyMarkup = (raw) => {
      editMarkup(raw);
      const text = this.texts.get(Number(raw.message_id))?.at(-1);
      if (text !== undefined) this.tell('edited', Number(raw.chat_id), Number(raw.message_id), text, raw.reply_markup);
    };
  }

  /** Follows every message the bot sends or edits. */
  onChange(listener: TranscriptListener): void {
    this.listeners.add(listener);
  }

  /** Every message the bot sent to a chat, oldest first, as it reads now. */
  messagesTo(chatId: number): BotMessage[] {
    const stored = this.server.storage.botMessages as unknown as StoredBotMessage[];
    return stored
      .filter((m) => Number(m.message.chat_id) === chatId)
      .map((m) => ({
        chatId,
        messageId: m.messageId,
        text: m.message.text,
        buttons: (m.message.reply_markup?.inline_keyboard ?? []).flat().map((b) => ({ text: b.text, data: b.callback_data ?? '' })),
        history: this.texts.get(m.messageId) ?? [m.message.text],
      }));
  }

  private tell(kind: 'sent' | 'edited', chatId: number, messageId: number, text: string, markup: unknown): void {
    const keyboard = (markup as StoredBotMessage['message']['reply_markup'])?.inline_keyboard ?? [];
    const buttons = keyboard.flat().map((b) => b.text);
    for (const listener of this.listeners) listener({ kind, chatId, messageId, text, buttons });
  }
}
