import { createCallRules } from '../../../compliance/rules';
import { CALL_PARTY_CORE, partyEngineOf } from '../../../engine/call-engine-parties';
import { CallPartiesDesk } from '../../../engine/call-parties-desk';
import type { PartyRequester } from '../../../engine/call-parties';
import { dialChecksOf } from '../../../engine/dial-checks';
import type { CallState } from '../../../call/call-machine';
import type { E2eBot } from './e2e-bot';

/**
 * The party desk (transfer, consultation, conference) over an e2e bot's own engine and stores,
 * wired as app/main.ts wires it; the bot's buttons reach the same desk once the Telegram layer
 * offers them.
 */
export function partyDeskOf(bot: E2eBot): CallPartiesDesk<CallState> {
  const { engine, stores, config } = bot;
  return new CallPartiesDesk({
    engine: partyEngineOf(engine), core: CALL_PARTY_CORE, agents: stores.agents, calls: stores.calls, audit: stores.audit,
    checks: dialChecksOf({ config, rules: createCallRules(config, stores) }), config,
  });
}

/** The agent as the desk hears them ask. */
export async function requesterOf(bot: E2eBot, telegramId: string): Promise<PartyRequester> {
  const agent = await bot.stores.agents.byTelegramId(telegramId);
  if (!agent) throw new Error(`no agent ${telegramId}`);
  return { agentId: agent.id, isAdmin: false, telegramId };
}
