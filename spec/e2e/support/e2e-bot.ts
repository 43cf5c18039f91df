import fs from 'node:fs';
import path from 'node:path';
import { createLogger } from '../../../config/logger';
import type { Call } from '../../../entities';
import { BOT_TOKEN, BotHarness, type BotHarnessOptions, type BotMessage, type TestUser } from '../../support/bot-harness';
import { waitFor } from '../../support/wait-for';
import type { AsteriskLab } from './lab';

export { ADMIN_ID, type BotMessage } from '../../support/bot-harness';
export type E2eUser = TestUser;

export interface E2eBotOptions {
  env?: Record<string, string>;
  /** Where the app's ARI client connects; the lab's Asterisk unless a proxy sits in between. */
  ariUrl?: string;
  statusEditIntervalMs?: number;
  /** The caller-ID verification codes (the lab's far end keys fixed digits). */
  verificationCode?: () => string;
  /** Each route's recording policy and consent announcement (recording.e2e.ts). */
  recording?: BotHarnessOptions['engineRecording'];
  /** Recording's media side as app/main.ts wires it, on this Asterisk's stored recordings: the voice message after the call. */
  voice?: boolean;
}

/**
 * The real product as spec/support/bot-harness.ts wires it (local Bot API server, the real adapter,
 * the engine on a fresh database, the bot polling over HTTP), pointed at the lab's real Asterisk
 * instead of the simulator. The app logs to a file in the lab directory.
 */
export class E2eBot {
  private constructor(readonly h: BotHarness, private readonly logStream: fs.WriteStream, readonly logFile: string) {}

  static async start(lab: AsteriskLab, name: string, opts: E2eBotOptions = {}): Promise<E2eBot> {
    const logFile = path.join(lab.dir, `app-${name}.log`);
    const logStream = fs.createWriteStream(logFile, { flags: 'a' });
    const logger = createLogger({ level: 'debug', format: 'pretty', secrets: [lab.ari.password, BOT_TOKEN], stream: logStream });
    const h = await BotHarness.start({
      ari: { url: opts.ariUrl ?? lab.ariUrl, username: lab.ari.username, password: lab.ari.password },
      env: { ARI_APP: 'callbot', ARI_REQUEST_TIMEOUT_MS: '3000', AGENT_RING_TIMEOUT_S: '3', TARGET_RING_TIMEOUT_S: '3', DEFAULT_CALLER_ID: '', ...opts.env },
      logger,
      statusEditIntervalMs: opts.statusEditIntervalMs ?? 100,
      adapter: { reconnectMinMs: 100, reconnectMaxMs: 1000, keepaliveMs: 1000 },
      ...(opts.verificationCode ? { verificationCode: opts.verificationCode } : {}),
      ...(opts.recording ? { engineRecording: opts.recording } : {}),
      ...(opts.voice ? { recording: {} } : {}),
    });
    await waitFor(() => h.engine.isTelephonyOnline(), { timeoutMs: 10000, what: `the app (${name}) connected to ARI` });
    return new E2eBot(h, logStream, logFile);
  }

  get ari() { return this.h.ari; }
  get engine() { return this.h.engine; }
  get stores() { return this.h.stores; }
  get config() { return this.h.config; }
  get server() { return this.h.server; }

  user(id: number, name = `User${id}`, username: string | undefined = `user${id}`): E2eUser {
    return this.h.user(id, name, username);
  }

  /** The voice messages (recordings) the bot sent to a chat, oldest first. */
  voicesTo(chatId: number) {
    return this.h.voicesTo(chatId);
  }

  messagesTo(chatId: number): BotMessage[] {
    return this.h.messagesTo(chatId);
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
    await this.h.stop();
    await new Promise<void>((resolve) => this.logStream.end(resolve));
  }
}
