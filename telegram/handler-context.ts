import type { User } from 'node-telegram-bot-api/types';
import type { AfterCallWork } from '../after-call/after-call-work';
import type { CallbackOffer } from '../after-call/after-call-types';
import type { CallbackClock, Callbacks } from '../after-call/callbacks';
import type { AgentService } from '../agents/agent-service';
import type { CallerIdPool } from '../agents/caller-id-pool';
import type { DncService } from '../compliance/dnc-service';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import type { CallDesk } from '../engine/call-desk';
import type { CallParties } from '../engine/call-parties';
import type { RequestedSupervisions, SupervisionDesk } from '../engine/supervision-desk';
import type { CallerIdVerification } from '../verification/caller-id-verification';
import type { BackgroundJobs } from '../ops/background-jobs';
import type { CallReports } from '../reports/call-reports';
import type { RecordingsPresent } from '../reports/call-export';
import type { RecordingAdmin } from '../recording/recording-media';
import type { Stores } from '../store';
import type { WebhookEndpoints } from '../webhooks/webhook-endpoints';
import type { ApiKeys } from '../api/api-keys';
import type { IntegrationCalls } from '../api/integration-calls';
import type { CallViews } from './call-views';
import type { PendingInputs } from './pending-input';
import type { Role } from './roles';
import type { TelegramOut } from './telegram-out';

/** What the bot is built with (app/main.ts); the bot adds the services it builds from them (BotDeps). */
export type BotWiring = Omit<BotDeps, 'accounts' | 'pool' | 'dncList' | 'pending' | 'views' | 'afterCall' | 'callbacks' | 'callbackOffer' | 'reports' | 'jobs'> & {
  /** A stand-in for the scheduled callbacks' offer (a spec's); the bot makes its own otherwise. */
  callbackOffer?: CallbackOffer;
};

export interface BotDeps {
  config: Config;
  /** Calls: placing, listing and ending them. */
  desk: CallDesk;
  /** Transfer, consultation and conference of connected calls; without it their buttons are not shown. */
  parties?: CallParties;
  /** Agents: access, authorization, revocation, suspension, their numbers and route, with the audit. */
  accounts: AgentService;
  /** The caller-ID pool: adding and removing numbers, with the audit. */
  pool: CallerIdPool;
  /** The do-not-call list: adding, removing, marking, importing and exporting, with the audit. */
  dncList: DncService;
  /** Dispositions and notes of ended calls, with the audit. */
  afterCall: AfterCallWork;
  /** Long work (imports, exports), run outside the chats' turns. */
  jobs: BackgroundJobs;
  /** The reports: the CSV export of calls, the figures of a period and their chart. */
  reports: CallReports;
  /** Which calls have a recording kept, for the export's column (the recording capability); none without it. */
  recordingsPresent?: RecordingsPresent;
  /** The clock of the reports (which day is today, when the daily report is due); the system clock without it. */
  now?: () => number;
  /** The numbers chats were asked to type (a transfer's or conference's party). */
  pending: PendingInputs;
  /** The newest state of the calls whose status this process shows. */
  views: CallViews;
  /** Scheduled callbacks: scheduling in the customer's time, listing, cancelling. */
  callbacks: Callbacks;
  /** `Call back` under a final status offers when (the disposition keyboard calls it). */
  callbackOffer: CallbackOffer;
  /** The clock callbacks are judged and reminded by; the real one unless a spec moves it by hand. */
  callbackClock?: CallbackClock;
  /** Caller-ID verification calls. */
  verification: CallerIdVerification;
  /** Supervisors' listen, whisper and barge on the calls this process runs; without it /live says it is not available. */
  supervision?: SupervisionDesk;
  /** Cluster mode: supervision asked for here and run by the owner of the call's server; /live lists the whole cluster's calls. */
  clusterSupervision?: RequestedSupervisions;
  /** Call recording's admin side (policies, announcements, kept recordings); without it its commands say it is not set up. */
  recording?: RecordingAdmin;
  /** The endpoints of the signed webhooks out (/webhooks); without them the command says they are not set up. */
  webhooks?: WebhookEndpoints;
  /** The HTTP API's call requests (prompts, taps, the /settings switch); without it they are not offered. */
  integration?: IntegrationCalls;
  /** The HTTP API's keys, for /apikeys; without it the command says the API is not set up. */
  apiKeys?: ApiKeys;
  stores: Stores;
  out: TelegramOut;
  logger: Logger;
  /** Minimum time between two edits of one status message. */
  statusEditIntervalMs: number;
  /**
   * Cluster mode: runs one chat's update while no other instance handles one of that chat, so a
   * chat's updates keep their order across instances. This process keeps their order itself.
   */
  inChatTurn?: <T>(chatId: number, handle: () => Promise<T>) => Promise<T>;
}

/** One incoming command or button tap, with who sent it. */
export interface Incoming {
  deps: BotDeps;
  chatId: number;
  from: User;
  userId: string;
  role: Role;
  /** The command's argument text (after the command), trimmed. */
  args: string;
  /** The message a tapped button sits on. */
  messageId?: number;
  /** When this process received the update, before it queued behind the chat's earlier ones. */
  receivedAt?: number;
  /** When the user sent it, by Telegram's clock (a message's `date`; taps carry none). */
  sentAt?: number;
  reply(text: string, markup?: Parameters<TelegramOut['send']>[2]): Promise<number | undefined>;
}

export function displayName(user: User): string {
  return [user.first_name, user.last_name].filter(Boolean).join(' ').slice(0, 128) || `user ${user.id}`;
}
