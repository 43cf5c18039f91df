/**
 * The Telegram Mini App's server side, as a Fastify plugin mounted at /app: the page's static
 * bundle, the sign-in that checks Telegram's initData, and the API the page calls. Every call it
 * places goes through the same desk as `/call` (engine/call-intake.ts, every rule); hang-up,
 * transfer and a consultation's end go through the same desk and party desk as the status message's buttons.
 */
import type { ServerResponse } from 'node:http';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import type { ConsultEnd, TransferMode } from '../call/call-types';
import type { CallDesk } from '../engine/call-desk';
import type { CallParties } from '../engine/call-parties';
import type { PlaceCallResult } from '../engine/call-intake';
import type { Agent, Call, ScheduledCallback } from '../entities';
import { MINIAPP, PARTY, T, callRefusalText } from '../telegram/texts';
import { pendingOf, recentOf } from './call-cards';
import { type StoredCalls, storedCallFeed, updatesFeed } from './call-feed';
import { streamEvents } from './event-stream';
import { checkInitData } from './init-data';
import type { SessionAnswer, SignInRefused, SupervisorAction } from './miniapp-types';
import { issueSessionToken, readSessionToken } from './session-token';
import { type Signed, type SupervisorHook, bearerOf, viewerOf } from './viewers';
import { readWallboard } from './wallboard';

export type { SupervisorHook } from './viewers';

export interface MiniAppDeps {
  config: Pick<Config, 'telegram' | 'miniapp' | 'afterCall' | 'reports' | 'defaultRegion'>;
  desk: CallDesk;
  /** Transfers; without it the page shows no Transfer button. */
  parties?: CallParties;
  agents: { byTelegramId(telegramId: string): Promise<Agent | null>; list(): Promise<Agent[]> };
  calls: { recentCallsOfAgent(agentId: number, limit?: number): Promise<Call[]>; byId(id: string): Promise<Call | null> };
  /** The calls' legs: in cluster mode, who is on a call another instance runs (its card's buttons). */
  legs: Pick<StoredCalls, 'legsOf'>;
  reports: { callPages(range: { from: Date; to: Date }): AsyncGenerator<Call[]> };
  callbacks: { open(agentId?: number, limit?: number): Promise<ScheduledCallback[]> };
  logger: Logger;
  /** The built page (dist/miniapp/web). */
  bundleDir: string;
  supervisors?: SupervisorHook;
  /** Told of every call placed from the app (app/main.ts shows its status message in the agent's chat too). */
  onCallPlaced?: (placed: Extract<PlaceCallResult, { ok: true }>) => void;
  /** How often the wallboard is read again while watched, beside each call update (agents' states change without one). */
  wallboardRefreshMs?: number;
  now?: () => number;
}

/** Where the build puts the page (scripts/build-miniapp.js): dist/miniapp/web, beside this file once compiled. */
export const MINIAPP_BUNDLE_DIR = path.join(__dirname, 'web');

/** Inline style attributes are allowed: Telegram's own script sets some on the page. */
const PAGE_POLICY = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'";

const RECENT_SHOWN = 10;
const CALLBACKS_SHOWN = 20;
/** The wallboard's agents change state without a call update (a disposition chosen): it is read again this often while watched. */
const WALLBOARD_REFRESH_MS = 10_000;

export function miniAppPlugin(deps: MiniAppDeps): FastifyPluginAsync {
  const now = deps.now ?? Date.now;
  const botToken = deps.config.telegram.botToken;
  const routes: FastifyPluginAsync = async (app) => {
    // The page's relative URLs (api/…, app.js) need the trailing slash.
    app.get('/app', (_request, reply) => reply.redirect('/app/'));
    await app.register(fastifyStatic, {
      root: deps.bundleDir, prefix: '/app/', index: 'index.html',
      // Everything the page loads is its own: no script, style or connection elsewhere. Telegram frames it, so framing stays allowed.
      setHeaders: (res) => res.setHeader('content-security-policy', PAGE_POLICY),
    });
    await app.register(async (api) => apiRoutes(api, deps, now, botToken), { prefix: '/app/api' });
  };
  return routes;
}

async function apiRoutes(api: FastifyInstance, deps: MiniAppDeps, now: () => number, botToken: string): Promise<void> {
  const signed = new WeakMap<FastifyRequest, Signed>();
  const { desk, config } = deps;
  /** Open event streams: a closing server ends them, or it would wait for them forever. */
  const streams = new Set<ServerResponse>();
  api.addHook('preClose', async () => { for (const stream of streams) stream.end(); });

  api.get('/texts', async () => ({ page: MINIAPP.PAGE, agentStates: MINIAPP.agentState }));

  api.post('/session', {
    schema: { body: { type: 'object', required: ['initData'], properties: { initData: { type: 'string', maxLength: 8192 } } } },
  }, async (request, reply) => {
    const { initData } = request.body as { initData: string };
    const check = checkInitData(initData, botToken, now(), config.miniapp.initDataMaxAgeS);
    if (!check.ok) {
      deps.logger.info('mini app sign-in refused', { reason: check.reason });
      return reply.code(401).send({ error: 'initdata_refused', reason: check.reason, message: MINIAPP.signInRefused[check.reason] ?? check.reason } satisfies SignInRefused);
    }
    const found = await viewerOf(String(check.user.id), deps);
    if ('refused' in found) {
      return reply.code(403).send({ error: 'not_allowed', reason: found.refused, message: MINIAPP.notAllowed[found.refused] ?? MINIAPP.notAllowed.unknown! } satisfies SignInRefused);
    }
    const expiresAtMs = now() + config.miniapp.sessionTtlS * 1000;
    return { token: issueSessionToken({ telegramId: found.viewer.telegramId, expiresAtMs }, botToken), expiresAtMs, me: found.viewer, region: config.defaultRegion } satisfies SessionAnswer;
  });

  // Every other route: a session signed here, and the user's role read again now (a revoke takes effect at once);
  // checked before the body is read, so a stranger learns nothing from how a body is refused.
  api.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url === '/app/api/session' || request.routeOptions.url === '/app/api/texts') return;
    const claims = readSessionToken(bearerOf(request), botToken, now());
    if (!claims) return reply.code(401).send({ error: 'session_ended', message: MINIAPP.sessionEnded });
    const found = await viewerOf(claims.telegramId, deps);
    if ('refused' in found) return reply.code(403).send({ error: 'not_allowed', reason: found.refused, message: MINIAPP.notAllowed[found.refused] ?? MINIAPP.notAllowed.unknown });
    signed.set(request, found);
  });
  const who = (request: FastifyRequest): Signed => signed.get(request)!;
  const agentOf = (request: FastifyRequest, reply: FastifyReply): Agent | undefined => {
    const agent = who(request).agent;
    if (!agent) void reply.code(403).send({ error: 'not_an_agent', message: MINIAPP.noAgent });
    return agent ?? undefined;
  };

  api.get('/me', async (request) => who(request).viewer);

  api.post('/calls', {
    schema: { body: { type: 'object', required: ['number'], properties: { number: { type: 'string', minLength: 1, maxLength: 64 } } } },
  }, async (request, reply) => {
    const agent = agentOf(request, reply);
    if (!agent) return reply;
    const { number } = request.body as { number: string };
    const result = await desk.placeCall({ agentTelegramId: agent.telegramId, targetInput: number, telegramChatId: agent.telegramId, receivedAt: now() });
    if (!result.ok) {
      return reply.code(422).send({ error: 'call_refused', refusal: result.refusal, ...(result.rule ? { rule: result.rule.rule } : {}), message: callRefusalText(result.refusal, result.number, result.rule) });
    }
    if (result.runsHere) deps.onCallPlaced?.(result);
    return { callId: result.callId };
  });

  // Cluster mode: every instance's calls, as the database announces their changes, each read from its rows.
  const storedCalls: StoredCalls = { byId: (id) => deps.calls.byId(id), legsOf: (ids) => deps.legs.legsOf(ids) };
  const feed = desk.changes ? storedCallFeed(desk.changes, storedCalls, deps.logger) : updatesFeed(desk.updates);

  api.get('/calls/live', async (request) => {
    const agent = who(request).agent;
    const live = agent ? await desk.liveCallOfAgent(agent.id) : undefined;
    return { call: live && agent ? await feed.liveCardOf(live, agent.id) : null };
  });

  api.post('/calls/:callId/hangup', async (request, reply) => {
    const { callId } = request.params as { callId: string };
    const { agent, role } = who(request);
    const answer = await desk.cancelCallAs(callId, { agentId: agent?.id ?? null, isAdmin: role.kind === 'admin' });
    if (answer === 'cancelled') return { ok: true };
    return reply.code(answer === 'not_yours' ? 403 : 404).send({ error: answer, message: answer === 'not_yours' ? T.notYourCall : MINIAPP.noSuchCall });
  });

  if (deps.parties) {
    const parties = deps.parties;
    const requester = (request: FastifyRequest) => {
      const { agent, role, viewer } = who(request);
      return { agentId: agent?.id ?? null, isAdmin: role.kind === 'admin', telegramId: viewer.telegramId };
    };
    api.get('/calls/:callId/transfer-candidates', async (request) => {
      const { callId } = request.params as { callId: string };
      return { agents: await parties.transferCandidates(callId, requester(request)) };
    });
    api.post('/calls/:callId/transfer', {
      schema: {
        body: {
          type: 'object', required: ['mode'],
          properties: { mode: { enum: ['cold', 'warm'] }, agentId: { type: 'integer', minimum: 1 }, number: { type: 'string', minLength: 1, maxLength: 64 } },
        },
      },
    }, async (request, reply) => {
      const { callId } = request.params as { callId: string };
      const body = request.body as { mode: TransferMode; agentId?: number; number?: string };
      const to = body.agentId !== undefined ? { kind: 'agent' as const, agentId: body.agentId } : body.number ? { kind: 'number' as const, number: body.number } : undefined;
      if (!to) return reply.code(400).send({ error: 'no_party', message: MINIAPP.badNumber });
      const answer = await parties.transfer(callId, requester(request), to, body.mode);
      if (answer.ok) return { ok: true, label: answer.label };
      return reply.code(422).send({ error: 'transfer_refused', refusal: answer.refusal, message: PARTY.refusal(answer) });
    });
    // The end of a warm transfer's consultation, as the status message's ✅ Complete, ↩️ Back and 👥 Conference end it.
    api.post('/calls/:callId/consultation', {
      schema: { body: { type: 'object', required: ['how'], properties: { how: { enum: ['complete', 'back', 'conference'] } } } },
    }, async (request, reply) => {
      const { callId } = request.params as { callId: string };
      const { how } = request.body as { how: ConsultEnd };
      const answer = await parties.finishConsult(callId, requester(request), how);
      if (answer.ok) return { ok: true };
      const status = answer.refusal === 'not_owner' ? 403 : answer.refusal === 'no_such_call' ? 404 : 422;
      return reply.code(status).send({ error: 'consultation_refused', refusal: answer.refusal, message: PARTY.refusalOf(answer.refusal) });
    });
  }

  api.get('/recent', async (request) => {
    const agent = who(request).agent;
    return { calls: agent ? (await deps.calls.recentCallsOfAgent(agent.id, RECENT_SHOWN)).map(recentOf) : [] };
  });

  api.get('/callbacks', async (request) => {
    const agent = who(request).agent;
    return { callbacks: agent ? (await deps.callbacks.open(agent.id, CALLBACKS_SHOWN)).map(pendingOf) : [] };
  });

  const wallboard = () => readWallboard({ ...deps, actions: deps.supervisors?.actions ?? [], now });

  api.get('/wallboard', async (request, reply) => {
    if (!who(request).viewer.watches) return reply.code(403).send({ error: 'not_a_supervisor', message: MINIAPP.notWatcher });
    return wallboard();
  });

  if (deps.supervisors) {
    const supervisors = deps.supervisors;
    api.post('/calls/:callId/supervise', {
      schema: { body: { type: 'object', required: ['action'], properties: { action: { enum: ['listen', 'whisper', 'barge'] } } } },
    }, async (request, reply) => {
      const { viewer, role } = who(request);
      if (!viewer.watches) return reply.code(403).send({ error: 'not_a_supervisor', message: MINIAPP.notWatcher });
      const { callId } = request.params as { callId: string };
      const { action } = request.body as { action: SupervisorAction };
      const done = await supervisors.act(callId, action, { telegramId: viewer.telegramId, isAdmin: role.kind === 'admin' });
      return done.ok ? { ok: true } : reply.code(422).send({ error: 'supervise_refused', message: done.message });
    });
  }

  api.get('/events', (request, reply) => {
    const { viewer, agent } = who(request);
    reply.hijack();
    const res = reply.raw;
    streams.add(res);
    res.on('close', () => streams.delete(res));
    streamEvents(res, {
      desk, feed, ...(agent ? { agentId: agent.id } : {}), ...(viewer.watches ? { wallboard } : {}),
      wallboardRefreshMs: deps.wallboardRefreshMs ?? WALLBOARD_REFRESH_MS, logger: deps.logger,
    });
  });
}
