import WebSocket from 'ws';

export interface AriEventSocketOptions {
  /** The ARI base URL, e.g. http://127.0.0.1:8088 (its ws/wss twin is derived). */
  url: string;
  username: string;
  password: string;
  app: string;
  /** How long the upgrade may take before the attempt counts as failed. */
  openTimeoutMs: number;
  userAgent?: string;
}

export interface AriEventSocketHandlers {
  /** One text message, unparsed: the reader decides when to spend the JSON.parse (see readAriEvent). */
  onMessage(data: Buffer): void;
  onBadMessage(reason: string): void;
  onPong(): void;
  /** The open socket is gone (closed by either side, dropped, or terminated); called once. */
  onClose(socket: AriEventSocket, code: number): void;
}

/**
 * ARI's event WebSocket (`/ari/events?app=…`), read with `ws`: each message is one JSON event.
 * Credentials go in the Authorization header, never in the URL (URLs end up in logs and proxies).
 * Messages that arrive together are handed over in one go (ws's default); the adapter lets a
 * request made for one leave before the next is handled (docs/request-first.md).
 */
export class AriEventSocket {
  private constructor(private readonly ws: WebSocket) {}

  static open(options: AriEventSocketOptions, handlers: AriEventSocketHandlers): Promise<AriEventSocket> {
    const base = new URL(options.url);
    base.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
    base.pathname = `${base.pathname.replace(/\/$/, '')}/ari/events`;
    base.search = new URLSearchParams({ app: options.app }).toString();
    const ws = new WebSocket(base, {
      headers: {
        authorization: `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`,
        ...(options.userAgent ? { 'user-agent': options.userAgent } : {}),
      },
      handshakeTimeout: options.openTimeoutMs,
      perMessageDeflate: false,
      // JSON.parse copes with any bytes (a bad sequence becomes U+FFFD); ws's own pass over each message is not needed.
      skipUTF8Validation: true,
      followRedirects: false,
    });
    return new Promise((resolve, reject) => {
      let opened: AriEventSocket | undefined;
      ws.on('unexpected-response', (_req, res) => {
        res.resume();
        ws.terminate();
        reject(new Error(`ARI answered ${String(res.statusCode)} to the event WebSocket upgrade`));
      });
      ws.once('open', () => {
        opened = new AriEventSocket(ws);
        resolve(opened);
      });
      ws.on('error', (err) => {
        // Before the upgrade the error is the attempt's outcome; after it, 'close' follows and says it.
        if (!opened) reject(new Error('ARI event WebSocket could not be opened', { cause: err }));
      });
      ws.on('close', (code) => {
        if (!opened) reject(new Error(`ARI event WebSocket closed during the upgrade (${code})`));
        else handlers.onClose(opened, code);
      });
      ws.on('pong', () => handlers.onPong());
      ws.on('message', (data, isBinary) => {
        if (isBinary || !Buffer.isBuffer(data)) return handlers.onBadMessage('binary message');
        handlers.onMessage(data);
      });
    });
  }

  ping(): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.ping();
  }

  /** Drops the connection at once (no close handshake to wait for); `onClose` follows. */
  terminate(): void {
    this.ws.terminate();
  }
}
