import http from 'node:http';
import WebSocket from 'ws';

/**
 * The leanest ARI app possible, as a floor for the answer-to-dial measurement: its own Stasis
 * application, the event WebSocket read with `ws`, REST over a keep-alive agent, and the target
 * originated as the very first thing on the agent's first "Up" event. No ari-client, no engine.
 */
export class RawAriApp {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  private readonly handlers = new Set<(event: RawEvent) => void>();

  private constructor(private readonly ws: WebSocket, private readonly base: string, private readonly auth: string) {
    ws.on('message', (data) => {
      const event = JSON.parse(data.toString()) as RawEvent;
      for (const h of this.handlers) h(event);
    });
  }

  static async connect(ariUrl: string, username: string, password: string, app: string): Promise<RawAriApp> {
    const ws = new WebSocket(`${ariUrl.replace(/^http/, 'ws')}/ari/events?app=${encodeURIComponent(app)}&api_key=${encodeURIComponent(`${username}:${password}`)}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new RawAriApp(ws, ariUrl, `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`);
  }

  /** Sends a REST request; resolves with the status once the answer is in. */
  request(method: string, pathAndQuery: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const req = http.request(`${this.base}/ari${pathAndQuery}`, { method, agent: this.agent, headers: { authorization: this.auth } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
  }

  /**
   * Originates `agentEndpoint` into the app and, on its first Up (ChannelStateChange or Dial
   * ANSWER), originates `targetEndpoint`; hangs the agent up once the target is gone.
   */
  async call(app: string, id: string, agentEndpoint: string, targetEndpoint: string, callerId: string): Promise<void> {
    const agentId = `${id}-agent`;
    const targetId = `${id}-target`;
    const q = (v: string) => encodeURIComponent(v);
    const done = this.followCall(agentId, targetId,
      () => this.request('POST', `/channels?endpoint=${q(targetEndpoint)}&app=${q(app)}&appArgs=target&channelId=${q(targetId)}&callerId=${q(callerId)}&timeout=5`),
      async () => undefined);
    const status = await this.request('POST', `/channels?endpoint=${q(agentEndpoint)}&app=${q(app)}&appArgs=agent&channelId=${q(agentId)}&callerId=${q(callerId)}&timeout=5`);
    if (status !== 200) throw new Error(`raw ARI originate answered ${status}`);
    await done;
  }

  /**
   * The same call with the target leg made before the agent answers: a mixing bridge, the target
   * created (`/channels/create`) and added to it while the agent rings, and on the agent's first Up
   * only `POST /channels/{id}/dial`. A created channel that sits in a bridge waits on its control
   * queue's condition, so the dial runs at once (outside a bridge it waits for the 200 ms loop).
   */
  async callPrecreated(app: string, id: string, agentEndpoint: string, targetEndpoint: string, callerId: string): Promise<void> {
    const agentId = `${id}-agent`;
    const targetId = `${id}-target`;
    const bridgeId = `${id}-bridge`;
    const q = (v: string) => encodeURIComponent(v);
    const expect200 = async (what: string, p: Promise<number>) => {
      const status = await p;
      if (status !== 200 && status !== 204) throw new Error(`raw ARI ${what} answered ${status}`);
    };
    await expect200('bridge', this.request('POST', `/bridges/${q(bridgeId)}?type=mixing`));
    const inStasis = new Promise<void>((resolve) => {
      const handler = (e: RawEvent) => {
        if (e.type === 'StasisStart' && e.channel?.id === targetId) {
          this.handlers.delete(handler);
          resolve();
        }
      };
      this.handlers.add(handler);
    });
    await expect200('create', this.request('POST', `/channels/create?endpoint=${q(targetEndpoint)}&app=${q(app)}&appArgs=target&channelId=${q(targetId)}`));
    await inStasis; // addChannel answers 422 until the created channel's thread has entered Stasis
    await expect200('addChannel', this.request('POST', `/bridges/${q(bridgeId)}/addChannel?channel=${q(targetId)}`));
    const done = this.followCall(agentId, targetId,
      () => this.request('POST', `/channels/${q(targetId)}/dial?caller=${q(agentId)}&timeout=5`),
      () => this.request('DELETE', `/bridges/${q(bridgeId)}`));
    await expect200('originate', this.request('POST', `/channels?endpoint=${q(agentEndpoint)}&app=${q(app)}&appArgs=agent&channelId=${q(agentId)}&callerId=${q(callerId)}&timeout=5`));
    await done;
  }

  /**
   * Starts the target (`startTarget`) on the agent's first Up (ChannelStateChange or Dial ANSWER),
   * hangs the agent up once the target is gone, and resolves after `cleanUp` once the agent is gone.
   */
  private followCall(agentId: string, targetId: string, startTarget: () => Promise<number>, cleanUp: () => Promise<unknown>): Promise<void> {
    let started = false;
    return new Promise<void>((resolve) => {
      const handler = (e: RawEvent) => {
        const channel = e.channel?.id ?? e.peer?.id;
        const up = (e.type === 'ChannelStateChange' && e.channel?.state === 'Up') || (e.type === 'Dial' && e.dialstatus === 'ANSWER');
        if (channel === agentId && up && !started) {
          started = true;
          void startTarget();
        }
        if (channel === targetId && e.type === 'ChannelDestroyed') void this.request('DELETE', `/channels/${encodeURIComponent(agentId)}`);
        if (channel === agentId && e.type === 'ChannelDestroyed') {
          this.handlers.delete(handler);
          void cleanUp().then(() => resolve());
        }
      };
      this.handlers.add(handler);
    });
  }

  close(): void {
    this.ws.close();
    this.agent.destroy();
  }
}

interface RawEvent {
  type: string;
  channel?: { id: string; state: string };
  peer?: { id: string };
  dialstatus?: string;
}
