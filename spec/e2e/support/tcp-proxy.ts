import net from 'node:net';

/**
 * A loopback TCP relay in front of Asterisk's HTTP port, so a scenario can cut the app's ARI
 * connections (REST and the event WebSocket) the way a network failure would: abruptly, with a
 * reset and no WebSocket close frame, and keep refusing new ones for a while.
 */
export class TcpProxy {
  private readonly pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  /** Every socket this relay holds, either side, until it has closed. */
  private readonly sockets = new Set<net.Socket>();
  private refuseUntil = 0;
  /** Connections whose first bytes were a WebSocket upgrade (the ARI event socket). */
  webSocketsOpened = 0;

  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    let proxy!: TcpProxy;
    const server = net.createServer((client) => proxy.accept(client, targetHost, targetPort));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    proxy = new TcpProxy(server, (server.address() as net.AddressInfo).port);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }

  private accept(client: net.Socket, host: string, port: number): void {
    client.on('error', () => undefined);
    this.track(client);
    if (Date.now() < this.refuseUntil) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(port, host);
    this.track(upstream);
    upstream.on('error', () => client.destroy());
    const pair = { client, upstream };
    this.pairs.add(pair);
    client.once('data', (first: Buffer) => {
      if (/^GET [^\r\n]*\r\n[\s\S]*upgrade: websocket/i.test(first.toString('latin1'))) this.webSocketsOpened += 1;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const forget = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', forget);
    upstream.once('close', forget);
  }

  /** Resets every open connection now and refuses new ones for `refuseForMs`. */
  dropAll(refuseForMs: number): number {
    this.refuseUntil = Date.now() + refuseForMs;
    const count = this.pairs.size;
    for (const { client, upstream } of [...this.pairs]) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    return count;
  }

  /** Stops listening and destroys every socket it still holds; never waits on a peer. */
  async stop(): Promise<void> {
    this.refuseUntil = Number.POSITIVE_INFINITY;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of [...this.sockets]) socket.destroy();
    this.pairs.clear();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    this.server.unref();
  }
}
