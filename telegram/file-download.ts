import fs from 'node:fs/promises';
import path from 'node:path';
import type { Incoming } from './handler-context';

const CLOUD_API_ROOT = 'https://api.telegram.org';

/** A download that grew past its cap: stopped there, nothing kept. */
export class DownloadTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`the file is larger than ${maxBytes} bytes`);
    this.name = 'DownloadTooLarge';
  }
}

/**
 * A file a user sent, whole in memory, from the Bot API server (getFile, then its download URL; a
 * local server started with --local names a file on the disk it shares). For small files only:
 * the download stops as soon as it passes `maxBytes`, whatever the file claimed to weigh.
 */
export async function downloadFile(m: Incoming, fileId: string, maxBytes: number): Promise<Buffer> {
  const filePath = await m.deps.out.filePath(fileId);
  if (!filePath) throw new Error('getFile returned no file_path');
  const { apiRoot, botToken } = m.deps.config.telegram;
  if (path.isAbsolute(filePath) && !apiRoot.startsWith(CLOUD_API_ROOT)) {
    const stat = await fs.stat(filePath);
    if (stat.size > maxBytes) throw new DownloadTooLarge(maxBytes);
    return fs.readFile(filePath);
  }
  const response = await fetch(`${apiRoot.replace(/\/$/, '')}/file/bot${botToken}/${filePath}`);
  if (!response.ok || !response.body) throw new Error(`file download answered ${response.status}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > maxBytes) {
      await response.body.cancel().catch(() => undefined);
      throw new DownloadTooLarge(maxBytes);
    }
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
