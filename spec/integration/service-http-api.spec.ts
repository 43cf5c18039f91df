import TelegramServer from 'telegram-test-api';
import { MAIN, buildApp } from '../support/built-app';
import { freePort } from '../support/free-port';
import { ServiceProcess, serviceEnv } from '../support/service-process';

jest.setTimeout(60_000);

/** The service as an operator runs it, with API_PORT set: the HTTP API starts and stops with it. No Asterisk (ARI_URL is a closed port). */
describe('the service with its HTTP API', () => {
  let server: TelegramServer;
  let service: ServiceProcess | undefined;

  beforeAll(() => buildApp(), 180_000);

  beforeEach(async () => {
    server = new TelegramServer({ port: await freePort(), host: '127.0.0.1' });
    await server.start();
  });

  afterEach(async () => {
    service?.killGroup();
    await server.stop();
  });

  it('given API_PORT, when the service starts, then the API answers on 127.0.0.1 (its document, 401 without a key), and SIGTERM closes it with the rest', async () => {
    const port = await freePort();
    service = ServiceProcess.start(process.execPath, [MAIN], serviceEnv(server.config.apiURL, { ARI_URL: `http://127.0.0.1:${await freePort()}`, API_PORT: String(port) }));
    await service.waitForLog('callbot started');
    expect(service.logLines().find((l) => l.message === 'HTTP API listening')).toMatchObject({ host: '127.0.0.1', port });

    const document = await fetch(`http://127.0.0.1:${port}/v1/openapi.json`);
    expect(document.status).toBe(200);
    expect((await document.json() as { openapi: string }).openapi).toBe('3.1.0');
    const withoutKey = await fetch(`http://127.0.0.1:${port}/v1/calls`);
    expect(withoutKey.status).toBe(401);
    expect(withoutKey.headers.get('content-type')).toContain('application/problem+json');

    process.kill(service.pid, 'SIGTERM');
    expect(await service.exited).toMatchObject({ code: 0, signal: null });
    await expect(fetch(`http://127.0.0.1:${port}/v1/openapi.json`)).rejects.toThrow();
  });
});
