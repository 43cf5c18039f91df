/**
 * The Mini App as a part of the service's HTTP server (app/main.ts passes it with the API's parts):
 * its plugin on the stores, the desk and the party desk the bot uses, and a call placed from the app
 * shown in the agent's chat as the bot shows its own.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import type { CallDesk } from '../engine/call-desk';
import type { CallParties } from '../engine/call-parties';
import type { Stores } from '../store';
import type { CallBot } from '../telegram/bot';
import { MINIAPP_BUNDLE_DIR, type SupervisorHook, miniAppPlugin } from './miniapp-plugin';

export interface MiniAppWiring {
  config: Config;
  stores: Pick<Stores, 'agents' | 'calls' | 'reports' | 'callbacks' | 'legs'>;
  desk: CallDesk;
  parties?: CallParties;
  callBot: Pick<CallBot, 'followResumedCall'>;
  logger: Logger;
  supervisors?: SupervisorHook;
  /** The built page; dist/miniapp/web unless a spec builds its own. */
  bundleDir?: string;
  wallboardRefreshMs?: number;
}

export function miniAppPart(w: MiniAppWiring): FastifyPluginAsync {
  const { stores, desk } = w;
  return miniAppPlugin({
    config: w.config, desk, ...(w.parties ? { parties: w.parties } : {}),
    agents: stores.agents, calls: stores.calls, reports: stores.reports, callbacks: stores.callbacks, legs: stores.legs,
    logger: w.logger, bundleDir: w.bundleDir ?? MINIAPP_BUNDLE_DIR,
    ...(w.supervisors ? { supervisors: w.supervisors } : {}), ...(w.wallboardRefreshMs ? { wallboardRefreshMs: w.wallboardRefreshMs } : {}),
    // The status message with its buttons, in the agent's chat, as for a /call (the status follows whoever holds the call).
    onCallPlaced: (placed) => w.callBot.followResumedCall(
      { chatId: placed.context.agentTelegramId, context: placed.context, stage: 'requested', statusMessageId: null }, placed.updates,
      (chatId, messageId) => desk.attachStatusMessage(placed.callId, chatId, messageId),
    ),
  });
}
