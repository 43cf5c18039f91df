/**
 * The HTTP API, versioned under /v1, as one Fastify plugin for the server of http/http-server.ts:
 * bearer keys (api-keys.ts) with scopes and a rate per key, every use audited with the key's name,
 * and the OpenAPI 3.1 document of its routes at /v1/openapi.json.
 */
import fs from 'node:fs';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '../config/logger';
import type { Config } from '../config/config';
import type { DncService } from '../compliance/dnc-service';
import type { AuditLog } from '../store';
import type { CallPages } from '../store';
import { checkListableNumber } from '../phone/number-policy';
import type { ApiCaller, ApiKeys, ApiScope } from './api-keys';
import { callViewOf, cursorAfter, cursorOf } from './call-view';
import { type ApiAnswer, type CallRequestBody, type IntegrationCalls, problem } from './integration-calls';
import {
  callIdParamsSchema, callPageSchema, callQuerySchema, callRequestAnswerSchema, callRequestBodySchema, callSchema, dncBodySchema, dncEntrySchema,
  dncParamsSchema, problemSchema,
} from './api-schemas';
import { packageVersion } from '../config/version';
import { type RateCounter, sharedRateStore } from './shared-rate-limit';

declare module 'fastify' {
  interface FastifyRequest {
    apiCaller?: ApiCaller;
  }
  interface FastifyContextConfig {
    /** The scope a key needs for this route; none: the route is public (the OpenAPI document). */
    scope?: ApiScope;
  }
}

export interface ApiDeps {
  keys: ApiKeys;
  calls: IntegrationCalls;
  pages: CallPages;
  dnc: DncService;
  audit: AuditLog;
  config: Pick<Config, 'defaultRegion'>;
  logger: Logger;
  /**
   * Where the keys' requests are counted when several instances serve the API (cluster mode): a
   * counter they share. Without it each process counts its own, in memory.
   */
  rateCounter?: RateCounter;
}

const RATE_WINDOW_MS = 60_000;
const IDEMPOTENCY_KEY = '^[\\x21-\\x7e]{1,128}$';

const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, problemSchema]));

/** The API as a plugin: `server.register(apiPlugin(deps))`. */
export function apiPlugin(deps: ApiDeps) {
  return async function api(app: FastifyInstance): Promise<void> {
    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: 'callbot API', version: packageVersion(), description: 'Place calls for agents, read calls, manage the do-not-call list. See docs/integrations.md.' },
        components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A key from /apikeys add, as `Authorization: Bearer cb.<name>.<secret>`.' } } },
        security: [{ apiKey: [] }],
      },
    });
    app.decorateRequest('apiCaller', undefined);
    // Before the rate limit (a preHandler), so the limit counts per key, not per address.
    app.addHook('onRequest', async (request, reply) => {
      const scope = request.routeOptions.config.scope;
      if (!scope) return;
      const caller = await deps.keys.authenticate(bearerOf(request));
      if (!caller) return send(reply, problem(401, 'unknown_key', 'Send a live API key as `Authorization: Bearer cb.<name>.<secret>` (/apikeys add makes one).'));
      request.apiCaller = caller;
      if (!caller.scopes.has(scope)) return send(reply, problem(403, 'missing_scope', `The key ${caller.name} lacks the scope ${scope}.`, { scope }));
    });
    app.addHook('onResponse', async (request, reply) => {
      const caller = request.apiCaller;
      if (!caller) return;
      await deps.audit.record({
        actor: `api:${caller.name}`, action: 'api_request', subject: `${request.method} ${request.routeOptions.url ?? ''}`.slice(0, 64), details: `status=${reply.statusCode}`,
      }).catch((err: unknown) => deps.logger.warn('auditing an API request failed', { key: caller.name, err }));
    });
    await app.register(rateLimit, {
      global: true, hook: 'preHandler', timeWindow: RATE_WINDOW_MS,
      ...(deps.rateCounter ? { store: sharedRateStore(deps.rateCounter) } : {}),
      keyGenerator: (request) => request.apiCaller?.name ?? request.ip,
      max: (request) => request.apiCaller?.ratePerMin ?? 60,
      allowList: (request) => !request.routeOptions.config.scope,
      errorResponseBuilder: (_request, context) => ({
        statusCode: 429, code: 'FST_RATE_LIMITED', message: `This key may make ${context.max} requests a minute; retry in ${Math.ceil(context.ttl / 1000)} s.`,
      }),
    });
    await app.register(routes(deps), { prefix: '/v1' });
  };
}

function routes(deps: ApiDeps) {
  return async function v1(app: FastifyInstance): Promise<void> {
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

    app.post<{ Body: CallRequestBody; Headers: { 'idempotency-key': string } }>('/calls', {
      config: { scope: 'calls:place' },
      schema: {
        summary: 'Ask an agent to call a number', description: 'The agent gets a Telegram prompt (or, with "accept integration calls without asking" on, the call is placed at once); every rule of /call applies.',
        headers: { type: 'object', required: ['idempotency-key'], properties: { 'idempotency-key': { type: 'string', pattern: IDEMPOTENCY_KEY } } },
        body: callRequestBodySchema,
        response: { 202: callRequestAnswerSchema, ...problems(400, 401, 403, 404, 409, 413, 415, 422, 429, 503) },
      },
    }, async (request, reply) => send(reply, await deps.calls.request(request.apiCaller!, request.headers['idempotency-key'], request.body)));

    app.get<{ Querystring: { agent?: string; from?: string; to?: string; limit: number; cursor?: string } }>('/calls', {
      config: { scope: 'calls:read' },
      schema: { summary: 'List calls, newest first', querystring: callQuerySchema, response: { 200: callPageSchema, ...problems(400, 401, 403, 429) } },
    }, async (request, reply) => {
      const { agent, from, to, limit, cursor } = request.query;
      const after = cursor ? cursorAfter(cursor) : undefined;
      if (cursor && !after) return send(reply, problem(400, 'bad_cursor', 'The cursor is not one this API gave; start again without it.'));
      const page = await deps.pages.page({
        limit, ...(agent ? { agentTelegramId: agent } : {}), ...(from ? { from: new Date(from) } : {}), ...(to ? { to: new Date(to) } : {}), ...(after ? { after } : {}),
      });
      const last = page.length === limit ? page[page.length - 1] : undefined;
      return { calls: page.map(callViewOf), ...(last ? { nextCursor: cursorOf(last.call) } : {}) };
    });

    app.get<{ Params: { id: string } }>('/calls/:id', {
      config: { scope: 'calls:read' },
      schema: { summary: 'One call with its legs, outcome, talk time, disposition, note and recording', params: callIdParamsSchema, response: { 200: callSchema, ...problems(400, 401, 403, 404, 429) } },
    }, async (request, reply) => {
      const found = await deps.pages.byId(request.params.id);
      return found ? callViewOf(found) : send(reply, problem(404, 'unknown_call', `No call has the id ${request.params.id}.`));
    });

    app.get<{ Params: { id: string } }>('/calls/:id/recording', {
      config: { scope: 'calls:read' },
      schema: {
        summary: 'The call\'s recording (OGG/Opus), while it is kept', params: callIdParamsSchema,
        response: { 200: { description: 'audio/ogg', content: { 'audio/ogg': { schema: { type: 'string', format: 'binary' } } } }, ...problems(400, 401, 403, 404, 429) },
      },
    }, async (request, reply) => {
      const found = await deps.pages.byId(request.params.id);
      const path = found?.recording?.state === 'kept' ? found.recording.path : null;
      if (!path || !fs.existsSync(path)) return send(reply, problem(404, 'no_recording', `The call ${request.params.id} has no kept recording.`));
      return reply.type('audio/ogg').send(fs.createReadStream(path));
    });

    const dncRoute = { config: { scope: 'dnc:manage' as const } };
    app.get<{ Params: { number: string } }>('/dnc/:number', {
      ...dncRoute, schema: { summary: 'Whether a number is on the do-not-call list', params: dncParamsSchema, response: { 200: dncEntrySchema, ...problems(400, 401, 403, 422, 429) } },
    }, async (request, reply) => {
      const e164 = listable(deps, request.params.number);
      if (typeof e164 !== 'string') return send(reply, e164);
      const entry = await deps.dnc.lookup(e164);
      return entry ? { number: e164, listed: true, since: entry.since.toISOString(), kind: entry.kind } : { number: e164, listed: false };
    });

    app.put<{ Params: { number: string }; Body: { reason?: string } | null }>('/dnc/:number', {
      ...dncRoute,
      schema: { summary: 'Put a number on the do-not-call list', params: dncParamsSchema, body: dncBodySchema, response: { 200: dncEntrySchema, ...problems(400, 401, 403, 413, 415, 422, 429) } },
    }, async (request, reply) => {
      const e164 = listable(deps, request.params.number);
      if (typeof e164 !== 'string') return send(reply, e164);
      const { added, entry } = await deps.dnc.add(`api:${request.apiCaller!.name}`, e164, request.body?.reason ?? 'via API');
      return { number: e164, listed: true, since: entry.since.toISOString(), kind: entry.kind, changed: added };
    });

    app.delete<{ Params: { number: string } }>('/dnc/:number', {
      ...dncRoute, schema: { summary: 'Take a number off the do-not-call list', params: dncParamsSchema, response: { 200: dncEntrySchema, ...problems(400, 401, 403, 422, 429) } },
    }, async (request, reply) => {
      const e164 = listable(deps, request.params.number);
      if (typeof e164 !== 'string') return send(reply, e164);
      const removed = await deps.dnc.remove(`api:${request.apiCaller!.name}`, e164);
      return { number: e164, listed: false, changed: removed !== null };
    });
  };
}

/** The number as the do-not-call list keys it, or the problem saying why it cannot be listed. */
function listable(deps: ApiDeps, input: string): string | ApiAnswer {
  const checked = checkListableNumber(input, deps.config.defaultRegion);
  if (checked.ok) return checked.e164;
  return problem(422, 'invalid_number', `invalid_number: ${checked.refusal}`, { number: { refusal: checked.refusal } });
}

function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

function send(reply: FastifyReply, answer: ApiAnswer): FastifyReply {
  return reply.code(answer.status).type(answer.status >= 400 ? 'application/problem+json' : 'application/json').send(answer.body);
}
