import 'reflect-metadata';
import dotenv from 'dotenv';
import { Bot } from 'node-telegram-bot-api';
import { ConfigError, loadConfig } from '../config/config';
import { createLogger } from '../config/logger';
import { openDatabase } from '../ormconfig';
import { AriAdapter } from '../stasis/ari-adapter';
import { CallEngine } from '../stasis/call-engine';
import { createStores } from '../store';
import { createCallRules } from '../rules';
import { CallBot } from './bot';
import { Operations } from './operations';
import { TelegramOut, botOptions } from './telegram-out';
import { T } from './texts';

/** How long a stopping process waits for queued Telegram messages. */
const SHUTDOWN_DRAIN_MS = 5000;

/** The composition root: configuration, database, ARI, engine and bot, and a clean shutdown. */
async function main(): Promise<void> {
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

  const { dataSource, applied } = await openDatabase(config.databaseUrl);
  logger.info('database ready', { type: dataSource.options.type, migrationsApplied: applied });
  const stores = createStores(dataSource);

  const ari = new AriAdapter({
    url: config.ari.url, username: config.ari.username, password: config.ari.password, app: config.ari.app,
    requestTimeoutMs: config.ari.requestTimeoutMs, logger,
  });
  const ops = new Operations(config.metrics, logger);
  const engine = new CallEngine({ config, ari, ...stores, ...ops.engineHooks(stores.calls), rules: createCallRules(config, stores), logger });
  const interrupted = await engine.start();
  void ari.start();

  const bot = new Bot(config.telegram.botToken, botOptions(config.telegram.apiRoot, ops.telegramFetch));
  const out = new TelegramOut(bot.api, logger);
  // A status message of a call the last run left behind would otherwise show "live" forever.
  for (const call of interrupted) {
    if (call.telegramChatId && call.statusMessageId) void out.edit(call.telegramChatId, call.statusMessageId, T.interrupted, undefined, 'final');
  }
  const callBot = new CallBot({ config, engine, stores, out, logger, statusEditIntervalMs: 1000 }, bot);
  await callBot.start();
  await ops.start({ database: dataSource, ari, engine, outbox: out.outbox });
  void callBot.registerCommands();
  logger.info('callbot started', { mode: config.telegram.webhook ? 'webhook' : 'polling', ariApp: config.ari.app });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down: ending live calls', { signal, liveCalls: engine.liveCalls().length });
    for (const call of engine.liveCalls()) engine.cancelCall(call.context.callId, 'system');
    await callBot.stop();
    await engine.stop(5_000);
    // The ended calls' final statuses are in the outbox: give them a moment to reach the agents.
    await out.outbox.drained(SHUTDOWN_DRAIN_MS);
    await ops.stop();
    await ari.close();
    await dataSource.destroy();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`callbot failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
