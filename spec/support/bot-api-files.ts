import http from 'node:http';
import type net from 'node:net';
import { closeServer, readBody } from './http-util';

/** A document the bot sent with sendDocument, as a chat would receive it. */
/** How a registered file's download arrives: all at once unless paced or held. */
export interface DownloadPace {
  bytesPerSecond?: number;
  holdAfter?: { bytes: number; until: Promise<unknown> };
}

export interface SentDocument {
  chatId: number;
  messageId: number;
  fileName: string;
  caption: string;
  content: Buffer;
}

/** A voice message the bot sent with sendVoice (a call's recording). */
export interface SentVoice {
  chatId: number;
  messageId: number;
  caption: string;
  duration: number | undefined;
  /** The message it replies to (reply_parameters.message_id). */
  replyTo: number | undefined;
  content: Buffer;
  /** When the Bot API server had it (Date.now()): the moment it is in the chat. */
  receivedAt: number;
}

const METHOD = /^\/bot([^/]+)\/(getFile|sendDocument|sendPhoto|sendVoice)$/;
const DOWNLOAD = /^\/file\/bot([^/]+)\/(.+)$/;

/**
 * What the local Bot API server (telegram-test-api) lacks for files, on loopback in front of it:
 * getFile, the file download URL (`/file/bot<token>/<file_path>`), sendDocument and sendPhoto (multipart).
 * Every other request is forwarded unchanged. Files a user "sends" are registered here first, as
 * Telegram's servers would hold them; the bot then fetches them over HTTP exactly as in production.
 */
export class BotApiFiles {
  private readonly files = new Map<string, { path: string; content: Buffer } & DownloadPace>();
  readonly documents: SentDocument[] = [];
  /** Photos the bot sent with sendPhoto (charts), as a chat would receive them. */
  readonly photos: SentDocument[] = [];
  readonly voices: SentVoice[] = [];
  readonly counts = { getFile: 0, downloads: 0, sendDocument: 0, sendPhoto: 0, sendVoice: 0 };
  /** Makes the next `n` sendVoice requests fail with a 500, as an overloaded Bot API server would. */
  failVoices = 0;
  private nextId = 1;
  private nextMessageId = 1_000_000;

  private constructor(private readonly server: http.Server, private readonly upstream: URL, private readonly token: string) {}

  static async start(upstreamApiRoot: string, token: string): Promise<BotApiFiles> {
    const server = http.createServer();
    const files = new BotApiFiles(server, new URL(upstreamApiRoot), token);
    server.on('request', (req, res) => {
      files.handle(req, res).catch((err: unknown) => reply(res, 500, { ok: false, error_code: 500, description: String(err) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return files;
  }

  get apiRoot(): string {
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  /**
   * Holds a file as if a user had uploaded it; returns the Document a message carries. With
   * `bytesPerSecond` its download trickles, as a large file's does from a distant server; with
   * `holdAfter` it stops after that many bytes until `until` settles.
   */
  register(
    fileName: string, content: Buffer | string, options: { mimeType?: string; localPath?: string } & DownloadPace = {},
  ): { file_id: string; file_unique_id: string; file_name: string; mime_type: string; file_size: number } {
    const id = `file-${this.nextId++}`;
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    const mimeType = options.mimeType ?? 'text/plain';
    // `localPath`: a server started with --local answers getFile with the file's absolute path on its disk.
    this.files.set(id, {
      path: options.localPath ?? `documents/${id}-${fileName}`, content: bytes,
      ...(options.bytesPerSecond ? { bytesPerSecond: options.bytesPerSecond } : {}), ...(options.holdAfter ? { holdAfter: options.holdAfter } : {}),
    });
    return { file_id: id, file_unique_id: `u${id}`, file_name: fileName, mime_type: mimeType, file_size: bytes.length };
  }

  async stop(): Promise<void> {
    await closeServer(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const download = DOWNLOAD.exec(url.pathname);
    if (download) return this.download(res, download[1]!, decodeURIComponent(download[2]!));
    const method = METHOD.exec(url.pathname);
    if (!method) return this.forward(req, res, body);
    if (method[1] !== this.token) return reply(res, 401, { ok: false, error_code: 401, description: 'Unauthorized' });
    const form = await new Response(body, { headers: { 'content-type': req.headers['content-type'] ?? 'application/json' } }).formData()
      .catch(async () => undefined);
    const params = form ?? new Map(Object.entries(JSON.parse(body.toString() || '{}') as Record<string, string>));
    if (method[2] === 'getFile') {
      this.counts.getFile += 1;
      const id = String(params.get('file_id') ?? '');
      const file = this.files.get(id);
      if (!file) return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: invalid file_id' });
      return reply(res, 200, { ok: true, result: { file_id: id, file_unique_id: `u${id}`, file_size: file.content.length, file_path: file.path } });
    }
    if (method[2] === 'sendVoice') return this.sendVoice(res, params);
    const kind = method[2] === 'sendPhoto' ? 'photo' : 'document';
    this.counts[method[2] === 'sendPhoto' ? 'sendPhoto' : 'sendDocument'] += 1;
    const document = params.get(kind);
    if (!(document instanceof Blob)) return reply(res, 400, { ok: false, error_code: 400, description: `Bad Request: there is no ${kind} in the request` });
    const sent: SentDocument = {
      chatId: Number(params.get('chat_id')), messageId: this.nextMessageId++, caption: String(params.get('caption') ?? ''),
      fileName: document instanceof File ? document.name : kind, content: Buffer.from(await document.arrayBuffer()),
    };
    (kind === 'photo' ? this.photos : this.documents).push(sent);
    return reply(res, 200, {
      ok: true,
      result: {
        message_id: sent.messageId, date: Math.floor(Date.now() / 1000), chat: { id: sent.chatId, type: 'private' }, caption: sent.caption,
        document: { file_id: `sent-${sent.messageId}`, file_unique_id: `usent-${sent.messageId}`, file_name: sent.fileName, file_size: sent.content.length },
      },
    });
  }

  private async sendVoice(res: http.ServerResponse, params: { get(name: string): unknown }): Promise<void> {
    this.counts.sendVoice += 1;
    if (this.failVoices > 0) {
      this.failVoices -= 1;
      return reply(res, 500, { ok: false, error_code: 500, description: 'Internal Server Error' });
    }
    const voice = params.get('voice');
    if (!(voice instanceof Blob)) return reply(res, 400, { ok: false, error_code: 400, description: 'Bad Request: there is no voice in the request' });
    const replyParameters = params.get('reply_parameters');
    const replyTo = typeof replyParameters === 'string' ? (JSON.parse(replyParameters) as { message_id?: number }).message_id : undefined;
    const duration = params.get('duration');
    const sent: SentVoice = {
      chatId: Number(params.get('chat_id')), messageId: this.nextMessageId++, caption: String(params.get('caption') ?? ''),
      duration: duration === null || duration === undefined ? undefined : Number(duration), replyTo, content: Buffer.from(await voice.arrayBuffer()),
      receivedAt: Date.now(),
    };
    this.voices.push(sent);
    return reply(res, 200, {
      ok: true,
      result: {
        message_id: sent.messageId, date: Math.floor(Date.now() / 1000), chat: { id: sent.chatId, type: 'private' }, caption: sent.caption,
        voice: { file_id: `voice-${sent.messageId}`, file_unique_id: `uvoice-${sent.messageId}`, duration: sent.duration ?? 0, file_size: sent.content.length },
      },
    });
  }

  private download(res: http.ServerResponse, token: string, filePath: string): void {
    const file = token === this.token ? [...this.files.values()].find((f) => f.path === filePath) : undefined;
    if (!file) return reply(res, 404, { ok: false, error_code: 404, description: 'Not Found' });
    this.counts.downloads += 1;
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(file.content.length) });
    if (file.holdAfter) {
      const { bytes, until } = file.holdAfter;
      res.write(file.content.subarray(0, bytes));
      void until.finally(() => {
        if (!res.destroyed) res.end(file.content.subarray(bytes));
      });
      return;
    }
    if (!file.bytesPerSecond) return void res.end(file.content);
    const chunk = Math.max(1, Math.floor(file.bytesPerSecond / 10));
    let offset = 0;
    const timer = setInterval(() => {
      if (res.destroyed) return clearInterval(timer);
      res.write(file.content.subarray(offset, offset + chunk));
      offset += chunk;
      if (offset >= file.content.length) {
        clearInterval(timer);
        res.end();
      }
    }, 100);
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    const out = http.request({
      host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url,
      headers: { ...req.headers, host: this.upstream.host, 'content-length': String(body.length) },
    }, (upstream) => {
      res.writeHead(upstream.statusCode ?? 502, upstream.headers);
      upstream.pipe(res);
    });
    out.on('error', () => reply(res, 502, { ok: false, error_code: 502, description: 'Bad Gateway' }));
    out.end(body);
  }
}

function reply(res: http.ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}
