/**
 * The Mini App on a BotHarness: its page bundled fresh from miniapp/web (once per test file), its
 * plugin on a Fastify server of its own on loopback, wired to the harness's engine as app/main.ts
 * wires it, and initData signed as Telegram signs it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { silentLogger } from '../../config/logger';
import { createCallRules } from '../../compliance/rules';
import { engineDesk, withRefusals } from '../../engine/call-desk';
import { callPartiesDesk } from '../../engine/call-engine-parties';
import { signInitData } from '../../miniapp/init-data';
import type { SupervisorHook } from '../../miniapp/miniapp-plugin';
import { miniAppPart } from '../../miniapp/miniapp-part';
import { BOT_TOKEN, type BotHarness } from './bot-harness';

const { buildMiniApp } = require('../../scripts/build-miniapp') as { buildMiniApp(out?: string): string | undefined };

let bundle: string | undefined;

/** The page, built by the same script as `npm run build`, into a directory of this test run. */
export function builtMiniAppBundle(): string {
  if (bundle) return bundle;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-miniapp-'));
  const problem = buildMiniApp(dir);
  if (problem) throw new Error(`the Mini App's page did not build: ${problem}`);
  bundle = dir;
  return dir;
}

export interface MiniAppServiceOptions {
  supervisors?: SupervisorHook;
  wallboardRefreshMs?: number;
}

export class MiniAppService {
  private constructor(private readonly app: FastifyInstance, readonly url: string) {}

  static async start(h: BotHarness, opts: MiniAppServiceOptions = {}): Promise<MiniAppService> {
    const { config, engine, stores } = h;
    const rules = createCallRules(config, stores);
    const parties = callPartiesDesk(engine, { config, agents: stores.agents, calls: stores.calls, audit: stores.audit, rules });
    const desk = withRefusals(engineDesk(engine), parties.refusals);
    const app = Fastify({ logger: false, forceCloseConnections: true });
    // Wired as app/main.ts wires it, on the harness's engine (the bot's desk and party desk).
    await app.register(miniAppPart({
      config, stores, desk, parties, callBot: h.callBot, logger: silentLogger(), bundleDir: builtMiniAppBundle(), ...opts,
    }));
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    return new MiniAppService(app, address);
  }

  /** What Telegram puts in the page's URL for this user, signed with the bot's token (or `token`), `ageS` seconds ago. */
  initDataFor(user: { id: number; first_name: string }, opts: { ageS?: number; token?: string } = {}): string {
    return signInitData({
      query_id: `AAH${user.id}`, user: JSON.stringify(user), auth_date: String(Math.floor(Date.now() / 1000) - (opts.ageS ?? 0)),
    }, opts.token ?? BOT_TOKEN);
  }

  stop(): Promise<void> {
    return this.app.close();
  }
}
