import fs from 'node:fs';
import path from 'node:path';
import { Bot } from 'node-telegram-bot-api';
import TelegramServer from 'telegram-test-api';
import type { DataSource } from 'typeorm';
import { CallBot } from '../../../app/bot';
import { TelegramOut } from '../../../app/telegram-out';
import { type Config, loadConfig } from '../../../config/config';
import { createLogger } from '../../../config/logger';
import type { Call } from '../../../entities';
import { openDatabase } from '../../../ormconfig';
import { AriClientAdapter } from '../../../stasis/ari-client-adapter';
import { CallEngine } from '../../../stasis/call-engine';
import { type Stores, createStores } from '../../../store';
import { closeDatabase, freshDatabaseUrl } from '../../support/test-database';
import { waitFor } from '../../support/wait-for';
import { type AsteriskLab, freePort } from './lab';

export const BOT_TOKEN = '123456789:AAe2e-token_for_the_local_bot_api';
export const ADMIN_ID = 1000;

export interface BotMessage {
  chatId: number;
  messageId: number;
  text: string;
  buttons: Array<{ text: string; data: string }>;
  /** Every text this message has shown, first to last. */
  history: string[];
}

interface StoredBotMessage {
  messageId: number;
  message: { chat_id: number | string; text: string; reply_markup?: { inline_keyboard?: Array<Array<{ text: string; callback_data?: string }>> } };
}

export interface E2eBotOptions {
  env?: Record<string, string>;
  /** Where the app's ARI client connects; the lab's Asterisk unless a proxy sits in between. */
  ariUrl?: string;
  statusEditIntervalMs?: number;
}

/**
 * The real product wired as in spec/support/bot-harness.ts, but against the lab's real Asterisk:
 * the local Bot API server (telegram-test-api), the real ari-client adapter, the call engine on a
 * fresh database and the bot polling over HTTP. The app logs to a file in the lab directory.
 */
export class E2eBot {
  private readonly history = new Map<number, string[]>();

  private constructor(
    readonly server: TelegramServer,
    readonly config: Config,
    readonly stores: Stores,
    readonly engine: CallEngine,
    readonly callBot: CallBot,
    readonly ari: AriClientAdapter,
    private readonly dataSource: DataSource,
    private readonly logStream: fs.WriteStream,
    readonly logFile: string,
  ) {
    const add = server.addBotMessage.bind(server);
    server.addBotMessage = (raw, token) => {
      const sent = add(raw, token);
      this.history.set(sent.message_id, [raw.text]);
      return sent;
    };
    const edit = server.editMessageText.bind(server);
    server.editMessageText = (raw) => {
      edit(raw);
      if (raw.message_id !== undefined) this.history.get(Number(raw.message_id))?.push(raw.text);
    };
  }

  static async start(lab: AsteriskLab, name: string, opts: E2eBotOptions = {}): Promise<E2eBot> {
    const server = new TelegramServer({ port: await freePort(), host: '127.0.0.1', storeTimeout: 3600 });
    await server.start();
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_ROOT: server.config.apiURL,
      SUPER_ADMIN_IDS: String(ADMIN_ID),
      ARI_URL: opts.ariUrl ?? lab.ariUrl,
      ARI_USERNAME: lab.ari.username,
      ARI_PASSWORD: lab.ari.password,
      ARI_APP: 'callbot',
      ARI_REQUEST_TIMEOUT_MS: '3000',
      AGENT_RING_TIMEOUT_S: '3',
      TARGET_RING_TIMEOUT_S: '3',
      ...opts.env,
    });
    const { dataSource } = await openDatabase(await freshDatabaseUrl());
    const stores = createStores(dataSource);
    const logFile = path.join(lab.dir, `app-${name}.log`);
    const logStream = fs.createWriteStream(logFile, { flags: 'a' });
    const logger = createLogger({ level: 'debug', format: 'pretty', secrets: [lab.ari.password, BOT_TOKEN], stream: logStream });
    const ari = new AriClientAdapter({
      url: config.ari.url, username: config.ari.username, password: config.ari.password, app: config.ari.app,
      requestTimeoutMs: config.ari.requestTimeoutMs, logger, reconnectMinMs: 100, reconnectMaxMs: 1000, keepaliveMs: 1000,
    });
    const engine = new CallEngine({ config, ari, ...stores, logger });
    await engine.start();
    await ari.start();
    await waitFor(() => engine.isTelephonyOnline(), { timeoutMs: 10000, what: `the app (${name}) connected to ARI` });
    const bot = new Bot(config.telegram.botToken, { apiRoot: config.telegram.apiRoot, maxRetries: 0 });
    const callBot = new CallBot({
      config, engine, stores, out: new TelegramOut(bot.api, logger), logger, statusEditIntervalMs: opts.statusEditIntervalMs ?? 100,
    }, bot);
    await callBot.start();
    return new E2eBot(server, config, stores, engine, callBot, ari, dataSource, logStream, logFile);
  }

  user(id: number, name = `User${id}`, username: string | undefined = `user${id}`): E2eUser {
    return new E2eUser(this, id, name, username);
  }

  messagesTo(chatId: number): BotMessage[] {
    const stored = this.server.storage.botMessages as unknown as StoredBotMessage[];
    return stored
      .filter((m) => Number(m.message.chat_id) === chatId)
      .map((m) => ({
        chatId,
        messageId: m.messageId,
        text: m.message.text,
        buttons: (m.message.reply_markup?.inline_keyboard ?? []).flat().map((b) => ({ text: b.text, data: b.callback_data ?? '' })),
        history: this.history.get(m.messageId) ?? [m.message.text],
      }));
  }

  /** The newest Call row of an agent, once it has ended (transitions are written asynchronously). */
  async endedCallOf(telegramId: string, timeoutMs = 5000): Promise<Call> {
    const agent = await this.stores.agents.byTelegramId(telegramId);
    if (!agent) throw new Error(`no agent ${telegramId}`);
    return waitFor(async () => {
      const row = (await this.stores.calls.recentRequestsOfAgent(agent.id, 1))[0];
      return row?.stage === 'ended' ? row : undefined;
    }, { timeoutMs, what: `the call of ${telegramId} to be recorded as ended` });
  }

  async stop(): Promise<void> {
    for (const call of this.engine.liveCalls()) this.engine.cancelCall(call.context.callId, 'system');
    await this.engine.settled();
    await this.callBot.stop();
    await this.engine.stop();
    await this.ari.close();
    await this.server.stop();
    await closeDatabase(this.dataSource);
    await new Promise<void>((resolve) => this.logStream.end(resolve));
  }
}

export class E2eUser {
  constructor(private readonly h: E2eBot, readonly id: number, readonly name: string, readonly username?: string) {}

  private client() {
    return this.h.server.getClient(BOT_TOKEN, { userId: this.id, chatId: this.id, firstName: this.name, userName: this.username ?? '' });
  }

  async send(text: string): Promise<void> {
    const client = this.client();
    if (text.startsWith('/')) await client.sendCommand(client.makeCommand(text));
    else await client.sendMessage(client.makeMessage(text));
  }

  /** Taps the newest button with this label (the local server sets no message on callback queries: we pass it). */
  async tap(label: string | RegExp): Promise<void> {
    const match = (t: string) => (typeof label === 'string' ? t === label : label.test(t));
    const message = [...this.messages()].reverse().find((m) => m.buttons.some((b) => match(b.text)));
    if (!message) throw new Error(`no button ${String(label)} in chat ${this.id}`);
    const data = message.buttons.find((b) => match(b.text))!.data;
    const client = this.client();
    await client.sendCallback(client.makeCallbackQuery(data, { message: { message_id: message.messageId, chat: { id: this.id, type: 'private' } } }));
  }

  messages(): BotMessage[] {
    return this.h.messagesTo(this.id);
  }

  /** Waits for a message whose current text matches, among those that arrived after `after` messages. */
  async waitFor(pattern: RegExp, timeoutMs = 10000, after = 0): Promise<BotMessage> {
    try {
      return await waitFor(() => this.messages().slice(after).find((m) => pattern.test(m.text)), {
        timeoutMs, what: `a message matching ${pattern} to ${this.id}`,
      });
    } catch (err) {
      const seen = this.messages().slice(after).map((m) => m.history);
      throw new Error(`${(err as Error).message}; messages so far (each with its edits): ${JSON.stringify(seen)}`);
    }
  }
}
