import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** An HTTP server of the service's (the operators' endpoint, the webhook): listening, its address, a close that ends kept-alive connections too. */
export class HttpListener {
  private constructor(private readonly server: http.Server) {}

  /** Rejects with `what` named when the port cannot be bound (taken, or not allowed). */
  static async listen(server: http.Server, host: string, port: number, what: string): Promise<HttpListener> {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new Error(`${what} cannot listen on ${host}:${port}`, { cause: err })));
      server.listen(port, host, resolve);
    });
    return new HttpListener(server);
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
