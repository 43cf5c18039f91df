import { Bot } from 'node-telegram-bot-api';
import TelegramServer from 'telegram-test-api';
import type { DataSource } from 'typeorm';
import { CallBot } from '../../telegram/bot';
import type { BotDeps } from '../../telegram/handler-context';
import { TelegramOut, botOptions } from '../../telegram/telegram-out';
import { type OutboxLimits, TELEGRAM_LIMITS, TelegramOutbox } from '../../telegram/telegram-outbox';
import { PARTY } from '../../telegram/texts';
import { type Config, loadConfig } from '../../config/config';
import { type Logger, silentLogger } from '../../config/logger';
import { openDatabase } from '../../store/data-source';
import { AriAdapter, type AriAdapterOptions } from '../../ari/ari-adapter';
import { CallEngine, type CallEngineDeps, DEFAULT_RETURN_CALL_SETTINGS } from '../../engine/call-engine';
import { returnCallSourcesOf } from '../../store/return-call-sources';
import { type CallDesk, engineDesk, withRefusals } from '../../engine/call-desk';
import type { CallParties } from '../../engine/call-parties';
import { callPartiesDesk } from '../../engine/call-engine-parties';
import { SupervisionDesk } from '../../engine/supervision-desk';
import { SupervisionRunner } from '../../engine/supervision-runner';
import { stopLiveRefresh } from '../../telegram/commands/supervision';
import { CallerIdVerification } from '../../verification/caller-id-verification';
import { VerificationRunner } from '../../verification/verification-runner';
import type { CodeGenerator } from '../../verification/verification-code';
import type { RouteCode } from '../../call/call-types';
import type { CallbackClock } from '../../after-call/callbacks';
import { type Stores, createStores } from '../../store';
import { createCallRules } from '../../compliance/rules';
import type { CallbackOffer } from '../../after-call/after-call-types';
import { BotApiFiles, type DownloadPace, type SentDocument, type SentVoice } from './bot-api-files';
import { type BotMessage, BotMessageHistory, type TranscriptListener } from './bot-message-history';
import { seedVerifiedCallerIds } from './caller-id-pool';
import { freePort } from './free-port';
import { AriSimulator, type AriSimulatorOptions } from './ari-simulator';
import { TelegramFaultProxy } from './telegram-fault-proxy';
import { closeDatabase, freshDatabaseUrl } from './test-database';
import { waitFor } from './wait-for';
import type { Observable } from 'rxjs';
import type { CallUpdate } from '../../call/call-update';
import { RecordingMedia } from '../../recording/recording-media';
import type { RetryLimits } from '../../recording/recording-steps';
import type { StoredRecordings } from '../../recording/recording-types';
import { telegramRecordingDelivery } from '../../telegram/recording-delivery';
import type { WebhookSettings } from '../../config/webhook-settings';
import { Webhooks } from '../../webhooks/webhooks';
import { ApiKeys } from '../../api/api-keys';
import { IntegrationCalls } from '../../api/integration-calls';
import { DncService } from '../../compliance/dnc-service';

export const BOT_TOKEN = '123456789:AAtest-token_for_the_local_bot_api';
export const ADMIN_ID = 1000;

/** Calling hours always open and the number caps off. */
export const OPEN_RULES_ENV = { CALLING_HOURS: '00:00-24:00', CAP_NUMBER_PER_DAY: 'off', CAP_NUMBER_PER_7_DAYS: 'off' } as const;

/**
 * The real product on loopback: the local Bot API server (telegram-test-api), the ARI simulator,
 * the real ARI adapter, the engine on a fresh database, and the bot polling over HTTP.
 * Users talk to it exactly as Telegram clients would: messages, commands and callback queries.
 */
/**
 * An outbox that does not hold a chat's messages a second apart, for specs whose subject is not
 * Telegram's pacing and that wait only for messages that stay as they are (the outbox's, the faults',
 * the concurrent /call specs and those waiting for a status message's passing text keep the real limits).
 */
export const UNPACED_OUTBOX: Partial<OutboxLimits> = { perChatRate: 50, perChatBurst: 50 };

export interface BotHarnessOptions {
  env?: Record<string, string>;
  sim?: Partial<AriSimulatorOptions>;
  statusEditIntervalMs?: number;
  /**
   * The outbox's pacing instead of Telegram's limits: for specs whose subject is not the pacing
   * (the outbox's and the faults' specs keep the real limits), so that many messages to one chat do not wait a second each.
   */
  outboxLimits?: Partial<OutboxLimits>;
  /** A real Asterisk's ARI instead of the simulator. */
  ari?: { url: string; username: string; password: string };
  logger?: Logger;
  adapter?: Partial<Pick<AriAdapterOptions, 'reconnectMinMs' | 'reconnectMaxMs' | 'keepaliveMs'>>;
  /** Puts a fault-injecting proxy between the bot and the local Bot API server (users still talk to the server). */
  faultProxy?: boolean;
  /** Makes the caller-ID verification codes (the real-Asterisk lab's far end plays fixed digits). */
  verificationCode?: CodeGenerator;
  /** Wraps each chat's turn, as cluster mode's chat locks do. */
  inChatTurn?: BotDeps['inChatTurn'];
  /** Transfer and conference requests: a spec's stand-in; without it, the engine's own party desk, wired as app/main.ts does. */
  parties?: CallParties;
  /** Wraps the desk the bot talks to (a spec adds updates to a call's stream). */
  wrapDesk?: (desk: CallDesk) => CallDesk;
  /** What the `Call back` disposition hands over to (a spec's stand-in); without it, scheduling is not set up. */
  callbackOffer?: CallbackOffer;
  /**
   * The clock of the rules (the engine's now) and of scheduled callbacks, moved by hand (a
   * ManualClock). Set it before the real time: a request is refused as stale when the engine's now
   * is more than 10 s past the moment the bot received it.
   */
  clock?: CallbackClock;
  /** The reports' clock (which day it is, when the daily report is due). */
  now?: () => number;
  /** Which calls have a recording, for the export. */
  recordingsPresent?: (callIds: string[]) => Promise<Set<string>>;
  /**
   * Call recording's media side, wired as app/main.ts does, on Asterisk's stored recordings given
   * here; `updates` stands in for the recording views the engine's final updates carry.
   */
  recording?: {
    /** Asterisk's stored recordings; the harness's own ARI adapter (the simulator's or a real Asterisk's) without it. */
    stored?: StoredRecordings;
    updates?: (engineUpdates: Observable<CallUpdate>) => Observable<CallUpdate>;
    limits?: RetryLimits;
    now?: () => number;
    /** How many recordings are converted at once (one per core without it). */
    conversions?: number;
  };
  /** Signed webhooks out, wired as app/main.ts does (the worker's settings, e.g. a short timeout). */
  webhooks?: { settings?: Partial<WebhookSettings> };
  /** Each route's recording policy and consent announcement, as app/main.ts passes them to the engine. */
  engineRecording?: Pick<CallEngineDeps, 'recordingPolicies' | 'consentAnnouncements'>;
  /** The HTTP API's call requests and keys, wired as app/main.ts does (`integration` and `apiKeys` on the harness). */
  integration?: boolean;
}

/** What a restarted app keeps of the harness it replaces: the Bot API server, Asterisk and the database. */
interface Kept {
  server: TelegramServer;
  files: BotApiFiles;
  sim: AriSimulator | undefined;
  databaseUrl: string;
}

export type { BotMessage, TranscriptListener } from './bot-message-history';

export class BotHarness {
  private readonly transcript: BotMessageHistory;
  /** Supervisors' desk, wired as app/main.ts wires it. */
  supervision!: SupervisionDesk;
  private stopSupervision: () => Promise<void> = async () => undefined;
  /** Signed webhooks out (with the `webhooks` option). */
  webhooks?: Webhooks;
  /** The HTTP API's call requests and keys (with the `integration` option). */
  integration?: IntegrationCalls;
  apiKeys?: ApiKeys;

  private constructor(
    readonly server: TelegramServer,
    private readonly simulator: AriSimulator | undefined,
    readonly config: Config,
    readonly stores: Stores,
    readonly engine: CallEngine,
    readonly verification: CallerIdVerification,
    readonly verifier: VerificationRunner,
    readonly callBot: CallBot,
    readonly ari: AriAdapter,
    private readonly dataSource: DataSource,
    private readonly databaseUrl: string,
    private readonly options: BotHarnessOptions,
    private readonly faultProxy: TelegramFaultProxy | undefined,
    /** Everything the bot sends goes through here (specs wait for its outbox to drain). */
    readonly out: TelegramOut,
    /** Files users send and documents the bot sends (the Bot API's file methods). */
    readonly files: BotApiFiles,
    private readonly recordingMedia?: RecordingMedia,
  ) {
    this.transcript = new BotMessageHistory(server);
  }

  /**
   * Starts the Bot API server, the app and, unless `ari` names a real Asterisk (the e2e suite),
   * the ARI simulator.
   */
  static async start(opts: BotHarnessOptions = {}, kept?: Kept): Promise<BotHarness> {
    let server = kept?.server;
    if (!server) {
      // storeTimeout is raised: the server forgets messages after it (60 s by default).
      server = new TelegramServer({ port: await freePort(), host: '127.0.0.1', storeTimeout: 3600 });
      await server.start();
    }
    // telegram-test-api has no getFile, file downloads or sendDocument: a small local server in front adds them.
    const files = kept?.files ?? await BotApiFiles.start(server.config.apiURL, BOT_TOKEN);
    const proxy = opts.faultProxy ? await TelegramFaultProxy.start(files.apiRoot) : undefined;
    const sim = kept ? kept.sim : opts.ari ? undefined : await AriSimulator.start({ username: 'callbot', password: 'sim-secret', ringMs: 50, ...opts.sim });
    const ariTarget = opts.ari ?? { url: sim!.url, username: 'callbot', password: 'sim-secret' };
    const config = loadConfig({
      TELEGRAM_BOT_TOKEN: BOT_TOKEN,
      TELEGRAM_API_ROOT: proxy?.apiRoot ?? files.apiRoot,
      SUPER_ADMIN_IDS: String(ADMIN_ID),
      ARI_URL: ariTarget.url,
      ARI_USERNAME: ariTarget.username,
      ARI_PASSWORD: ariTarget.password,
      ARI_REQUEST_TIMEOUT_MS: '2000',
      AGENT_RING_TIMEOUT_S: '5',
      TARGET_RING_TIMEOUT_S: '5',
      DEFAULT_CALLER_ID: '+15550001111',
      // Specs run at any hour of the real clock and call the same numbers again and again: the
      // rules that judge those are open unless a spec sets them.
      ...OPEN_RULES_ENV,
      ...opts.env,
    });
    const databaseUrl = kept?.databaseUrl ?? await freshDatabaseUrl();
    const { dataSource } = await openDatabase(databaseUrl);
    const stores = createStores(dataSource);
    const logger = opts.logger ?? silentLogger();
    const ari = new AriAdapter({
      url: config.ari.url, username: config.ari.username, password: config.ari.password, app: config.ari.app,
      requestTimeoutMs: config.ari.requestTimeoutMs, logger, reconnectMinMs: 50, reconnectMaxMs: 500, keepaliveMs: 1000, ...opts.adapter,
    });
    const verifier = new VerificationRunner({ ari, app: config.ari.app, logger });
    const verification = new CallerIdVerification({
      config, runner: verifier, pool: stores.callerIds, audit: stores.audit, logger, isTelephonyOnline: () => ari.isConnected(),
      ...(opts.verificationCode ? { generateCode: opts.verificationCode } : {}),
    });
    const rules = createCallRules(config, stores);
    const clock = opts.clock;
    // As app/main.ts: supervisions run beside the engine, their channels left alone by its sweep.
    const supervisions = new SupervisionRunner({ ari, app: config.ari.app, audit: stores.audit, logger });
    const supervisionEvents = supervisions.follow(ari);
    const otherChannels = { ownedChannelIds: () => new Set([...verifier.ownedChannelIds(), ...supervisions.ownedIds()]) };
    const engine = new CallEngine({
      config, ari, ...stores, parties: stores.legs, rules, otherChannels, logger, ...(clock ? { now: () => clock.now() } : {}),
      ...opts.engineRecording,
      // As app/main.ts: customers calling a pool number back.
      returnCalls: { sources: returnCallSourcesOf(stores), settings: { ...config.returnCalls, missedMessageTimeoutS: DEFAULT_RETURN_CALL_SETTINGS.missedMessageTimeoutS } },
    });
    const partiesDesk = callPartiesDesk(engine, { config, agents: stores.agents, calls: stores.calls, audit: stores.audit, rules });
    const supervision = new SupervisionDesk({ calls: engine, runner: supervisions, config });
    const bot = new Bot(config.telegram.botToken, botOptions(config.telegram.apiRoot));
    const out = new TelegramOut(bot.api, logger, new TelegramOutbox({ ...TELEGRAM_LIMITS, ...opts.outboxLimits }));
    // As app/main.ts: a number refused when brought into a call counts for the abuse alerts.
    const desk = opts.parties ? engineDesk(engine) : withRefusals(engineDesk(engine), partiesDesk.refusals);
    const recording = opts.recording ? new RecordingMedia({
      config, stores, stored: opts.recording.stored ?? ari, delivery: telegramRecordingDelivery(out), logger,
      ...(opts.recording.limits ? { limits: opts.recording.limits } : {}), ...(opts.recording.now ? { now: opts.recording.now } : {}),
      ...(opts.recording.conversions ? { conversions: opts.recording.conversions } : {}),
    }) : undefined;
    const webhooks = opts.webhooks ? new Webhooks({
      stores, settings: { ...config.webhooks, ...opts.webhooks.settings }, logger, workerId: 'bot-harness', pollMs: 100,
    }) : undefined;
    const integration = opts.integration ? new IntegrationCalls({
      requests: stores.apiCallRequests, agents: stores.agents, settings: stores.settings, audit: stores.audit, config,
      dnc: new DncService({ dnc: stores.dnc, calls: stores.calls, audit: stores.audit, numbers: config }),
    }) : undefined;
    const apiKeys = opts.integration ? new ApiKeys({ keys: stores.apiKeys, audit: stores.audit, defaultRatePerMin: config.api.defaultRatePerMin }) : undefined;
    const callBot = new CallBot({
      ...(webhooks ? { webhooks: webhooks.endpoints } : {}),
      ...(integration && apiKeys ? { integration, apiKeys } : {}),
      config, desk: opts.wrapDesk ? opts.wrapDesk(desk) : desk, verification, stores, out, logger, statusEditIntervalMs: opts.statusEditIntervalMs ?? 1000,
      ...(opts.inChatTurn ? { inChatTurn: opts.inChatTurn } : {}), parties: opts.parties ?? partiesDesk, ...(recording ? { recording } : {}),
      ...(opts.callbackOffer ? { callbackOffer: opts.callbackOffer } : {}), supervision,
      ...(clock ? { callbackClock: clock } : {}),
      ...(opts.now ? { now: opts.now } : {}), ...(opts.recordingsPresent ? { recordingsPresent: opts.recordingsPresent } : {}),
    }, bot);
    const harness = new BotHarness(server, sim, config, stores, engine, verification, verifier, callBot, ari, dataSource, databaseUrl, opts, proxy, out, files, recording);
    harness.supervision = supervision;
    harness.stopSupervision = async () => {
      supervisions.endAll();
      stopLiveRefresh();
      supervision.stop();
      supervisionEvents.unsubscribe();
      supervisions.stopTimers();
      await supervisions.settled();
    };
    if (webhooks) {
      // As app/main.ts: the engine's updates and refusals, the dispositions and the kept recordings.
      harness.webhooks = webhooks;
      webhooks.follow({ updates: engine.updates, refusals: desk.refusals, dispositions: callBot.dispositions, ...(recording ? { recordings: recording.pipeline.kept } : {}),
        ...(integration ? { integration: integration.events } : {}) });
      webhooks.start();
    }
    integration?.connect(callBot.agentSide());
    harness.integration = integration;
    harness.apiKeys = apiKeys;
    try {
      verifier.start();
      // As app/main.ts: the calls a previous run left that never reached Asterisk are told as interrupted.
      callBot.tellInterrupted(await engine.start());
      // As app/main.ts: the calls a previous run left live are followed again once resumed.
      engine.resumed.subscribe(({ call, view }) => callBot.followResumedCall(
        { chatId: call.telegramChatId ?? call.context.agentTelegramId, context: call.context, stage: call.stage, statusMessageId: call.statusMessageId },
        view.updates, (chatId, messageId) => engine.attachStatusMessage(call.id, chatId, messageId),
      ));
      engine.returnCalls.subscribe((view) => callBot.followReturnCall(
        { chatId: view.context.agentTelegramId, context: view.context, stage: view.stage },
        view.updates, (chatId, messageId) => engine.attachStatusMessage(view.context.callId, chatId, messageId),
      ));
      await ari.start();
      await callBot.start();
      if (recording) await recording.start({ updates: opts.recording?.updates?.(engine.updates) ?? engine.updates, jobs: callBot.jobs });
    } catch (err) {
      // Whatever started must stop, or the test runner never exits.
      await harness.stop();
      throw err;
    }
    return harness;
  }

  /**
   * Puts numbers in the caller-ID pool as verified, as if their verification calls had succeeded:
   * for specs about other things whose agents have caller IDs of their own.
   */
  async verifiedCallerIds(numbers: readonly string[], routes: readonly RouteCode[] = ['M', 'D']): Promise<void> {
    await seedVerifiedCallerIds(this.stores, numbers, routes);
  }

  /** The ARI simulator (not there when the harness runs against a real Asterisk). */
  get sim(): AriSimulator {
    if (!this.simulator) throw new Error('this harness runs against a real Asterisk, not the simulator');
    return this.simulator;
  }

  /** The proxy between the bot and the Bot API server (with `faultProxy: true`). */
  get proxy(): TelegramFaultProxy {
    if (!this.faultProxy) throw new Error('this harness has no fault proxy: start it with faultProxy: true');
    return this.faultProxy;
  }

  /** Follows every message the bot sends or edits (the demo prints them as a chat transcript). */
  onTranscript(listener: TranscriptListener): void {
    this.transcript.onChange(listener);
  }

  /**
   * Ann (2001) and Bob (2002): authorized agents on the Main route with a verified caller ID, as the
   * transfer and conference specs use them; every tap's answer is also pushed to `answers`.
   */
  async annAndBob(answers: Array<{ text?: string }>): Promise<{ ann: TestUser; bob: TestUser; annId: number; bobId: number }> {
    const answer = this.out.answer.bind(this.out);
    this.out.answer = (...args: Parameters<TelegramOut['answer']>) => {
      const text = args[1];
      answers.push(text === undefined ? {} : { text });
      return answer(...args);
    };
    await this.verifiedCallerIds(['+15551234567']);
    for (const [id, phone, name] of [['2001', '+15551230001', 'Ann'], ['2002', '+15551230002', 'Bob']] as const) {
      await this.stores.agents.authorize({ telegramId: id, phone, callerId: '+15551234567', by: String(ADMIN_ID), displayName: name });
      await this.stores.agents.setRoute(id, 'M');
    }
    return {
      ann: this.user(2001, 'Ann', 'ann'), bob: this.user(2002, 'Bob', 'bob'),
      annId: (await this.stores.agents.byTelegramId('2001'))!.id, bobId: (await this.stores.agents.byTelegramId('2002'))!.id,
    };
  }

  /**
   * A user's steps from their status message to a colleague picked from the list of a cold or warm transfer;
   * returns how many messages the user had before, for waiting on what the pick brings.
   */
  async transferToAgent(user: TestUser, modeButton: string, name: string): Promise<number> {
    const before = user.messages().length;
    await user.tap(PARTY.transferButton);
    await user.waitFor(/Cold: the customer goes/, 8000, before);
    await user.tap(modeButton);
    await user.waitFor(/transfer to whom\?/, 8000, before);
    await user.tap(name);
    return before;
  }

  /**
   * A user's steps from their status message to the number prompt of a transfer (cold or warm, by its
   * button) or of Add, and the number sent; returns how many messages the user had before.
   */
  async typeNumber(user: TestUser, modeButton: string | undefined, number: string, addOrTransfer: 'transfer' | 'add' = 'transfer'): Promise<number> {
    const before = user.messages().length;
    if (addOrTransfer === 'transfer') {
      await user.tap(PARTY.transferButton);
      await user.waitFor(/Cold: the customer goes/, 8000, before);
      await user.tap(modeButton!);
    } else {
      await user.tap(PARTY.addButton);
    }
    await user.waitFor(/to whom\?|Who should join/, 8000, before);
    await user.tap(PARTY.typeNumberButton);
    await user.waitFor(/Send the number to/, 8000, before);
    await user.send(number);
    return before;
  }

  user(id: number, name = `User${id}`, username: string | undefined = `user${id}`): TestUser {
    return new TestUser(this, id, name, username);
  }

  /** Every message the bot sent to a chat, oldest first, as it reads now. */
  messagesTo(chatId: number): BotMessage[] {
    return this.transcript.messagesTo(chatId);
  }

  /** Every photo (chart) the bot sent to a chat, oldest first. */
  photosTo(chatId: number): SentDocument[] {
    return this.files.photos.filter((d) => d.chatId === chatId);
  }

  /** Call recording's media side (with the `recording` option). */
  get recording(): RecordingMedia {
    if (!this.recordingMedia) throw new Error('this harness has no recording: start it with the recording option');
    return this.recordingMedia;
  }

  /** Every voice message the bot sent to a chat, oldest first. */
  voicesTo(chatId: number): SentVoice[] {
    return this.files.voices.filter((v) => v.chatId === chatId);
  }

  /** Every document the bot sent to a chat, oldest first. */
  documentsTo(chatId: number): SentDocument[] {
    return this.files.documents.filter((d) => d.chatId === chatId);
  }

  /**
   * The app dies and starts again on the same database, Asterisk and Bot API server: this one stops
   * hearing and writing anything (its requests in flight answered first, as a killed process's
   * would be or not), its live calls left as they are; the new one is returned, and stopping it
   * stops what they share.
   */
  async restarted(): Promise<BotHarness> {
    await this.stopApp();
    await this.faultProxy?.stop();
    await closeDatabase(this.dataSource);
    return BotHarness.start(this.options, { server: this.server, files: this.files, sim: this.simulator, databaseUrl: this.databaseUrl });
  }

  /** The app's own parts, in the order app/main.ts stops them, after its requests in flight are answered; what the harness shares stays up. */
  private async stopApp(): Promise<void> {
    await this.stopSupervision();
    await this.engine.settled();
    await this.recordingMedia?.stop();
    await this.callBot.stop();
    await this.verifier.stop();
    await this.engine.stop();
    await this.webhooks?.stop();
    await this.ari.close();
  }

  async stop(): Promise<void> {
    for (const call of this.engine.liveCalls()) this.engine.cancelCall(call.context.callId, 'system');
    await this.stopApp();
    await this.simulator?.stop();
    await this.faultProxy?.stop();
    await this.files.stop();
    await this.server.stop();
    await closeDatabase(this.dataSource);
  }
}

/** What a test user needs of a harness: the local Bot API server, its file store and the bot's messages. */
export interface ChatSide {
  readonly server: TelegramServer;
  readonly files: BotApiFiles;
  messagesTo(chatId: number): BotMessage[];
}

export class TestUser {
  constructor(private readonly h: ChatSide, readonly id: number, readonly name: string, readonly username?: string) {}

  private client() {
    return this.h.server.getClient(BOT_TOKEN, { userId: this.id, chatId: this.id, firstName: this.name, userName: this.username ?? '' });
  }

  /** Sends text as this user; a leading `/` makes it a command, as Telegram marks it. */
  async send(text: string, extra: Record<string, unknown> = {}): Promise<void> {
    const client = this.client();
    if (text.startsWith('/')) await client.sendCommand(client.makeCommand(text, extra));
    else await client.sendMessage(client.makeMessage(text, extra));
  }

  /** Sends a file as this user (a document message), as a Telegram client uploads one. */
  async sendDocument(fileName: string, content: string | Buffer, caption?: string, download: DownloadPace & { localPath?: string } = {}): Promise<void> {
    const client = this.client();
    const document = this.h.files.register(fileName, content, download);
    await client.sendMessage(client.makeMessage(undefined as unknown as string, { document, ...(caption ? { caption } : {}) }));
  }

  /** Sends a voice message (OGG/Opus) as this user, as a Telegram client records one. */
  async sendVoice(content: Buffer, caption?: string): Promise<void> {
    const client = this.client();
    const file = this.h.files.register('voice.ogg', content, { mimeType: 'audio/ogg' });
    const voice = { file_id: file.file_id, file_unique_id: file.file_unique_id, duration: 1, mime_type: file.mime_type, file_size: file.file_size };
    await client.sendMessage(client.makeMessage(undefined as unknown as string, { voice, ...(caption ? { caption } : {}) }));
  }

  /** Replies to one of the bot's messages (as the admin does with the phone of a new agent). */
  async replyTo(message: BotMessage, text: string): Promise<void> {
    await this.send(text, { reply_to_message: { message_id: message.messageId, text: message.text, from: { id: 1, is_bot: true, first_name: 'callbot' } } });
  }

  /** Taps the newest button with this label. The local server sets no message on callback queries: we pass it. */
  async tap(label: string | RegExp): Promise<void> {
    const match = (t: string) => (typeof label === 'string' ? t === label : label.test(t));
    const message = [...this.messages()].reverse().find((m) => m.buttons.some((b) => match(b.text)));
    if (!message) throw new Error(`no button ${String(label)} in chat ${this.id}`);
    await this.tapData(message.buttons.find((b) => match(b.text))!.data, message.messageId);
  }

  /** Sends a callback query with any data at all (forged ones included). */
  async tapData(data: string, messageId = 1): Promise<void> {
    const client = this.client();
    await client.sendCallback(client.makeCallbackQuery(data, { message: { message_id: messageId, chat: { id: this.id, type: 'private' } } }));
  }

  messages(): BotMessage[] {
    return this.h.messagesTo(this.id);
  }

  last(): BotMessage | undefined {
    return this.messages().at(-1);
  }

  /** Waits for a message to this user whose current text matches, among those after the first `after`. */
  async waitFor(pattern: RegExp, timeoutMs = 8000, after = 0): Promise<BotMessage> {
    try {
      return await waitFor(() => this.messages().slice(after).find((m) => pattern.test(m.text)), {
        timeoutMs, what: `a message matching ${pattern} to ${this.id}`,
      });
    } catch (err) {
      const seen = this.messages().slice(after).map((m) => m.history);
      throw new Error(`${(err as Error).message}; messages so far (each with its edits): ${JSON.stringify(seen)}`, { cause: err });
    }
  }

  /** Waits until `count` more messages than `before` have arrived and returns the newest. */
  async waitForNew(before: number, timeoutMs = 8000): Promise<BotMessage> {
    return waitFor(() => (this.messages().length > before ? this.messages().at(-1) : undefined), { timeoutMs, what: `a new message to ${this.id}` });
  }
}
