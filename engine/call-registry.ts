import { Observable, ReplaySubject, Subject } from 'rxjs';
import { afterRequestsWritten, requestsWritten } from '../ari/request-first';
import type { CallState } from '../call/call-machine';
import { addedLegOfChannel } from '../call/call-ids';
import type { LegId, LegName, RouteCode } from '../call/call-types';
import type { CallContext, CallUpdate } from '../call/call-update';

export interface LiveCall {
  context: CallContext;
  state: CallState;
  updates: ReplaySubject<CallUpdate>;
}

/**
 * The live calls, found by call id, agent or channel id, and the RxJS streams: one per call
 * (replays its whole history to late subscribers, completes after the final update) and one for
 * all calls (hot; never completes).
 */
export class CallRegistry {
  private readonly calls = new Map<string, LiveCall>();
  private readonly byChannel = new Map<string, { callId: string; leg: LegName }>();
  private readonly byAgent = new Map<number, string>();
  /** Agents whose request is being recorded, by the route it will take. */
  private readonly reservedAgents = new Map<number, RouteCode | undefined>();
  private readonly all = new Subject<CallUpdate>();

  readonly allUpdates: Observable<CallUpdate> = this.all.asObservable();

  get size(): number {
    return this.calls.size + this.reservedAgents.size;
  }

  /** Holds an agent's single live-call slot while their request is checked and recorded. */
  reserveAgent(agentId: number, route?: RouteCode): boolean {
    if (this.liveCallOfAgent(agentId) !== undefined || this.reservedAgents.has(agentId)) return false;
    this.reservedAgents.set(agentId, route);
    return true;
  }

  /** Calls on a route that have not ended, and requests reserved for it. */
  liveOnRoute(route: RouteCode): number {
    let count = 0;
    for (const live of this.calls.values()) if (live.context.route === route && live.state.stage !== 'ended') count += 1;
    for (const reserved of this.reservedAgents.values()) if (reserved === route) count += 1;
    return count;
  }

  releaseAgent(agentId: number): void {
    this.reservedAgents.delete(agentId);
  }

  add(context: CallContext, state: CallState): LiveCall {
    const live: LiveCall = { context, state, updates: new ReplaySubject<CallUpdate>() };
    this.calls.set(context.callId, live);
    this.byChannel.set(state.ids.agentChannelId, { callId: context.callId, leg: 'agent' });
    this.byChannel.set(state.ids.targetChannelId, { callId: context.callId, leg: 'target' });
    this.reservedAgents.delete(context.agentId);
    this.byAgent.set(context.agentId, context.callId);
    return live;
  }

  get(callId: string): LiveCall | undefined {
    return this.calls.get(callId);
  }

  /** The call and leg of a channel: the first two legs by the map, added legs (`<callId>-p3`) by their call's state. */
  byChannelId(channelId: string): { call: LiveCall; leg: LegId } | undefined {
    const entry = this.byChannel.get(channelId);
    const call = entry && this.calls.get(entry.callId);
    if (call && entry) return { call, leg: entry.leg };
    const added = addedLegOfChannel(channelId);
    const owner = added && this.calls.get(added.callId);
    return owner && owner.state.legs.some((l) => l.id === added.legId) ? { call: owner, leg: added.legId } : undefined;
  }

  liveCallOfAgent(agentId: number): LiveCall | undefined {
    const callId = this.byAgent.get(agentId);
    const bound = callId ? this.calls.get(callId) : undefined;
    if (bound !== undefined && (!ringsAgents(bound) || rungAgentOf(bound) === agentId)) return bound;
    for (const live of this.calls.values()) if (ringsAgents(live) && rungAgentOf(live) === agentId) return live;
    return undefined;
  }

  list(): LiveCall[] {
    return [...this.calls.values()];
  }

  /**
   * Observers (the bot, metrics, tests) hear of a transition, in order, once the requests it made
   * have been written (request-first.ts): rendering a status message never holds back the request
   * that dials a phone. The agent's slot is freed at once. With `after`, the update (and every
   * later one of the call, so their order holds) is told only once `after` has settled: a write that
   * must be durable before anyone learns what it records.
   */
  publish(live: LiveCall, update: CallUpdate, after?: Promise<unknown>): void {
    if (update.final) {
      // Its agents may place the next call at once; the call itself stays findable by its channels
      // until its teardown has finished (remove()).
      this.unbindAgents(live.context.callId);
    } else if (live.state.legs.length > 2) {
      this.bindAgents(live);
    }
    const tell = () => {
      live.updates.next(update);
      this.all.next(update);
      if (update.final) live.updates.complete();
    };
    const callId = live.context.callId;
    const before = this.telling.get(callId);
    if (!after && !before) {
      afterRequestsWritten(tell);
      return;
    }
    const told: Promise<void> = Promise.all([before, after?.catch(() => undefined)]).then(() => requestsWritten()).then(tell);
    this.telling.set(callId, told);
    void told.finally(() => {
      if (this.telling.get(callId) === told) this.telling.delete(callId);
    });
  }

  /** Per call, the update being held until a write settles: the call's later updates are told after it. */
  private readonly telling = new Map<string, Promise<void>>();

  remove(callId: string): void {
    const live = this.calls.get(callId);
    if (!live) return;
    this.calls.delete(callId);
    this.byChannel.delete(live.state.ids.agentChannelId);
    this.byChannel.delete(live.state.ids.targetChannelId);
    this.unbindAgents(callId);
  }

  /**
   * A call of more than two parties is the live call of each agent with a leg on it: one who took it
   * by a transfer answers for it (/hangup) and places no other call meanwhile; one whose own leg has
   * left (they passed it on) is free to place the next call while it goes on.
   */
  private bindAgents(live: LiveCall): void {
    const { callId } = live.context;
    for (const leg of live.state.legs) {
      const agentId = leg.agentId ?? (leg.id === 'agent' ? live.context.agentId : undefined);
      if (agentId === undefined || leg.status === 'idle') continue;
      const bound = this.byAgent.get(agentId);
      if (leg.status === 'ended') {
        if (bound === callId) this.byAgent.delete(agentId);
      } else if (bound === undefined) {
        this.byAgent.set(agentId, callId);
      }
    }
  }

  private unbindAgents(callId: string): void {
    for (const [agentId, bound] of this.byAgent) if (bound === callId) this.byAgent.delete(agentId);
  }

  /** Every channel and bridge id a live call owns: what reconciliation must leave alone. */
  ownedIds(): Set<string> {
    const ids = new Set<string>();
    for (const { state } of this.calls.values()) {
      ids.add(state.ids.agentChannelId).add(state.ids.targetChannelId).add(state.ids.bridgeId).add(state.ids.consultBridgeId);
      for (const leg of state.legs) ids.add(leg.channelId);
    }
    return ids;
  }
}

/**
 * A return call still between its customer and one agent leg rings one agent after another, with
 * no update published when it moves on: the agent rung (or talking) now holds it as their live
 * call, so their /call meanwhile is refused, and one passed over is free again.
 */
function ringsAgents(live: LiveCall): boolean {
  return live.state.returnCall !== undefined && live.state.stage !== 'ended' && live.state.legs.length <= 2;
}

function rungAgentOf(live: LiveCall): number | undefined {
  const leg = live.state.legs.find((l) => l.id === 'agent');
  if (leg === undefined || leg.status === 'idle' || leg.status === 'ended') return undefined;
  return leg.agentId ?? live.context.agentId;
}
