import type { AddressInfo } from 'node:net';
import { Bot } from 'node-telegram-bot-api';
import type { CallbackQuery, Message, Update } from 'node-telegram-bot-api/types';
import { AbuseAlerts } from './abuse-alerts';
import { BackgroundJobs } from '../ops/background-jobs';
import { botApiFailure } from './bot-api-check';
import { AgentService } from '../agents/agent-service';
import { DncService } from '../compliance/dnc-service';
import { AfterCallWork } from '../after-call/after-call-work';
import { onNoteReply } from './commands/after-call';
import { CallerIdPool } from '../agents/caller-id-pool';
import { CallViews } from './call-views';
import { type ShownCall, showCallStatus } from './call-status';
import { statusDepsOf } from './commands/call';
import type { Observable } from 'rxjs';
import type { CallUpdate, ReturnCallContext } from '../call/call-update';
import type { RouteCode } from '../call/call-types';
import type { InterruptedCall } from '../engine/reconcile';
import { onPartyNumber } from './commands/parties';
import { Callbacks, REAL_CALLBACK_CLOCK } from '../after-call/callbacks';
import { CallbackReminders } from '../after-call/callback-reminders';
import type { CallbackOffer, DispositionChosen } from '../after-call/after-call-types';
import { TelegramCallbackNotices, TelegramCallbackOffer, onCallbackTime } from './commands/callbacks';
import { PendingInputs } from './pending-input';
import * as admin from './commands/admin';
import { onDncDocument } from './commands/dnc';
import { isOnboardingCaption, onAgentsDocument, sendDailyReport } from './commands/reports';
import { CallReports } from '../reports/call-reports';
import { ChartRenderer } from '../reports/chart-renderer';
import { DailyReport } from '../reports/daily-report';
import { announcementMedia, onAnnouncementAudio } from './commands/recording';
import { runCallback, type Tap } from './callback-table';
import { commandMenus, commandNamed } from './command-table';
import type { BotDeps, BotWiring, Incoming } from './handler-context';
import { decodeCallback } from './menus/callback-data';
import { pollUpdates } from './polling';
import { activeAgent, mayUse, roleOf, type Role } from './roles';
import { CALLBACK_TEXT, DNC_TEXT, PARTY, RECORDING_TEXT, REPORT_TEXT, RETURN_CALL, T } from './texts';
import { callBack } from './menus/keyboards';
import type { HttpListener } from '../ops/http-listener';
import { startWebhookServer } from './webhook-server';
import type { AgentSide } from '../api/integration-calls';
import { TelegramAgentSide } from './commands/integration';


/** Longer than any command needs; anything beyond is refused before it is parsed. */
const MAX_COMMAND_TEXT = 512;
/** Telegram shows at most this many characters in a callback query's alert. */
const MAX_ALERT_TEXT = 200;
const COMMAND = /^\/([A-Za-z0-9_]{1,32})(?:@[A-Za-z0-9_]{1,64})?(?:\s+([\s\S]*))?$/;

/**
 * The bot: routing, access checks and the single error boundary. Every update is handled in its
 * chat's order (a tap never overtakes the command before it); different chats run concurrently.
 */
export class CallBot {
  readonly bot: Bot;
  private readonly chatQueues = new Map<number, Promise<void>>();
  private webhookServer?: HttpListener;
  private stopPolling?: AbortController;
  private pump: Promise<void> = Promise.resolve();
  /** Abuse alerts to the super admins, and the records their Suspend buttons name. */
  readonly alerts: AbuseAlerts;
  /** Long admin work (imports), run outside the chats' turns. */
  readonly jobs: BackgroundJobs;
  /** Reminds agents of their callbacks at their time and tells admins of missed ones (each once, across instances). */
  readonly callbackReminders: CallbackReminders;
  /** The daily report to the super admins (off unless DAILY_REPORT_HOUR is set). */
  readonly dailyReport: DailyReport;
  private readonly charts = new ChartRenderer();

  private readonly deps: BotDeps;

  constructor(wiring: BotWiring, bot: Bot) {
    const { stores, desk, config, out, logger } = wiring;
    const jobs = new BackgroundJobs(logger);
    const dncList = new DncService({ dnc: stores.dnc, calls: stores.calls, audit: stores.audit, numbers: config });
    const clock = wiring.callbackClock ?? REAL_CALLBACK_CLOCK;
    const callbacks = new Callbacks({
      calls: stores.calls, callbacks: stores.callbacks, hours: config.callingHours, clock, onScheduled: () => this.callbackReminders.wake(),
    });
    const callbackOffer = wiring.callbackOffer ?? new TelegramCallbackOffer({ out, stores, callbacks });
    const deps: BotDeps = {
      ...wiring,
      jobs,
      accounts: new AgentService({ agents: stores.agents, callerIds: stores.callerIds, audit: stores.audit, desk, numbers: config }),
      pool: new CallerIdPool({ callerIds: stores.callerIds, agents: stores.agents, audit: stores.audit, verification: wiring.verification }),
      dncList,
      afterCall: new AfterCallWork({
        calls: stores.calls, audit: stores.audit, doNotCall: dncList, doNotCallReason: DNC_TEXT.markReason, settings: config.afterCall,
        callbackOffer,
      }),
      pending: new PendingInputs(),
      views: new CallViews(),
      callbacks,
      callbackOffer,
      reports: new CallReports({
        reports: stores.reports, legs: stores.legs, audit: stores.audit, settings: config.reports, chart: this.charts,
        ...(wiring.recordingsPresent ? { recordingsPresent: wiring.recordingsPresent } : {}),
      }),
    };
    this.deps = deps;
    this.callbackReminders = new CallbackReminders({
      records: stores.callbacks, notices: new TelegramCallbackNotices({ out, stores, config, callbacks }), clock,
      missedAfterMs: config.callbackMissedAfterMin * 60_000, logger,
    });
    this.bot = bot;
    this.alerts = new AbuseAlerts(deps);
    this.jobs = jobs;
    this.dailyReport = new DailyReport({
      settings: config.reports, claimDay: (name, day) => stores.reports.claimDay(name, day), send: (period) => sendDailyReport(deps, period),
      logger: deps.logger, ...(wiring.now ? { now: wiring.now } : {}),
    });
    this.bot.use(async (ctx) => this.inChatOrder(ctx.update));
    this.bot.catch((err) => this.deps.logger.error('update handler failed', { err }));
  }

  /** Every disposition an agent records (the webhooks' `call.disposition_set`). */
  get dispositions(): Observable<DispositionChosen> {
    return this.deps.afterCall.dispositions;
  }

  /** How the HTTP API's call requests reach agents (IntegrationCalls.connect takes it). */
  agentSide(): AgentSide {
    return new TelegramAgentSide(this.deps);
  }

  /** `Call back` under a final status: what the disposition keyboard calls. */
  get callbackOffer(): CallbackOffer {
    return this.deps.callbackOffer;
  }

  /**
   * Follows again the status message of a call the previous run left live and this one resumed:
   * the same message is edited (or a new one sent where there was none), with its buttons.
   */
  followResumedCall(call: ShownCall, updates: Observable<CallUpdate>, attach: (chatId: string, messageId: number) => void): void {
    // A return call resumed still ringing may yet be missed: its last caller is told as when it was never resumed.
    if (call.context.returnCall) {
      this.followReturnCall(call, updates, attach);
      return;
    }
    showCallStatus(statusDepsOf(this.deps), call, updates, attach);
  }

  /**
   * A customer calling a pool number back (the engine's returnCalls): its status message goes to
   * the agent rung, and to each agent rung after them; if nobody took it, the agent who called the
   * customer gets a callback task and is told, with a one-tap 📞 Call back that is the task's own
   * (a normal /call, through every rule; the task is done once the call goes out). An agent who
   * answers it has reached the customer: their open callbacks to them are done.
   */
  followReturnCall(call: ShownCall, updates: Observable<CallUpdate>, attach: (chatId: string, messageId: number) => void): void {
    const deps = statusDepsOf(this.deps);
    showCallStatus(deps, call, updates, attach);
    const returnCall = call.context.returnCall;
    if (!returnCall) return;
    const { callId } = call.context;
    let answered = false;
    updates.subscribe({
      next: (update) => {
        if (update.stage === 'connected' && !answered) {
          answered = true;
          const agentId = update.ownerAgentId ?? call.context.agentId;
          void this.deps.callbacks.reachedByReturnCall({ agentId, number: returnCall.customerNumber })
            .catch((err: unknown) => this.deps.logger.warn('closing the callbacks of an answered return call failed', { callId, err }));
        }
        if (!update.final || update.outcome === 'completed') return;
        void this.tellMissedReturnCall(callId, call.context.route, returnCall, update.at);
      },
    });
  }

  /**
   * The calls a restart ended at once (engine.start()): each status message says so, a return
   * call's still under who called back; one nobody had taken is a missed call back, told to the
   * agent who called the customer as when nobody answers.
   */
  tellInterrupted(calls: readonly InterruptedCall[], at: number = Date.now()): void {
    for (const call of calls) {
      const { returnCall } = call;
      if (call.telegramChatId && call.statusMessageId) {
        const header = returnCall ? RETURN_CALL.lines(returnCall.context, at, returnCall.agentId) : [];
        void this.deps.out.edit(call.telegramChatId, call.statusMessageId, [...header, T.interrupted].join('\n'), undefined, 'final');
      }
      if (returnCall?.missed) void this.tellMissedReturnCall(call.callId, returnCall.route, returnCall.context, at);
    }
  }

  /** The agent who called the customer gets a callback task and a message with a one-tap 📞 Call back (the task's own). */
  private async tellMissedReturnCall(callId: string, route: RouteCode | null, returnCall: ReturnCallContext, at: number): Promise<void> {
    const lastCall = returnCall.lastCall;
    if (!lastCall) return;
    try {
      // The task first, so that the message's 📞 Call back is the task's and closes it.
      const task = await this.deps.callbacks.missedReturnCall({
        callId, agentId: lastCall.agentId, number: returnCall.customerNumber, route,
      }).catch((err: unknown) => {
        this.deps.logger.warn('writing the callback task of a missed return call failed; its message calls back without one', { callId, err });
        return undefined;
      });
      const chatId = await statusDepsOf(this.deps).chatOfAgent?.(lastCall.agentId);
      if (chatId) await this.deps.out.send(chatId, RETURN_CALL.missed(returnCall, at), callBack(returnCall.customerNumber, task?.id));
    } catch (err) {
      this.deps.logger.warn('telling an agent of a missed return call failed', { callId, err });
    }
  }

  /** Registers the command menus; a failure only earns a warning that says what failed. */
  async registerCommands(): Promise<void> {
    const { agent: agentCommands, admin: adminCommands } = commandMenus();
    try {
      await this.bot.api.setMyCommands({ commands: agentCommands, scope: { type: 'all_private_chats' } });
      for (const id of this.deps.config.telegram.superAdminIds) {
        await this.bot.api.setMyCommands({ commands: adminCommands, scope: { type: 'chat', chat_id: Number(id) } });
      }
    } catch (err) {
      const failure = botApiFailure('setMyCommands', err);
      this.deps.logger.warn(`${failure.message}; command menus not registered`, failure.fields);
    }
  }

  /**
   * Long polling (default) or, with a webhook configured, an HTTP server that checks the secret.
   * `polling: 'when-told'` (cluster mode) leaves polling to startPolling, called while this
   * instance holds the polling lease: Telegram gives updates to one poller at a time.
   */
  async start(options: { polling?: 'now' | 'when-told' } = {}): Promise<void> {
    this.alerts.start();
    this.callbackReminders.start();
    this.dailyReport.start();
    const webhook = this.deps.config.telegram.webhook;
    if (webhook) {
      this.webhookServer = await startWebhookServer({
        host: webhook.host, port: webhook.port, path: new URL(webhook.url).pathname, secret: webhook.secret,
        deliver: (update) => this.bot.handleUpdate(update), logger: this.deps.logger,
      });
      try {
        await this.bot.api.setWebhook({ url: webhook.url, secret_token: webhook.secret, allowed_updates: ['message', 'callback_query'] });
      } catch (err) {
        this.deps.logger.error('setWebhook failed; updates arrive only if the webhook was set before', { err });
      }
      this.deps.logger.info('webhook listening', { host: webhook.host, port: webhook.port });
      return;
    }
    if (options.polling !== 'when-told') this.startPolling();
  }

  /** Starts long polling, unless it is running. */
  startPolling(): void {
    if (this.stopPolling && !this.stopPolling.signal.aborted) return;
    const stop = new AbortController();
    this.stopPolling = stop;
    // The library's pump is not re-entrant: a new one starts once the paused one has returned.
    this.pump = this.pump.then(() => this.bot.startPolling(pollUpdates(this.bot.api, this.deps.logger, stop.signal))).catch((err: unknown) => {
      if (!stop.signal.aborted) this.deps.logger.error('polling stopped', { err });
    });
  }

  /** Stops long polling at once (the polling lease was lost); updates already received are still handled. */
  pausePolling(): void {
    this.stopPolling?.abort();
  }

  /** Where the webhook server listens, once started in webhook mode. */
  get webhookAddress(): AddressInfo | undefined {
    return this.webhookServer?.address;
  }

  async stop(): Promise<void> {
    this.stopPolling?.abort();
    this.bot.stop();
    await this.webhookServer?.close();
    await Promise.allSettled([...this.chatQueues.values()]);
    // After the chats: a turn still running may start a job.
    await this.jobs.stop();
    await this.callbackReminders.stop();
    await this.alerts.stop();
    await this.dailyReport.stop();
    await this.charts.close();
  }

  private inChatOrder(update: Update): Promise<void> {
    // Taken before the update queues: a call request is judged by what was true when it came.
    const receivedAt = Date.now();
    const { message, callbackQuery } = partsOf(update);
    const chatId = message?.chat.id ?? callbackQuery?.message?.chat.id ?? callbackQuery?.from.id ?? 0;
    const previous = this.chatQueues.get(chatId) ?? Promise.resolve();
    const turn = this.deps.inChatTurn;
    const next = previous.then(() => (turn ? turn(chatId, () => this.handle(update, receivedAt)) : this.handle(update, receivedAt))).catch((err: unknown) => {
      this.deps.logger.error('update handler failed', { updateId: update.update_id, err });
    });
    this.chatQueues.set(chatId, next);
    void next.then(() => {
      if (this.chatQueues.get(chatId) === next) this.chatQueues.delete(chatId);
    });
    return Promise.resolve();
  }

  private async handle(update: Update, receivedAt: number): Promise<void> {
    const { message, callbackQuery } = partsOf(update);
    if (message) return this.onMessage(message, receivedAt);
    if (callbackQuery) return this.onCallbackQuery(callbackQuery, receivedAt);
  }

  private async onMessage(message: Message, receivedAt: number): Promise<void> {
    const from = message.from;
    if (!from || from.is_bot) return;
    const chatId = message.chat.id;
    const reply = (text: string, markup?: Parameters<Incoming['reply']>[1]) => this.deps.out.send(chatId, text, markup);
    if (message.chat.type !== 'private') {
      if (message.text?.startsWith('/')) await reply(T.privateOnly);
      return;
    }
    const text = message.text;
    if (typeof text !== 'string' && !message.document && !message.voice && !message.audio) return void (await reply(T.notText));
    // A note may be longer than any command: only a reply to one of the bot's messages is read before this check.
    const replied = message.reply_to_message?.from?.is_bot ? message.reply_to_message : undefined;
    const longerThanCommands = text !== undefined && text.length > MAX_COMMAND_TEXT;
    if (longerThanCommands && !replied) return void (await reply(T.tooLong));
    const userId = String(from.id);
    const role = await roleOf(userId, this.deps.config.telegram.superAdminIds, this.deps.stores.agents);
    const base: Omit<Incoming, 'args'> = { deps: this.deps, chatId, from, userId, role, reply, receivedAt, ...(message.date > 0 ? { sentAt: message.date * 1000 } : {}) };
    if (typeof text !== 'string') {
      // A voice message or audio file (or a document asked for as one) is a route's consent announcement, from a super admin only.
      const audio = announcementMedia(message, this.deps.pending.awaitsAnnouncement(chatId));
      if (audio) {
        if (role.kind !== 'admin') return void (await reply(RECORDING_TEXT.notAdmin));
        return onAnnouncementAudio({ ...base, args: '' }, audio, message.caption);
      }
      if (!message.document) return void (await reply(T.notText));
      // A document captioned /onboard is a list of agents; any other is a do-not-call list to import. From a super admin only.
      const onboarding = isOnboardingCaption(message.caption);
      if (role.kind !== 'admin') return void (await reply(onboarding ? REPORT_TEXT.onboardNotAdmin : DNC_TEXT.importNotAdmin));
      if (onboarding) return onAgentsDocument({ ...base, args: '' }, message.document, this.jobs);
      return onDncDocument({ ...base, args: '' }, message.document!, message.caption, this.jobs);
    }

    const isCommand = text.trim().startsWith('/');
    if (!longerThanCommands && role.kind === 'admin' && replied?.text && !isCommand) {
      if (await admin.onApprovalReply({ ...base, args: text }, replied.text)) return;
    }
    // A number asked for by 🔢 Type a number is the chat's next text; any command cancels it.
    if (isCommand) this.deps.pending.cancel(chatId);
    const waiting = isCommand || longerThanCommands ? { kind: 'none' as const } : this.deps.pending.take(chatId);
    if (waiting.kind === 'expired') return void (await reply(PARTY.inputExpired));
    if (waiting.kind === 'number' && (role.kind === 'admin' || mayUse(role, 'agent'))) return onPartyNumber({ ...base, args: text.trim() }, waiting.pending);
    if (waiting.kind === 'callbackTimeExpired') return void (await reply(CALLBACK_TEXT.inputExpired));
    if (waiting.kind === 'callbackTime' && mayUse(role, 'agent')) return onCallbackTime({ ...base, args: text.trim() }, waiting.pending);
    // An agent's reply to a call's status message is the call's note.
    if (replied && !isCommand && activeAgent(role)) return onNoteReply({ ...base, args: '' }, replied.message_id, text);
    if (longerThanCommands) return void (await reply(T.tooLong));
    const match = text.trim().match(COMMAND);
    if (!match) return void (await reply(T.notText));
    const name = match[1]!.toLowerCase();
    const args = (match[2] ?? '').trim();
    const command = commandNamed(name);
    if (!command) return void (await reply(T.unknownCommand));
    if (!mayUse(role, command.who)) return void (await reply(deniedText(role)));
    if (command.noArgs && args) return void (await reply(T.usage.noArgs(name)));
    await command.run({ ...base, args });
  }

  private async onCallbackQuery(query: CallbackQuery, receivedAt: number): Promise<void> {
    const { out } = this.deps;
    const action = decodeCallback(query.data);
    // The local Bot API server sends callback queries without a message: fall back to the sender.
    const chatId = query.message?.chat.id ?? query.from.id;
    if (!action || (query.message && query.message.chat.type !== 'private')) {
      await out.answer(query.id, T.staleButton, true);
      return;
    }
    const userId = String(query.from.id);
    const role = await roleOf(userId, this.deps.config.telegram.superAdminIds, this.deps.stores.agents);
    let answered = false;
    const tap: Tap = {
      deps: this.deps, chatId, from: query.from, userId, role, args: '', messageId: query.message?.message_id, receivedAt,
      reply: (text, markup) => out.send(chatId, text, markup),
      alerts: this.alerts,
      answer: async (alert) => {
        if (answered) return;
        answered = true;
        // An alert holds at most 200 characters: a longer answer (a rule's refusal, say) is said in the chat.
        if (alert !== undefined && alert.length > MAX_ALERT_TEXT) {
          await out.answer(query.id);
          await out.send(chatId, alert);
          return;
        }
        await out.answer(query.id, alert, alert !== undefined);
      },
    };
    await runCallback(tap, action);
  }
}

/** The two kinds of update the bot handles; everything else (edits, channel posts…) is ignored. */
function partsOf(update: Update): { message?: Message; callbackQuery?: CallbackQuery } {
  if ('message' in update) return { message: update.message };
  if ('callback_query' in update) return { callbackQuery: update.callback_query };
  return {};
}

function deniedText(role: Role): string {
  switch (role.kind) {
    case 'unknown': return T.noAccessAskStart;
    case 'pending': return T.accessPending;
    case 'revoked': return T.noAccess;
    case 'suspended': return T.youAreSuspended;
    default: return T.notAllowed;
  }
}

