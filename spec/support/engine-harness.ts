import type { DataSource } from 'typeorm';
import { type Config, loadConfig } from '../../config/config';
import { silentLogger } from '../../config/logger';
import { openDatabase } from '../../store/data-source';
import type { AriPort } from '../../ari/ari-port';
import { CallEngine, type CallEngineDeps } from '../../engine/call-engine';
import type { CallRecords } from '../../engine/call-engine-ports';
import { type Stores, createStores } from '../../store';
import { returnCallSourcesOf } from '../../store/return-call-sources';
import type { ReturnCallSettings } from '../../engine/return-call-intake';
import type { CallUpdate } from '../../call/call-update';
import type { FakeAri } from './fake-ari';
import { closeDatabase, freshDatabaseUrl } from './test-database';

export const TEST_ENV = {
  TELEGRAM_BOT_TOKEN: '123456:TEST-token_value',
  SUPER_ADMIN_IDS: '1000',
  ARI_USERNAME: 'callbot',
  ARI_PASSWORD: 'test-password',
  AGENT_RING_TIMEOUT_S: '20',
  TARGET_RING_TIMEOUT_S: '20',
};

export interface EngineHarness {
  /** Where its database is, for another engine on the same one. */
  databaseUrl: string;
  config: Config;
  dataSource: DataSource;
  stores: Stores;
  engine: CallEngine;
  close(): Promise<void>;
}

/**
 * A call engine on a fresh database (SQLite unless TEST_DATABASE_URL names PostgreSQL), or on
 * `databaseUrl`'s with a connection of its own, as a second process of the app would be.
 */
export async function startEngine(
  ari: AriPort, env: Record<string, string> = {},
  options: Pick<CallEngineDeps, 'teardownRetry' | 'rules' | 'now' | 'otherChannels' | 'recordingPolicies' | 'consentAnnouncements'> & {
    /** Records added legs and multi-party steps in the store's call_legs (stores.legs), and reads them back on a restart. */
    recordParties?: boolean;
    hooks?: (calls: CallRecords) => Pick<CallEngineDeps, 'calls' | 'setup'>;
    /** Takes customers' calls to pool numbers (return calls) with these settings, routed by the stores. */
    returnCalls?: ReturnCallSettings;
    databaseUrl?: string;
  } = {},
): Promise<EngineHarness> {
  const config = loadConfig({ ...TEST_ENV, ...env });
  const { hooks, databaseUrl: shared, recordParties, returnCalls, ...deps } = options;
  const databaseUrl = shared ?? await freshDatabaseUrl();
  const { dataSource } = await openDatabase(databaseUrl);
  const stores = createStores(dataSource);
  const engine = new CallEngine({
    config, ari, ...stores, ...hooks?.(stores.calls), logger: silentLogger(), ...(recordParties ? { parties: stores.legs } : {}),
    ...(returnCalls ? { returnCalls: { sources: returnCallSourcesOf(stores), settings: returnCalls } } : {}), ...deps,
  });
  return {
    databaseUrl, config, dataSource, stores, engine,
    async close() {
      await engine.stop();
      await closeDatabase(dataSource);
    },
  };
}

export async function addAgent(stores: Stores, telegramId = '2001', route: 'M' | 'D' | null = 'M') {
  await stores.agents.authorize({ telegramId, phone: '+15551230001', callerId: '+15550001111', by: '1000', displayName: 'Ann Agent' });
  if (route) await stores.agents.setRoute(telegramId, route);
  return (await stores.agents.byTelegramId(telegramId))!;
}

/**
 * Places agent 2001's call to 202-555-0123 on an in-memory ARI and brings it to the agent's answer:
 * the customer's channel is in the app (not dialed yet), the agent's is up and in Stasis.
 */
export async function callWithAgentAnswered(h: EngineHarness, ari: FakeAri): Promise<{ callId: string; updates: CallUpdate[] }> {
  const result = await h.engine.placeCall({ agentTelegramId: '2001', targetInput: '202-555-0123', telegramChatId: '2001' });
  if (!result.ok) throw new Error(`refused: ${result.refusal}`);
  const updates: CallUpdate[] = [];
  result.updates.subscribe((u) => updates.push(u));
  const { callId } = result;
  await ari.deliver({ type: 'StasisStart', channelId: `${callId}-target`, channelState: 'Down', args: ['target', callId] });
  await ari.deliver({ type: 'ChannelStateChange', channelId: `${callId}-agent`, channelState: 'Up' });
  await ari.deliver({ type: 'StasisStart', channelId: `${callId}-agent`, channelState: 'Up', args: ['agent', callId] });
  return { callId, updates };
}
