import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { BotDeps } from './handler-context';

/** api.telegram.org lets a bot download files up to 20 MB; a local Bot API server has no such limit. */
export const CLOUD_DOWNLOAD_LIMIT_MB = 20;
const CLOUD_API_ROOT = 'https://api.telegram.org';

/** Whether the bot talks to api.telegram.org (its download limit applies) rather than a local Bot API server. */
export function isCloudApi(deps: Pick<BotDeps, 'config'>): boolean {
  return deps.config.telegram.apiRoot.startsWith(CLOUD_API_ROOT);
}

/** A file a user sent, as a stream from the Bot API server (getFile, then its download URL). */
export async function openDocument(deps: Pick<BotDeps, 'out' | 'config'>, fileId: string, signal?: AbortSignal): Promise<Readable> {
  const filePath = await deps.out.filePath(fileId);
  if (!filePath) throw new Error('getFile returned no file_path');
  const { apiRoot, botToken } = deps.config.telegram;
  // A local Bot API server started with --local (no file size limit) names the file on the disk it
  // shares with the bot instead of serving it.
  if (path.isAbsolute(filePath) && !isCloudApi(deps)) return fs.createReadStream(filePath, signal ? { signal } : {});
  const response = await fetch(`${apiRoot.replace(/\/$/, '')}/file/bot${botToken}/${filePath}`, signal ? { signal } : {});
  if (!response.ok || !response.body) throw new Error(`file download answered ${response.status}`);
  return Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
}

/**
 * A small file a user sent, whole; 'too_big' as soon as more than `maxBytes` have arrived (the
 * download is abandoned then), for a file whose size the Bot API did not say or said wrong.
 */
export async function downloadDocument(deps: Pick<BotDeps, 'out' | 'config'>, fileId: string, maxBytes: number): Promise<Buffer | 'too_big'> {
  const stop = new AbortController();
  const input = await openDocument(deps, fileId, stop.signal);
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of input) {
      const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      size += bytes.length;
      if (size > maxBytes) return 'too_big';
      chunks.push(bytes);
    }
  } finally {
    stop.abort();
    input.destroy();
  }
  return Buffer.concat(chunks);
}
