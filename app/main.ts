import 'reflect-metadata';
import dotenv from 'dotenv';
import { Bot } from 'node-telegram-bot-api';
import { NEVER } from 'rxjs';
import type { DataSource } from 'typeorm';
import type { ClusterSettings } from '../config/cluster-settings';
import { type Config, ConfigError, loadConfig } from '../config/config';
import { type Logger, createLogger } from '../config/logger';
import { packageVersion } from '../config/version';
import { openDatabase } from '../store/data-source';
import { AriAdapter } from '../ari/ari-adapter';
import { CallEngine, DEFAULT_RETURN_CALL_SETTINGS } from '../engine/call-engine';
import { returnCallSourcesOf } from '../store/return-call-sources';
import { CallerIdVerification } from '../verification/caller-id-verification';
import { VerificationRunner } from '../verification/verification-runner';
import { type Stores, createStores } from '../store';
import { createCallRules } from '../compliance/rules';
import { CallBot } from '../telegram/bot';
import { ChatLocks } from '../cluster/chat-locks';
import { startClusterNode } from '../cluster/cluster-node';
import { ClusterStoredRecordings } from '../cluster/cluster-recordings';
import { engineDesk, withRefusals } from '../engine/call-desk';
import { SupervisionDesk } from '../engine/supervision-desk';
import { SupervisionRunner } from '../engine/supervision-runner';
import { stopLiveRefresh } from '../telegram/commands/supervision';
import { callPartiesDesk } from '../engine/call-engine-parties';
import { BotTokenRefused, checkBotApi } from '../telegram/bot-api-check';
import { answerCommandLine } from './command-line';
import { Operations, type OperationsSources } from '../ops/operations';
import { Shutdown } from './shutdown';
import { TelegramOut, botOptions } from '../telegram/telegram-out';
import { OPERATOR } from '../telegram/texts';
import { RecordingMedia } from '../recording/recording-media';
import { FfmpegMissing } from '../recording/ffmpeg';
import { telegramRecordingDelivery } from '../telegram/recording-delivery';
import { Webhooks } from '../webhooks/webhooks';
import { ApiKeys } from '../api/api-keys';
import { apiPlugin } from '../api/api-plugin';
import { IntegrationCalls } from '../api/integration-calls';
import { DncService } from '../compliance/dnc-service';
import { type HttpPart, startHttpServer } from '../http/http-server';
import { setMiniAppMenuButton } from '../telegram/menu-button';
import { miniAppPart } from '../miniapp/miniapp-part';
import { ApiRateCounter } from '../cluster/api-rate-counter';
import { supervisorHook } from '../miniapp/supervisor-hook';
import { SupervisorRoster } from '../agents/supervisor-roster';

/** How long a stopping process gives live calls to end, then queued Telegram messages to leave (within the stop's hard cap). */
const SHUTDOWN_CALLS_MS = 4000;
const SHUTDOWN_DRAIN_MS = 3000;
/** At most one intermediate edit of a status message a second (Telegram throttles edits of one message at about that). */
const STATUS_EDIT_INTERVAL_MS = 1000;
/** Cluster mode: how long a starting instance waits before queuing the call ends no outbox wrote (another instance may be writing one just then). */
const CLUSTER_MISSED_ENDS_AFTER_MS = 10_000;
/** Cluster mode: how often each instance checks the database for the events an instance that died did not queue. */
const CLUSTER_RECHECK_EVERY_MS = 30_000;

/** The composition root: configuration, database, ARI, engine and bot, and a clean shutdown. */
async function main(): Promise<void> {
  const version = packageVersion();
  const answered = answerCommandLine(process.argv.slice(2), version);
  if (answered !== undefined) process.exit(answered);
  dotenv.config({ quiet: true });
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every variable.\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger({
    level: config.log.level,
    format: config.log.format,
    secrets: config.secrets,
  });
  process.on('unhandledRejection', (err) => logger.error('unhandled rejection', { err }));
  const shutdown = new Shutdown({ logger });
  shutdown.listen();

  const ops = new Operations(config.metrics, logger);
  const bot = new Bot(config.telegram.botToken, botOptions(config.telegram.apiRoot, ops.telegramFetch));
  try {
    await checkBotApi(bot.api, logger);
  } catch (err) {
    if (!(err instanceof BotTokenRefused)) throw err;
    process.stderr.write(`${OPERATOR.tokenRefused(err.status)}\n`);
    process.exit(2);
  }

  const { dataSource, applied } = await openDatabase(config.databaseUrl);
  shutdown.add('the database', () => dataSource.destroy());
  logger.info('database ready', { type: dataSource.options.type, migrationsApplied: applied });
  const stores = createStores(dataSource);

  const out = new TelegramOut(bot.api, logger);
  // The HTTP API's call requests and keys: the bot takes the taps and /apikeys, the API the requests.
  const dnc = new DncService({ dnc: stores.dnc, calls: stores.calls, audit: stores.audit, numbers: config });
  const integration = new IntegrationCalls({
    requests: stores.apiCallRequests, agents: stores.agents, settings: stores.settings, audit: stores.audit, dnc, config, logger,
  });
  const apiKeys = new ApiKeys({ keys: stores.apiKeys, audit: stores.audit, defaultRatePerMin: config.api.defaultRatePerMin });
  const parts: Parts = { config, bot, dataSource, stores, out, logger, ops, shutdown, integration, apiKeys };
  const started = config.cluster ? await startCluster(parts, config.cluster) : await startSingle(parts);
  integration.connect(started.callBot.agentSide());
  const server = config.api.server;
  if (server) {
    // One server for the API and the Mini App (its plugin joins this list).
    const httpParts: HttpPart[] = [
      apiPlugin({
        keys: apiKeys, calls: integration, pages: stores.callPages, dnc, audit: stores.audit, config, logger,
        // Several instances serve the API: a key's requests are counted in the database, over all of them.
        ...(config.cluster ? { rateCounter: new ApiRateCounter(dataSource) } : {}),
      }), started.miniApp,
    ];
    const http = await startHttpServer({ host: server.host, port: server.port, bodyLimitBytes: server.bodyLimitBytes, logger, parts: httpParts });
    shutdown.add('the HTTP API', () => http.close());
  }
  await ops.start({ database: dataSource, outbox: out.outbox, ...started.operations });
  shutdown.add('the operators\' endpoint', () => ops.stop());
  void started.callBot.registerCommands();
  // The Mini App (miniapp/) opens from the menu button when its public URL is configured.
  void setMiniAppMenuButton(bot.api, config.miniapp.url, logger);
  logger.info('callbot started', { version, mode: config.telegram.webhook ? 'webhook' : 'polling', ariApp: config.ari.app, ...started.logFields });
}

/** What both ways of running share, once the database and the bot are up. */
interface Parts {
  config: Config;
  bot: Bot;
  dataSource: DataSource;
  stores: Stores;
  out: TelegramOut;
  logger: Logger;
  ops: Operations;
  shutdown: Shutdown;
  integration: IntegrationCalls;
  apiKeys: ApiKeys;
}

interface Started {
  callBot: CallBot;
  /** The Mini App on this mode's desk and party desk, for the HTTP server. */
  miniApp: HttpPart;
  operations: Pick<OperationsSources, 'ari' | 'engine' | 'servers'>;
  logFields: Record<string, unknown>;
}

/** One instance, one Asterisk: the engine in this process; calls a previous run left live are resumed once ARI connects. */
async function startSingle({ config, bot, stores, out, logger, ops, shutdown, integration, apiKeys }: Parts): Promise<Started> {
  const ari = new AriAdapter({
    url: config.ari.url, username: config.ari.username, password: config.ari.password, app: config.ari.app,
    requestTimeoutMs: config.ari.requestTimeoutMs, logger,
  });
  shutdown.add('ARI', () => ari.close());
  const verifier = new VerificationRunner({ ari, app: config.ari.app, logger });
  verifier.start();
  const verification = new CallerIdVerification({
    config, runner: verifier, pool: stores.callerIds, audit: stores.audit, logger, isTelephonyOnline: () => ari.isConnected(),
  });
  const rules = createCallRules(config, stores);
  // Recording: the policies and announcements read at dial time, and after each call its file from this Asterisk.
  const recording = new RecordingMedia({ config, stores, stored: ari, delivery: telegramRecordingDelivery(out), logger });
  // Supervisors' listen, whisper and barge (call/supervision.ts): their own channels and bridges, which the orphan sweep leaves while live.
  const supervisions = new SupervisionRunner({ ari, app: config.ari.app, audit: stores.audit, logger });
  const supervisionEvents = supervisions.follow(ari);
  const otherChannels = { ownedChannelIds: () => new Set([...verifier.ownedChannelIds(), ...supervisions.ownedIds()]) };
  const engine = new CallEngine({
    config, ari, ...stores, parties: stores.legs, ...ops.engineHooks(stores.calls), rules, otherChannels, logger,
    recordingPolicies: recording.policies, consentAnnouncements: recording.announcements,
    returnCalls: { sources: returnCallSourcesOf(stores), settings: { ...config.returnCalls, missedMessageTimeoutS: DEFAULT_RETURN_CALL_SETTINGS.missedMessageTimeoutS } },
  });
  const parties = callPartiesDesk(engine, { config, agents: stores.agents, calls: stores.calls, audit: stores.audit, rules });
  const supervision = new SupervisionDesk({ calls: engine, runner: supervisions, config });
  // Signed webhooks out: the engine's streams are followed before it starts, so no early update is missed.
  const webhooks = new Webhooks({ stores, settings: config.webhooks, logger, workerId: `callbot-${process.pid}`, requestStepsWithinMs: config.api.promptTtlS * 1000 });
  webhooks.follow({ updates: engine.updates, refusals: engine.refusals, recordings: recording.pipeline.kept });
  const interrupted = await engine.start();

  const desk = withRefusals(engineDesk(engine), parties.refusals);
  const callBot = new CallBot({
    config, desk, parties, verification, stores, out, logger, statusEditIntervalMs: STATUS_EDIT_INTERVAL_MS,
    recording, recordingsPresent: (callIds) => recording.recordingsPresent(callIds), supervision, integration, apiKeys,
    webhooks: webhooks.endpoints,
  }, bot);
  webhooks.follow({ updates: NEVER, dispositions: callBot.dispositions, integration: integration.events });
  // A status message of a call the last run left behind would otherwise show "live" forever; a
  // return call nobody had taken is a missed call back.
  callBot.tellInterrupted(interrupted);
  // The calls the last run left live are resumed on the first connect: their status messages are followed again.
  engine.resumed.subscribe(({ call, view }) => callBot.followResumedCall(
    { chatId: call.telegramChatId ?? call.context.agentTelegramId, context: call.context, stage: call.stage, statusMessageId: call.statusMessageId },
    view.updates, (chatId, messageId) => engine.attachStatusMessage(call.id, chatId, messageId),
  ));
  // Customers calling a pool number back: shown to the agent their call rings.
  engine.returnCalls.subscribe((view) => callBot.followReturnCall(
    { chatId: view.context.agentTelegramId, context: view.context, stage: view.stage },
    view.updates, (chatId, messageId) => engine.attachStatusMessage(view.context.callId, chatId, messageId),
  ));
  void ari.start();
  shutdown.add('live calls and Telegram', async () => {
    logger.info('ending live calls', { liveCalls: engine.liveCalls().length });
    for (const call of engine.liveCalls()) engine.cancelCall(call.context.callId, 'system');
    supervisions.endAll();
    stopLiveRefresh();
    await callBot.stop();
    await verifier.stop();
    await engine.stop(SHUTDOWN_CALLS_MS);
    supervision.stop();
    supervisionEvents.unsubscribe();
    supervisions.stopTimers();
    await supervisions.settled();
    // A recording not yet delivered is kept in its row and resumed at the next start.
    await recording.stop();
    // The ended calls' events are written to the queue; what is not posted yet is the next start's.
    await webhooks.stop();
    // The ended calls' final statuses are in the outbox: give them a moment to reach the agents.
    await out.outbox.drained(SHUTDOWN_DRAIN_MS);
  });
  webhooks.start();
  await callBot.start();
  try {
    await recording.start({ updates: engine.updates, jobs: callBot.jobs });
  } catch (err) {
    if (!(err instanceof FfmpegMissing)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  const roster = new SupervisorRoster({ supervisors: stores.supervisors, agents: stores.agents, audit: stores.audit, config });
  const miniApp = miniAppPart({ config, stores, desk, parties, callBot, logger, supervisors: supervisorHook(supervision, roster) });
  return { callBot, miniApp, operations: { ari, engine }, logFields: {} };
}

/** One instance of several on PostgreSQL (cluster-node.ts): servers by lease, Telegram by webhook or the polling lease. */
async function startCluster({ config, bot, dataSource, stores, out, logger, ops, shutdown, integration, apiKeys }: Parts, cluster: ClusterSettings): Promise<Started> {
  const hooks = ops.engineHooks(stores.calls);
  // Recording: every server's engine reads the policies and announcements at dial time; after each call
  // this instance ran to its end, the file comes from the server the call ran on (its row says which).
  const stored = new ClusterStoredRecordings({
    servers: config.asteriskServers, calls: stores.calls, requestTimeoutMs: config.ari.requestTimeoutMs, userAgent: `callbot (${cluster.instanceId})`,
  });
  const recording = new RecordingMedia({ config, stores, stored, delivery: telegramRecordingDelivery(out), logger, owner: cluster.instanceId });
  const node = await startClusterNode({
    config, cluster, dataSource, stores, out, logger, statusEditIntervalMs: STATUS_EDIT_INTERVAL_MS, ...(hooks.setup ? { setup: hooks.setup } : {}),
    recordingPolicies: recording.policies, consentAnnouncements: recording.announcements,
  });
  const chatLocks = new ChatLocks(config.databaseUrl);
  // A party request is answered for the calls this instance runs (cluster-node.ts); refused numbers count for the abuse alerts.
  const desk = withRefusals(node.desk, node.parties.refusals);
  // Signed webhooks out: every instance tells the events of the calls it runs; the queue's leases decide who posts each.
  const webhooks = new Webhooks({ stores, settings: config.webhooks, logger, workerId: cluster.instanceId, missedEndsAfterMs: CLUSTER_MISSED_ENDS_AFTER_MS,
    recheckEveryMs: CLUSTER_RECHECK_EVERY_MS, requestStepsWithinMs: config.api.promptTtlS * 1000 });
  const callBot = new CallBot({
    config, desk, parties: node.parties, verification: node.verification, stores, out, logger, statusEditIntervalMs: STATUS_EDIT_INTERVAL_MS,
    inChatTurn: (chatId, handle) => chatLocks.run(chatId, handle),
    recording, recordingsPresent: (callIds) => recording.recordingsPresent(callIds), integration, apiKeys,
    webhooks: webhooks.endpoints,
    // Supervision: asked for here, run by the owner of the call's server (cluster/server-supervisions.ts).
    clusterSupervision: node.supervision,
  }, bot);
  webhooks.follow({ updates: node.desk.updates, refusals: node.desk.refusals, dispositions: callBot.dispositions, recordings: recording.pipeline.kept, integration: integration.events });
  // Customers calling a pool number back, taken by the owner of the server they call: shown to the agent their call rings.
  node.returnCalls.subscribe(({ shown, updates, attach }) => callBot.followReturnCall(shown, updates, attach));
  // A stopping instance hands its servers over: their calls go on, and the next owner takes them over.
  shutdown.add('this instance\'s servers and Telegram', async () => {
    stopLiveRefresh();
    await callBot.stop();
    await chatLocks.end();
    await node.stop();
    // A recording not yet delivered is kept in its row and resumed at the next start.
    await recording.stop();
    await webhooks.stop();
    stored.close();
    await out.outbox.drained(SHUTDOWN_DRAIN_MS);
  });
  webhooks.start();
  await callBot.start({ polling: 'when-told' });
  try {
    // The final updates of the calls this instance's engines end: one that took a server over mid-call
    // ends it here, the one that let it go sees no end. call_recordings is begun once per call.
    await recording.start({ updates: node.desk.updates, jobs: callBot.jobs });
  } catch (err) {
    if (!(err instanceof FfmpegMissing)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  if (!config.telegram.webhook) {
    node.pollingLease.events.subscribe((event) => (event.kind === 'held' ? callBot.startPolling() : callBot.pausePolling()));
    node.pollingLease.start();
  }
  return {
    callBot,
    miniApp: miniAppPart({ config, stores, desk, parties: node.parties, callBot, logger }),
    operations: {
      ari: { isConnected: () => node.owners.some((o) => o.isConnected()), connection: NEVER },
      engine: { updates: node.desk.updates, liveCalls: () => node.owners.flatMap((o) => o.engine?.liveCalls() ?? []) },
      servers: node.servers,
    },
    logFields: { cluster: cluster.instanceId, servers: config.asteriskServers.map((s) => s.id) },
  };
}

main().catch((err: unknown) => {
  process.stderr.write(`callbot failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
