import type { RouteOptions } from 'fastify';
import { ApiKeys } from '../../api/api-keys';
import { apiPlugin } from '../../api/api-plugin';
import { IntegrationCalls } from '../../api/integration-calls';
import type { DncService } from '../../compliance/dnc-service';
import { silentLogger } from '../../config/logger';
import { buildHttpServer } from '../../http/http-server';
import type { AuditLog, Stores } from '../../store';
import type { CallPages } from '../../store/call-pages';

type Operation = { requestBody?: { content: Record<string, { schema: { required?: string[]; properties?: Record<string, unknown> } }> }; responses: Record<string, unknown> };

/** The API's routes as Fastify has them, and the OpenAPI document it serves: the same routes, the same schemas. */
describe('the OpenAPI document', () => {
  const unused = <T>() => ({}) as T;
  const stores = { apiKeys: unused(), audit: unused() } as Stores;
  const deps = {
    keys: new ApiKeys({ keys: stores.apiKeys, audit: stores.audit, defaultRatePerMin: 60 }),
    calls: new IntegrationCalls(unused()), pages: unused<CallPages>(), dnc: unused<DncService>(), audit: unused<AuditLog>(),
    config: { defaultRegion: 'US' as const }, logger: silentLogger(),
  };

  async function served() {
    const app = buildHttpServer({ bodyLimitBytes: 4096, logger: silentLogger(), parts: [apiPlugin(deps)] });
    const routes: RouteOptions[] = [];
    app.addHook('onRoute', (route) => void routes.push(route));
    // Over a socket on 127.0.0.1: fastify.inject's cookie module is ESM, which this jest set-up does not load.
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address() as { port: number };
    const fetched = await fetch(`http://127.0.0.1:${address.port}/v1/openapi.json`);
    const response = { statusCode: fetched.status, text: await fetched.text() };
    await app.close();
    const document = JSON.parse(response.text) as { openapi: string; paths: Record<string, Record<string, Operation>> };
    // Fastify's own HEAD twins of GET routes and the document's own route are not operations.
    const real = routes.filter((r) => r.url.startsWith('/v1/') && r.url !== '/v1/openapi.json')
      .flatMap((r) => (Array.isArray(r.method) ? r.method : [r.method]).filter((m) => m !== 'HEAD').map((m) => ({ ...r, method: m })));
    return { response, document, real };
  }

  const openApiPath = (url: string) => url.replace(/:([A-Za-z]+)/g, '{$1}');

  it('given the running API, then /v1/openapi.json is an OpenAPI 3.1 document, served without a key', async () => {
    const { response, document } = await served();
    expect(response.statusCode).toBe(200);
    expect(document.openapi).toBe('3.1.0');
  });

  it('given every route of the API, then the document has it, and every operation it lists is a route', async () => {
    const { document, real } = await served();
    const routes = real.map((r) => `${String(r.method).toLowerCase()} ${openApiPath(r.url)}`).sort();
    const documented = Object.entries(document.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`)).sort();
    expect(documented).toEqual(routes);
    expect(routes).toEqual(expect.arrayContaining(['post /v1/calls', 'get /v1/calls', 'get /v1/calls/{id}', 'get /v1/dnc/{number}', 'put /v1/dnc/{number}', 'delete /v1/dnc/{number}']));
  });

  it('given each route\'s schemas, then the document states the same body fields, required fields and answers', async () => {
    const { document, real } = await served();
    for (const route of real) {
      const operation = document.paths[openApiPath(route.url)]![String(route.method).toLowerCase()]!;
      const schema = route.schema as { body?: { required?: string[]; properties?: Record<string, unknown> }; response?: Record<string, unknown> };
      const body = operation.requestBody?.content['application/json']?.schema;
      expect({ route: `${String(route.method)} ${route.url}`, fields: Object.keys(body?.properties ?? {}), required: body?.required ?? [] })
        .toEqual({ route: `${String(route.method)} ${route.url}`, fields: Object.keys(schema.body?.properties ?? {}), required: [...(schema.body?.required ?? [])] });
      expect(Object.keys(operation.responses).sort()).toEqual(Object.keys(schema.response ?? {}).sort());
    }
  });

  it('given a prompted request repeated after the agent\'s tap, then the document says its 202 answer is placed, with the call\'s id', async () => {
    const { document } = await served();
    const answer = (document.paths['/v1/calls']!.post!.responses['202'] as { content: Record<string, { schema: { properties: Record<string, { enum?: string[]; description?: string }> } }> })
      .content['application/json']!.schema.properties;
    expect(answer.state!.enum).toEqual(['prompted', 'placed']);
    expect(answer.callId!.description).toMatch(/same Idempotency-Key after the agent's tap answers `placed`/);
  });
});
