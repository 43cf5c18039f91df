import net from 'node:net';

type Message = Record<string, string>;

/** Just enough of the Asterisk Manager Interface for the lab's Originate comparison. */
export class AmiClient {
  private buffer = '';
  private nextId = 1;
  private readonly waiting = new Map<string, (m: Message) => void>();
  readonly events: Message[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('error', () => undefined);
  }

  static async connect(port: number, username: string, secret: string): Promise<AmiClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const client = new AmiClient(socket);
    const login = await client.action({ Action: 'Login', Username: username, Secret: secret, Events: 'off' });
    if (login.Response !== 'Success') throw new Error(`AMI login refused: ${login.Message ?? JSON.stringify(login)}`);
    return client;
  }

  action(fields: Message, timeoutMs = 5000): Promise<Message> {
    const id = `e2e-${this.nextId++}`;
    const text = Object.entries({ ...fields, ActionID: id }).map(([k, v]) => `${k}: ${v}\r\n`).join('') + '\r\n';
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`AMI ${fields.Action}: no response within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (m) => { clearTimeout(timer); resolve(m); });
      this.socket.write(text);
    });
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 4);
      const message: Message = {};
      for (const line of block.split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) message[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
      }
      const id = message.ActionID;
      if (message.Response && id && this.waiting.has(id)) {
        this.waiting.get(id)!(message);
        this.waiting.delete(id);
      } else if (message.Event) {
        this.events.push(message);
      }
    }
  }

  async close(): Promise<void> {
    try {
      await this.action({ Action: 'Logoff' }, 1000);
    } catch {
      // Asterisk may close first.
    }
    this.socket.destroy();
  }
}
