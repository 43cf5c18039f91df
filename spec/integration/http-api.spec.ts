import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import type { DataSource } from 'typeorm';
import { ApiKeys } from '../../api/api-keys';
import { apiPlugin } from '../../api/api-plugin';
import { type AgentSide, IntegrationCalls, type IntegrationCallEvent, type PromptedCall } from '../../api/integration-calls';
import { DncService } from '../../compliance/dnc-service';
import { createLogger, silentLogger } from '../../config/logger';
import type { PlaceCallResult } from '../../engine/call-intake';
import { type HttpServer, startHttpServer } from '../../http/http-server';
import { createStores, type Stores } from '../../store';
import { CallPages } from '../../store/call-pages';
import { openDatabase } from '../../store/data-source';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';

const kind = testDatabaseKind();
const ADMIN = '1000';
const ANN = '2001';
const BODY_LIMIT = 4096;

/** The Telegram side as a spec sees it: the prompts sent, and calls placed (or refused) as the spec says. */
class RecordedAgentSide implements AgentSide {
  readonly prompts: PromptedCall[] = [];
  readonly placed: string[] = [];
  answer: (number: string) => PlaceCallResult = (number) => ({
    ok: true, callId: `call-${this.placed.length - 1}`, runsHere: true, updates: undefined as never,
    context: { callId: `call-${this.placed.length - 1}`, agentId: 1, agentTelegramId: ANN, agentPhone: '+15551230001', target: number, route: 'M', callerId: null },
  });

  async prompt(request: PromptedCall): Promise<void> {
    this.prompts.push(request);
  }

  async placeNow(request: { agentTelegramId: string; number: string }): Promise<PlaceCallResult> {
    this.placed.push(request.number);
    return this.answer(request.number);
  }
}

/** The API over a real socket on 127.0.0.1, on a fresh database, with the Telegram side recorded. */
describe(`the HTTP API on ${kind}`, () => {
  let dataSource: DataSource;
  let stores: Stores;
  let server: HttpServer;
  let keys: ApiKeys;
  let calls: IntegrationCalls;
  let side: RecordedAgentSide;
  let events: IntegrationCallEvent[];
  let base: string;

  beforeEach(async () => {
    ({ dataSource } = await openDatabase(await freshDatabaseUrl()));
    stores = createStores(dataSource);
    const config = { defaultRegion: 'US' as const, allowedCountries: ['US' as const, 'CA' as const], api: { promptTtlS: 600 } };
    const dnc = new DncService({ dnc: stores.dnc, calls: stores.calls, audit: stores.audit, numbers: config });
    keys = new ApiKeys({ keys: stores.apiKeys, audit: stores.audit, defaultRatePerMin: 60 });
    calls = new IntegrationCalls({ requests: stores.apiCallRequests, agents: stores.agents, settings: stores.settings, audit: stores.audit, dnc, config });
    side = new RecordedAgentSide();
    calls.connect(side);
    events = [];
    calls.events.subscribe((e) => events.push(e));
    await stores.agents.authorize({ telegramId: ANN, phone: '+15551230001', callerId: null, by: ADMIN, displayName: 'Ann' });
    server = await startHttpServer({
      host: '127.0.0.1', port: 0, bodyLimitBytes: BODY_LIMIT, logger: silentLogger(),
      parts: [apiPlugin({ keys, calls, pages: new CallPages(dataSource), dnc, audit: stores.audit, config, logger: silentLogger() })],
    });
    base = `http://127.0.0.1:${server.address.port}`;
  });

  afterEach(async () => {
    await server.close();
    await closeDatabase(dataSource);
  });

  async function keyWith(scopes: string[], rate?: number, name = 'crm'): Promise<string> {
    const made = await keys.create(ADMIN, name, scopes, rate);
    if (!made.ok) throw new Error(`key not made: ${made.refusal}`);
    return made.token;
  }

  async function call(method: string, path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: text ? JSON.parse(text) as Record<string, unknown> : {} };
  }

  const place = (token: string, body: unknown, key = 'k-1') => call('POST', '/v1/calls', token, body, { 'idempotency-key': key });

  describe('POST /v1/calls', () => {
    it('given a key with calls:place, when a CRM asks for Ann to call a number, then 202 names the request and Ann is prompted with the CRM\'s name', async () => {
      const token = await keyWith(['calls:place']);
      const answer = await place(token, { agent: ANN, number: '(202) 555-0123', crm: 'HubSpot' });
      expect(answer).toMatchObject({ status: 202, body: { state: 'prompted', agent: ANN, number: '+12025550123', requestId: expect.any(String) } });
      expect(side.prompts).toEqual([{ requestId: answer.body.requestId, agentTelegramId: ANN, e164: '+12025550123', requester: 'HubSpot' }]);
      expect(events.map((e) => e.kind)).toEqual(['requested']);
      expect((await stores.audit.latest(5)).map((e) => [e.actor, e.action])).toEqual(expect.arrayContaining([['api:crm', 'api_call_requested'], ['api:crm', 'api_request']]));
    });

    it('given the same Idempotency-Key, when the same body comes again, then the same answer comes back and Ann is prompted once; another body gets 409', async () => {
      const token = await keyWith(['calls:place']);
      const first = await place(token, { agent: ANN, number: '+12025550123' });
      const again = await place(token, { agent: ANN, number: '+12025550123' });
      expect(again).toEqual(first);
      expect(side.prompts).toHaveLength(1);
      const other = await place(token, { agent: ANN, number: '+12025550199' });
      expect(other).toMatchObject({ status: 409, type: expect.stringContaining('application/problem+json'), body: { code: 'idempotency_key_reused' } });
    });

    it('given two requests with one Idempotency-Key at the same moment, then both get one answer and Ann is prompted once', async () => {
      const token = await keyWith(['calls:place']);
      const [one, two] = await Promise.all([place(token, { agent: ANN, number: '+12025550123' }, 'race'), place(token, { agent: ANN, number: '+12025550123' }, 'race')]);
      expect(one).toEqual(two);
      expect(side.prompts).toHaveLength(1);
    });

    it('given a prompt older than API_PROMPT_TTL_S, when Ann taps Call, then it is expired and nothing is claimed; a fresh one is claimed once, by Ann only', async () => {
      const token = await keyWith(['calls:place']);
      const { body } = await place(token, { agent: ANN, number: '+12025550123' });
      const requestId = String(body.requestId);
      expect(await calls.claimPrompt(requestId, '2002')).toEqual({ ok: false, why: 'not_yours' });
      const later = new IntegrationCalls({
        requests: stores.apiCallRequests, agents: stores.agents, settings: stores.settings, audit: stores.audit, dnc: { lookup: async () => null },
        config: { defaultRegion: 'US', allowedCountries: ['US'], api: { promptTtlS: 600 } }, now: () => Date.now() + 601_000,
      });
      expect(await later.claimPrompt(requestId, ANN)).toEqual({ ok: false, why: 'expired' });
      expect(await calls.claimPrompt(requestId, ANN)).toEqual({ ok: true, number: '+12025550123', requester: 'crm' });
      expect(await calls.claimPrompt(requestId, ANN)).toEqual({ ok: false, why: 'taken' });
    });

    it('given Ann accepts integration calls without asking, when a CRM asks, then the call is placed at once and 202 carries its id', async () => {
      await calls.setAcceptsWithoutAsking(ANN, true);
      const token = await keyWith(['calls:place']);
      const answer = await place(token, { agent: ANN, number: '+12025550123' });
      expect(answer).toMatchObject({ status: 202, body: { state: 'placed', callId: 'call-0' } });
      expect(side.prompts).toEqual([]);
      expect(events.map((e) => e.kind)).toEqual(['requested', 'placed']);
      expect((await stores.audit.latest(10)).map((e) => e.action)).toContain('integration_calls_auto');
    });

    it('given Ann accepts without asking and the intake refuses, then the refusal\'s code and facts come back as problem+json, and the same again on a replay', async () => {
      await calls.setAcceptsWithoutAsking(ANN, true);
      side.answer = () => ({ ok: false, refusal: 'rule', target: '+12025550123', rule: { rule: 'number_cap', period: 'day', limit: 3, placed: 3 } });
      const token = await keyWith(['calls:place']);
      const answer = await place(token, { agent: ANN, number: '+12025550123' });
      expect(answer).toMatchObject({ status: 422, body: { code: 'rule', detail: 'rule: number_cap (period=day limit=3 placed=3)', rule: { rule: 'number_cap' } } });
      expect(await place(token, { agent: ANN, number: '+12025550123' })).toEqual(answer);
      expect(side.placed).toHaveLength(1);
    });

    it('given Ann accepts without asking and placing throws, then 503 not_placed, kept for replays instead of a request stuck in progress', async () => {
      await calls.setAcceptsWithoutAsking(ANN, true);
      side.answer = () => { throw new Error('Telegram unreachable'); };
      const token = await keyWith(['calls:place']);
      const answer = await place(token, { agent: ANN, number: '+12025550123' });
      expect(answer).toMatchObject({ status: 503, body: { code: 'not_placed' } });
      expect(await place(token, { agent: ANN, number: '+12025550123' })).toEqual(answer);
    });

    it.each([
      ['an emergency number', '911', 'emergency_or_service'],
      ['a premium number', '+19005550123', 'premium_or_shared_cost'],
      ['a short code', '12345', 'too_short'],
    ])('given %s, then 422 invalid_number with the reason, and nobody is prompted or dialed', async (_what, number, refusal) => {
      const token = await keyWith(['calls:place']);
      const answer = await place(token, { agent: ANN, number });
      expect(answer).toMatchObject({ status: 422, body: { code: 'invalid_number', number: { refusal } } });
      expect(side.prompts).toEqual([]);
      expect(side.placed).toEqual([]);
      expect(events).toEqual([expect.objectContaining({ kind: 'refused', code: 'invalid_number' })]);
    });

    it('given a number on the do-not-call list, then 422 with the rule and the date it was listed', async () => {
      await stores.dnc.add('+12025550123', { kind: 'admin', addedBy: ADMIN, reason: 'asked' });
      const answer = await place(await keyWith(['calls:place']), { agent: ANN, number: '+12025550123' });
      expect(answer).toMatchObject({ status: 422, body: { code: 'rule', rule: { rule: 'do_not_call' } } });
      expect(side.prompts).toEqual([]);
    });

    it('given an unknown agent, then 404 unknown_agent', async () => {
      const answer = await place(await keyWith(['calls:place']), { agent: '999', number: '+12025550123' });
      expect(answer).toMatchObject({ status: 404, body: { code: 'unknown_agent' } });
    });

    it.each([
      ['malformed JSON', '{"agent": ', 400, 'malformed_json'],
      ['a missing number', { agent: ANN }, 400, 'invalid_request'],
      ['an unknown field', { agent: ANN, number: '+12025550123', extra: 1 }, 400, 'invalid_request'],
      ['an agent id that is not a Telegram id', { agent: 'ann', number: '+12025550123' }, 400, 'invalid_request'],
      ['a body over the cap', { agent: ANN, number: '+12025550123', crm: 'x'.repeat(BODY_LIMIT) }, 413, 'body_too_large'],
    ])('given %s, then a 4xx problem says why and nothing is prompted', async (_what, body, status, code) => {
      const answer = await place(await keyWith(['calls:place']), body);
      expect(answer).toMatchObject({ status, type: expect.stringContaining('application/problem+json'), body: { status, code } });
      expect(side.prompts).toEqual([]);
    });

    it('given no Idempotency-Key, then 400', async () => {
      const answer = await call('POST', '/v1/calls', await keyWith(['calls:place']), { agent: ANN, number: '+12025550123' });
      expect(answer).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
    });
  });

  describe('keys', () => {
    it('given no key, an unknown one, a wrong secret or a revoked one, then 401; a key without the scope gets 403', async () => {
      const token = await keyWith(['calls:read']);
      expect((await place('', { agent: ANN, number: '+12025550123' })).status).toBe(401);
      expect((await place('cb.nobody.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', { agent: ANN, number: '+12025550123' })).body).toMatchObject({ code: 'unknown_key' });
      expect((await place(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`, { agent: ANN, number: '+12025550123' })).status).toBe(401);
      expect(await place(token, { agent: ANN, number: '+12025550123' })).toMatchObject({ status: 403, body: { code: 'missing_scope', scope: 'calls:place' } });
      await keys.revoke(ADMIN, 'crm');
      expect((await call('GET', '/v1/calls', token)).status).toBe(401);
    });

    it('given a key allowed 2 requests a minute, then the third gets 429, while another key still gets through', async () => {
      const slow = await keyWith(['calls:read'], 2, 'slow');
      const other = await keyWith(['calls:read'], 10, 'other');
      expect((await call('GET', '/v1/calls', slow)).status).toBe(200);
      expect((await call('GET', '/v1/calls', slow)).status).toBe(200);
      expect(await call('GET', '/v1/calls', slow)).toMatchObject({ status: 429, body: { code: 'rate_limited' } });
      expect((await call('GET', '/v1/calls', other)).status).toBe(200);
    });

    it('given the database fails under a request, then the answer is a 500 problem without a stack, and the log holds the key\'s name but never its secret', async () => {
      const token = await keyWith(['calls:read']);
      const written: string[] = [];
      const stream = new PassThrough();
      stream.on('data', (chunk: Buffer) => written.push(chunk.toString()));
      const logger = createLogger({ level: 'debug', format: 'json', secrets: [], stream });
      const failing = await startHttpServer({
        host: '127.0.0.1', port: 0, bodyLimitBytes: BODY_LIMIT, logger,
        parts: [apiPlugin({
          keys, calls, dnc: new DncService({ dnc: stores.dnc, calls: stores.calls, audit: stores.audit, numbers: { defaultRegion: 'US' } }), audit: stores.audit,
          pages: { page: async () => { throw new Error('database gone'); }, byId: async () => undefined } as unknown as CallPages,
          config: { defaultRegion: 'US' }, logger,
        })],
      });
      try {
        const response = await fetch(`http://127.0.0.1:${failing.address.port}/v1/calls`, { headers: { authorization: `Bearer ${token}` } });
        expect(response.status).toBe(500);
        const body = await response.text();
        expect(JSON.parse(body)).toMatchObject({ status: 500, code: 'internal_error' });
        expect(body).not.toMatch(/database gone|at .*\.ts/);
      } finally {
        await failing.close();
      }
      const log = written.join('');
      expect(log).toContain('database gone');
      expect(log).not.toContain(token.split('.')[2]);
    });

    it('given a key, then its token is stored only as a hash', async () => {
      const token = await keyWith(['calls:read']);
      const row = await stores.apiKeys.byName('crm');
      expect(JSON.stringify(row)).not.toContain(token.split('.')[2]);
      expect(row?.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  describe('GET /v1/calls', () => {
    async function seedCalls(): Promise<void> {
      const ann = await stores.agents.byTelegramId(ANN);
      const at = (s: number) => new Date(Date.UTC(2026, 11, 6, 10, 0, s));
      for (let i = 0; i < 3; i += 1) {
        await stores.calls.recordCallRequest({
          id: `00000000-0000-4000-8000-00000000000${i}`, agentId: ann!.id, targetInput: '202 555 0123', target: '+12025550123', route: 'M', stage: 'ended',
          outcome: 'completed', requestedAt: at(i * 10), connectedAt: at(i * 10 + 2), endedAt: at(i * 10 + 7),
        });
      }
      await stores.legs.recordLeg('00000000-0000-4000-8000-000000000002', 'target', { role: 'customer', number: '+12025550123', answeredAt: at(22), endedAt: at(27) });
      await stores.calls.recordDisposition('00000000-0000-4000-8000-000000000002', 'interested', at(30));
      await stores.calls.recordNote('00000000-0000-4000-8000-000000000002', 'call back Monday');
    }

    it('given three calls, when read two at a time, then the pages come newest first and the cursor leads to the last one', async () => {
      await seedCalls();
      const token = await keyWith(['calls:read']);
      const first = await call('GET', `/v1/calls?agent=${ANN}&limit=2`, token);
      expect(first.status).toBe(200);
      const page = first.body.calls as Array<Record<string, unknown>>;
      expect(page.map((c) => c.id)).toEqual(['00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001']);
      expect(page[0]).toMatchObject({
        agent: { telegramId: ANN, name: 'Ann' }, number: '+12025550123', outcome: 'completed', talkTimeS: 5, disposition: 'interested', note: 'call back Monday',
        legs: [{ id: 'target', role: 'customer', number: '+12025550123' }], recording: null,
      });
      const second = await call('GET', `/v1/calls?agent=${ANN}&limit=2&cursor=${String(first.body.nextCursor)}`, token);
      expect((second.body.calls as Array<{ id: string }>).map((c) => c.id)).toEqual(['00000000-0000-4000-8000-000000000000']);
      expect(second.body.nextCursor).toBeUndefined();
      const window = await call('GET', '/v1/calls?from=2026-12-06T10:00:05Z&to=2026-12-06T10:00:15Z', token);
      expect((window.body.calls as Array<{ id: string }>).map((c) => c.id)).toEqual(['00000000-0000-4000-8000-000000000001']);
    });

    it('given a call id, then GET /v1/calls/{id} shows it, and an unknown id or a bad filter gets a 4xx problem', async () => {
      await seedCalls();
      const token = await keyWith(['calls:read']);
      expect(await call('GET', '/v1/calls/00000000-0000-4000-8000-000000000002', token)).toMatchObject({ status: 200, body: { id: '00000000-0000-4000-8000-000000000002', talkTimeS: 5 } });
      expect(await call('GET', '/v1/calls/nope', token)).toMatchObject({ status: 404, body: { code: 'unknown_call' } });
      expect(await call('GET', '/v1/calls?limit=1000', token)).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
      expect(await call('GET', '/v1/calls?cursor=bm9wZQ', token)).toMatchObject({ status: 400, body: { code: 'bad_cursor' } });
      expect(await call('GET', '/v1/calls/00000000-0000-4000-8000-000000000002/recording', token)).toMatchObject({ status: 404, body: { code: 'no_recording' } });
    });

    it('given a call whose recording is kept, then the call links to it and the link serves the file', async () => {
      await seedCalls();
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-api-rec-')), 'call.ogg');
      fs.writeFileSync(file, 'OggS recording bytes');
      const callId = '00000000-0000-4000-8000-000000000002';
      await stores.recordings.begin({ callId, recordingName: 'c2-rec', deleteAfter: new Date(Date.now() + 86_400_000) });
      await stores.recordings.change(callId, { state: 'kept', path: file, durationMs: 5000 });
      const token = await keyWith(['calls:read']);
      const shown = await call('GET', `/v1/calls/${callId}`, token);
      expect(shown.body.recording).toEqual({ state: 'kept', durationMs: 5000, url: `/v1/calls/${callId}/recording` });
      const audio = await fetch(`${base}/v1/calls/${callId}/recording`, { headers: { authorization: `Bearer ${token}` } });
      expect(audio.status).toBe(200);
      expect(audio.headers.get('content-type')).toBe('audio/ogg');
      expect(await audio.text()).toBe('OggS recording bytes');
    });
  });

  describe('/v1/dnc/{number}', () => {
    it('given dnc:manage, when a number is put, checked, put again and deleted, then each answer says so and the adds and removes are audited with the key', async () => {
      const token = await keyWith(['dnc:manage']);
      expect(await call('GET', '/v1/dnc/2025550123', token)).toMatchObject({ status: 200, body: { number: '+12025550123', listed: false } });
      expect(await call('PUT', '/v1/dnc/+12025550123', token, { reason: 'asked by email' })).toMatchObject({ status: 200, body: { listed: true, changed: true } });
      expect(await call('PUT', '/v1/dnc/+12025550123', token)).toMatchObject({ status: 200, body: { listed: true, changed: false } });
      expect(await call('GET', '/v1/dnc/+12025550123', token)).toMatchObject({ status: 200, body: { listed: true, kind: 'admin' } });
      expect(await call('DELETE', '/v1/dnc/+12025550123', token)).toMatchObject({ status: 200, body: { listed: false, changed: true } });
      const audit = (await stores.audit.latest(20)).filter((e) => e.action.startsWith('dnc_')).map((e) => [e.actor, e.action, e.subject]);
      expect(audit).toEqual([['api:crm', 'dnc_remove', '+12025550123'], ['api:crm', 'dnc_add', '+12025550123']]);
    });

    it('given something that is not a number, then 4xx with the reason', async () => {
      const token = await keyWith(['dnc:manage']);
      expect(await call('GET', '/v1/dnc/abc', token)).toMatchObject({ status: 400, body: { code: 'invalid_request' } });
      expect(await call('GET', '/v1/dnc/123', token)).toMatchObject({ status: 422, body: { code: 'invalid_number' } });
    });
  });
});
