/**
 * The floor the engine is measured against: a minimal ARI client on the same transport as the app
 * (AriEventSocket's `ws`, AriRest's keep-alive HTTP) that answers each event the bench measures with
 * the request callbot sends for it, and does nothing else: no machine, no database, no streams, no
 * logs. Run on the same simulator in the same run, callbot / bare reactor is the app's own cost.
 */
import { Subject } from 'rxjs';

import { DIAL_HOLD_MS } from '../call/call-machine';
import type { CallStage } from '../call/call-types';
import { READ_EVENTS, peekEventType, readAriEvent } from '../ari/ari-events';
import { AriEventSocket } from '../ari/ari-event-socket';
import { AriRest } from '../ari/ari-rest';
import { type TrackedUpdate, Tracker } from './call-tracker';
import type { Driver } from './engine-app';
import type { SimProcess } from './sim-client';

const APP = 'bare-reactor';

interface BareCall {
  id: string;
  agentTelegramId: string;
  stage: CallStage;
  agentUp: boolean;
  agentInStasis: boolean;
  targetInStasis: boolean;
  dialed: boolean;
  holdOver: boolean;
  joined: boolean;
  gone: Set<'agent' | 'target'>;
  torndown: boolean;
}

interface RawEvent {
  type?: string;
  channel?: { id?: string; state?: string };
  peer?: { id?: string };
  dialstatus?: string;
}

export class BareReactor implements Driver {
  readonly refusals = new Map<string, number>();
  readonly tracker: Tracker;
  private readonly updates = new Subject<TrackedUpdate>();
  private readonly calls = new Map<string, BareCall>();
  private readonly byAgent = new Map<string, string>();
  private next = 0;

  private constructor(private readonly rest: AriRest, private readonly socket: AriEventSocket, private readonly phoneOf: (telegramId: string) => string) {
    this.tracker = new Tracker(this.updates);
  }

  static async start(sim: SimProcess, phoneOf: (telegramId: string) => string): Promise<BareReactor> {
    const rest = new AriRest(sim.url, sim.username, sim.password, 5000);
    let reactor: BareReactor | undefined;
    const socket = await AriEventSocket.open({ url: sim.url, username: sim.username, password: sim.password, app: APP, openTimeoutMs: 5000 }, {
      onMessage: (data) => reactor?.receive(data),
      onBadMessage: () => undefined,
      onPong: () => undefined,
      onClose: () => undefined,
    });
    reactor = new BareReactor(rest, socket, phoneOf);
    return reactor;
  }

  async placeCall(agentTelegramId: string, targetInput: string): Promise<{ ok: true; callId: string } | { ok: false; refusal: string }> {
    if (this.byAgent.has(agentTelegramId)) return { ok: false, refusal: 'live_call_exists' };
    const id = `bare${(this.next += 1)}`;
    const call: BareCall = {
      id, agentTelegramId, stage: 'agent_dialing', agentUp: false, agentInStasis: false, targetInStasis: false,
      dialed: false, holdOver: false, joined: false, gone: new Set(), torndown: false,
    };
    this.calls.set(id, call);
    this.byAgent.set(agentTelegramId, id);
    this.publish(call);
    const phone = this.phoneOf(agentTelegramId);
    void this.send('POST', '/channels', {
      channelId: `${id}-agent`, endpoint: `PJSIP/${phone}@trunk-main`, app: APP, appArgs: `agent,${id}`, timeout: 300, callerId: '+12025550100',
    });
    void this.send('POST', '/bridges', { bridgeId: `${id}-bridge`, type: 'mixing', name: id });
    void this.send('POST', '/channels/create', { channelId: `${id}-target`, endpoint: `PJSIP/+1${targetInput}@trunk-main`, app: APP, appArgs: `target,${id}` });
    return { ok: true, callId: id };
  }

  connectedCalls(): number {
    let n = 0;
    for (const call of this.calls.values()) if (call.stage === 'connected') n += 1;
    return n;
  }

  callsInFlight(): number {
    return this.calls.size;
  }

  async settled(): Promise<void> {
    // Nothing is written anywhere: the requests are all there is.
  }

  close(): void {
    this.socket.terminate();
    this.rest.close();
    this.updates.complete();
  }

  private receive(data: Buffer): void {
    // The events nobody reads are dropped unparsed, as the adapter drops them.
    const type = peekEventType(data);
    if (type !== undefined && !READ_EVENTS.has(type)) return;
    const read = readAriEvent(data);
    if (!('event' in read)) return;
    const e = read.event as RawEvent;
    const channelId = e.type === 'Dial' ? e.peer?.id : e.channel?.id;
    if (!channelId) return;
    const dash = channelId.lastIndexOf('-');
    const call = this.calls.get(channelId.slice(0, dash));
    if (!call) return;
    const leg = channelId.slice(dash + 1) === 'agent' ? 'agent' : 'target';
    const answered = (e.type === 'ChannelStateChange' && e.channel?.state === 'Up') || (e.type === 'Dial' && e.dialstatus === 'ANSWER');
    const progress = answered || (e.type === 'Dial' && e.dialstatus === 'RINGING') || e.type === 'ChannelDestroyed';
    if (leg === 'target' && progress && call.dialed) this.holdOver(call);
    if (e.type === 'StasisStart') this.inStasis(call, leg);
    else if (answered) this.answered(call, leg);
    else if (e.type === 'ChannelDestroyed') this.destroyed(call, leg);
  }

  private inStasis(call: BareCall, leg: 'agent' | 'target'): void {
    if (leg === 'target') {
      call.targetInStasis = true;
      void this.send('POST', `/bridges/${call.id}-bridge/addChannel`, { channel: `${call.id}-target` });
      return;
    }
    call.agentInStasis = true;
    this.joinAgent(call);
  }

  private answered(call: BareCall, leg: 'agent' | 'target'): void {
    if (leg === 'target') {
      if (call.stage === 'connected') return;
      call.stage = 'connected';
      void this.send('DELETE', `/playbacks/${call.id}-ringback`);
      this.publish(call);
      return;
    }
    if (call.agentUp) return;
    call.agentUp = true;
    call.dialed = true;
    void this.send('POST', `/channels/${call.id}-target/dial`, { timeout: 300, caller: `${call.id}-agent` });
    setTimeout(() => this.holdOver(call), DIAL_HOLD_MS);
  }

  /** The agent joins once it is in Stasis and the dial has gone out alone, as callbot does. */
  private holdOver(call: BareCall): void {
    if (call.holdOver) return;
    call.holdOver = true;
    this.joinAgent(call);
  }

  private joinAgent(call: BareCall): void {
    if (call.joined || !call.agentInStasis || !call.holdOver) return;
    call.joined = true;
    void this.send('POST', `/bridges/${call.id}-bridge/addChannel`, { channel: `${call.id}-agent` });
    if (call.stage !== 'connected') void this.send('POST', `/channels/${call.id}-agent/play`, { media: 'tone:ring', playbackId: `${call.id}-ringback` });
  }

  private destroyed(call: BareCall, leg: 'agent' | 'target'): void {
    call.gone.add(leg);
    if (!call.torndown) {
      call.torndown = true;
      const other = leg === 'agent' ? 'target' : 'agent';
      void this.send('DELETE', `/channels/${call.id}-${other}`);
      void this.send('DELETE', `/bridges/${call.id}-bridge`);
    }
    if (call.gone.size < 2) return;
    call.stage = 'ended';
    this.calls.delete(call.id);
    this.byAgent.delete(call.agentTelegramId);
    this.publish(call);
  }

  private publish(call: BareCall): void {
    this.updates.next({ context: { callId: call.id, agentTelegramId: call.agentTelegramId }, stage: call.stage, final: call.stage === 'ended', outcome: call.stage === 'ended' ? 'completed' : undefined });
  }

  private send(method: 'POST' | 'DELETE', path: string, query?: Record<string, string | number>): Promise<unknown> {
    return this.rest.call('bare', method, path, query).catch(() => undefined);
  }
}
