import http from 'node:http';
import type { Registry } from 'prom-client';
import type { Logger } from '../config/logger';
import { HttpListener } from './http-listener';
import { type ReadinessCheck, readiness } from './readiness';

export interface OpsServerDeps {
  registry: Registry;
  checks: Readonly<Record<string, ReadinessCheck>>;
  logger: Logger;
}

/**
 * The operators' HTTP endpoint: /healthz (the process answers), /readyz (every dependency named,
 * 503 when one is down) and /metrics (Prometheus text). It serves nothing else and reads no body.
 */
export async function startOpsServer(host: string, port: number, deps: OpsServerDeps): Promise<HttpListener> {
  const server = http.createServer((req, res) => {
    void answer(req, deps).then(
      ({ status, type, body }) => {
        res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        deps.logger.warn('operators\' endpoint request failed', { path: req.url, err });
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end('internal error\n');
      },
    );
  });
  const listener = await HttpListener.listen(server, host, port, 'operators\' endpoint');
  deps.logger.info('operators\' endpoint listening', { host, port });
  return listener;
}

interface Answer {
  status: number;
  type: string;
  body: string;
}

const TEXT = 'text/plain; charset=utf-8';

async function answer(req: http.IncomingMessage, deps: OpsServerDeps): Promise<Answer> {
  const path = (req.url ?? '/').split('?')[0];
  const known = path === '/healthz' || path === '/readyz' || path === '/metrics';
  if (!known) return { status: 404, type: TEXT, body: 'not found\n' };
  if (req.method !== 'GET' && req.method !== 'HEAD') return { status: 405, type: TEXT, body: 'method not allowed\n' };
  if (path === '/healthz') return { status: 200, type: TEXT, body: 'ok\n' };
  if (path === '/readyz') {
    const result = await readiness(deps.checks);
    return { status: result.ready ? 200 : 503, type: 'application/json', body: `${JSON.stringify(result)}\n` };
  }
  return { status: 200, type: deps.registry.contentType, body: await deps.registry.metrics() };
}
