import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedDelivery {
  headers: http.IncomingHttpHeaders;
  body: string;
  event: { id: string; type: string; callId: string; occurredAt: string; data: Record<string, unknown> };
  status: number | 'hang';
}

/** What the receiver answers to its `n`th request (0-based): a status, or no answer at all. */
export type ReceiverAnswer = (delivery: Omit<ReceivedDelivery, 'status'>, n: number) => number | 'hang';

/** A CRM's webhook receiver on 127.0.0.1: keeps every request it got and answers as told. */
export class WebhookReceiver {
  readonly requests: ReceivedDelivery[] = [];
  answer: ReceiverAnswer = () => 200;
  private server?: http.Server;

  async start(port = 0): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const received = { headers: req.headers, body, event: JSON.parse(body) as ReceivedDelivery['event'] };
        const status = this.answer(received, this.requests.length);
        this.requests.push({ ...received, status });
        if (status !== 'hang') res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/hooks`;
  }

  /** The requests answered 2xx, in the order they came. */
  get accepted(): ReceivedDelivery[] {
    return this.requests.filter((r) => typeof r.status === 'number' && r.status >= 200 && r.status < 300);
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}
