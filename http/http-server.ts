import Fastify, { type FastifyError, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../config/logger';

/** A part of the service served over HTTP (the API, the Mini App): a Fastify plugin, registered as given. */
export type HttpPart = FastifyPluginAsync;

export interface HttpServerOptions {
  host: string;
  port: number;
  bodyLimitBytes: number;
  logger: Logger;
  parts: readonly HttpPart[];
}

/** RFC 9457 problem details: what every error of the server answers with. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** The refusal's code, as the audit log keeps it. */
  code: string;
  [fact: string]: unknown;
}

export const PROBLEM_TYPE = 'application/problem+json';

/**
 * The one HTTP server of the API and the Mini App, built on Fastify. It reads bodies up to a cap,
 * answers every error as problem+json (never a stack, never a crash) and logs no headers, so the
 * keys in Authorization never reach the log. Off unless API_PORT is set (app/main.ts).
 */
export function buildHttpServer(options: Omit<HttpServerOptions, 'host' | 'port'>): FastifyInstance {
  const app = Fastify({
    logger: false, bodyLimit: options.bodyLimitBytes, return503OnClosing: true, forceCloseConnections: true,
    // An unknown field is refused, not dropped in silence: a CRM's typo must not become another request.
    ajv: { customOptions: { removeAdditional: false } },
  });
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) options.logger.warn('HTTP request failed', { method: request.method, path: request.routeOptions.url, err });
    const problem = status >= 500
      ? { type: 'about:blank', title: 'Internal error', status, code: 'internal_error', detail: 'The request failed on the server; try it again later.' }
      : { type: 'about:blank', title: titleOf(status), status, code: codeOf(err), detail: err.message };
    void reply.code(status).type(PROBLEM_TYPE).send(problem);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).type(PROBLEM_TYPE).send({ type: 'about:blank', title: 'Not found', status: 404, code: 'not_found', detail: `No route ${request.method} ${request.url.split('?')[0]}` });
  });
  for (const part of options.parts) void app.register(part);
  return app;
}

/** Builds the server with its parts and listens; rejects, naming the address, when the port cannot be bound. */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const app = buildHttpServer(options);
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (err) {
    await app.close();
    throw new Error(`the HTTP API cannot listen on ${options.host}:${options.port}; choose another API_PORT or free the port`, { cause: err });
  }
  options.logger.info('HTTP API listening', { host: options.host, port: options.port });
  return new HttpServer(app);
}

export class HttpServer {
  constructor(readonly app: FastifyInstance) {}

  get address(): AddressInfo {
    return this.app.server.address() as AddressInfo;
  }

  close(): Promise<void> {
    return this.app.close();
  }
}

function codeOf(err: FastifyError): string {
  if (err.validation) return 'invalid_request';
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE': return 'body_too_large';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': return 'unsupported_media_type';
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY': return 'malformed_json';
    default: return err.statusCode === 429 ? 'rate_limited' : 'bad_request';
  }
}

function titleOf(status: number): string {
  const titles: Record<number, string> = {
    400: 'Bad request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 409: 'Conflict', 413: 'Payload too large',
    415: 'Unsupported media type', 422: 'Unprocessable content', 429: 'Too many requests',
  };
  return titles[status] ?? 'Request refused';
}
