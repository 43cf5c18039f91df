import fs from 'node:fs';
import http from 'node:http';
import type { Logger } from '../config/logger';
import { HttpListener } from '../ops/http-listener';

export interface MediaFiles {
  /** The file behind a name under /media/, or null when there is none to serve. */
  fileFor(name: string): Promise<string | null>;
}

const MEDIA_PATH = /^\/media\/([A-Za-z0-9._-]{1,100})$/;

/**
 * The endpoint Asterisk fetches the consent announcements from (`sound:http://…/media/<name>.wav`,
 * its HTTP media cache), so they play when Asterisk runs on another host. GET and HEAD of the
 * current announcements only; `audio/wav` is the type Asterisk's wav format (8 kHz, 16-bit) claims.
 * A name never changes content (a new recording gets a new name), so it may be cached for good.
 */
export async function startMediaServer(host: string, port: number, files: MediaFiles, logger: Logger): Promise<HttpListener> {
  const server = http.createServer((req, res) => {
    void serve(req, res, files).catch((err: unknown) => {
      logger.warn('media request failed', { path: req.url, err });
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('internal error\n');
    });
  });
  const listener = await HttpListener.listen(server, host, port, 'media endpoint');
  logger.info('media endpoint listening', { host, port });
  return listener;
}

async function serve(req: http.IncomingMessage, res: http.ServerResponse, files: MediaFiles): Promise<void> {
  const text = (status: number, body: string) => {
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(body);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') return text(405, 'method not allowed\n');
  const name = MEDIA_PATH.exec((req.url ?? '/').split('?')[0]!)?.[1];
  const file = name ? await files.fileFor(name) : null;
  const stat = file ? await fs.promises.stat(file).catch(() => null) : null;
  if (!file || !stat?.isFile()) return text(404, 'not found\n');
  res.writeHead(200, {
    'Content-Type': 'audio/wav', 'Content-Length': String(stat.size), 'Cache-Control': 'public, max-age=31536000, immutable', ETag: `"${name}"`,
  });
  if (req.method === 'HEAD') return void res.end();
  fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
}
