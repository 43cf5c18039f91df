import type { DataSource } from 'typeorm';
import { type Config, loadConfig } from '../../config/config';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import type { AriSimulator } from './ari-simulator';
import { OPEN_RULES_ENV } from './bot-harness';
import { SIM_CREDENTIALS, simulatedAri } from './simulated-ari';
import { freshDatabaseUrl } from './test-database';

export interface SimulatedServerWorld {
  sim: AriSimulator;
  config: Config;
  dataSource: DataSource;
  stores: Stores;
}

/**
 * What an in-process cluster spec starts from: one simulated Asterisk, the app's configuration for
 * it with every calling rule open, and a fresh database with its stores. The spec makes the owners.
 */
export async function simulatedServerWorld(): Promise<SimulatedServerWorld> {
  const { sim } = await simulatedAri({ ringMs: 30 });
  const config = loadConfig({
    TELEGRAM_BOT_TOKEN: '1:test', SUPER_ADMIN_IDS: '1', ARI_URL: sim.url, ARI_USERNAME: SIM_CREDENTIALS.username, ARI_PASSWORD: SIM_CREDENTIALS.password, ...OPEN_RULES_ENV,
  });
  const { dataSource } = await openDatabase(await freshDatabaseUrl());
  return { sim, config, dataSource, stores: createStores(dataSource) };
}
