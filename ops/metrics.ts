import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Observable, Subscription } from 'rxjs';
import type { CallUpdate, CallContext } from '../call/call-update';
import type { AriConnectionState } from '../ari/ari-port';
import type { CallSetupObserver } from '../engine/call-setup-observer';
import type { CallWrite } from './timed-call-records';
import type { TelegramResult } from './telegram-requests';

/** Wide enough to tell a healthy set-up step from one where Asterisk or a trunk struggles. */
const SETUP_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Finer at the bottom: a row write is short when all is well, and its tail is what matters. */
const WRITE_BUCKETS_S = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** What the metrics read at scrape time and the streams they follow. */
/** One Asterisk server as the metrics show it. */
export interface ServerState {
  id: string;
  connected: boolean;
  ownedHere: boolean;
}

export interface MetricSources {
  updates: Observable<CallUpdate>;
  ariConnection: Observable<AriConnectionState>;
  liveCalls(): number;
  /** Cluster mode: every configured Asterisk server, whether its owner says it is connected, and whether this instance owns it. */
  servers?(): Promise<readonly ServerState[]>;
  outboxDepth(): number;
}

/**
 * Every metric the service exports, on a registry of its own (one per app instance, so tests never
 * share one). Each is fed by a stream or a hook that already exists: recording is a counter or
 * histogram update, and gauges are read only when Prometheus scrapes.
 */
export class AppMetrics implements CallSetupObserver {
  readonly registry = new Registry();
  private liveCallsNow: () => number = () => 0;
  private serversNow: () => Promise<readonly ServerState[]> = () => Promise.resolve([]);
  private readonly serverUp: Gauge = new Gauge({
    name: 'callbot_asterisk_server_up',
    help: 'Cluster mode: 1 while an instance owns the Asterisk server and its ARI WebSocket is connected; owned_here says whether that instance is this one.',
    labelNames: ['server', 'owned_here'],
    registers: [this.registry],
    collect: async (): Promise<void> => {
      this.serverUp.reset();
      for (const s of await this.serversNow()) this.serverUp.set({ server: s.id, owned_here: s.ownedHere ? 'true' : 'false' }, s.connected ? 1 : 0);
    },
  });
  private outboxDepthNow: () => number = () => 0;
  private ariWasConnected = false;

  private readonly calls = new Counter({
    name: 'callbot_calls_total',
    help: 'Placed calls that ended, by route and outcome (refused requests are not placed and not counted).',
    labelNames: ['route', 'outcome'] as const,
    registers: [this.registry],
  });

  private readonly liveCalls: Gauge = new Gauge({
    name: 'callbot_live_calls',
    help: 'Calls in progress now.',
    registers: [this.registry],
    collect: (): void => this.liveCalls.set(this.liveCallsNow()),
  });

  private readonly agentSetup = new Histogram({
    name: 'callbot_call_agent_originate_seconds',
    help: 'From the engine starting a placed call (its Call row recorded) to Asterisk answering the agent leg\'s originate request: the agent channel exists and Asterisk has started dialing the agent (its INVITE).',
    labelNames: ['route'] as const,
    buckets: SETUP_BUCKETS_S,
    registers: [this.registry],
  });

  private readonly targetSetup = new Histogram({
    name: 'callbot_call_target_dial_seconds',
    help: 'From Asterisk reporting the agent\'s answer to Asterisk answering the target leg\'s dial request (with AGENT_CONFIRM_DIGIT, the agent\'s key press is included).',
    labelNames: ['route'] as const,
    buckets: SETUP_BUCKETS_S,
    registers: [this.registry],
  });

  private readonly ariConnected = new Gauge({
    name: 'callbot_ari_connected',
    help: '1 while the ARI event WebSocket is connected, else 0.',
    registers: [this.registry],
  });

  private readonly ariReconnects = new Counter({
    name: 'callbot_ari_reconnects_total',
    help: 'Times the ARI connection came back after having been connected.',
    registers: [this.registry],
  });

  private readonly telegramRequests = new Counter({
    name: 'callbot_telegram_requests_total',
    help: 'Bot API requests by method and result: ok, 429 (told to wait), 4xx (refused), 5xx, no_answer (timeout, network error or aborted).',
    labelNames: ['method', 'result'] as const,
    registers: [this.registry],
  });

  private readonly outboxDepth: Gauge = new Gauge({
    name: 'callbot_telegram_outbox_depth',
    help: 'Outgoing messages and edits waiting in the outbox or on the wire.',
    registers: [this.registry],
    collect: (): void => this.outboxDepth.set(this.outboxDepthNow()),
  });

  private readonly dbWrites = new Histogram({
    name: 'callbot_db_write_seconds',
    help: 'Call row writes by kind (call_request: the first row of a request, refused ones included; call_transition: every later change of a placed call) and result.',
    labelNames: ['write', 'result'] as const,
    buckets: WRITE_BUCKETS_S,
    registers: [this.registry],
  });

  /** `processMetrics`: also Node's own (CPU, memory, event-loop delay), as prom-client collects them. */
  constructor(options: { processMetrics?: boolean } = {}) {
    this.ariConnected.set(0);
    if (options.processMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /** Follows the engine's and ARI's streams; the returned subscription ends it. */
  watch(sources: MetricSources): Subscription {
    this.liveCallsNow = sources.liveCalls;
    if (sources.servers) this.serversNow = sources.servers;
    this.outboxDepthNow = sources.outboxDepth;
    const subscription = sources.updates.subscribe((update) => {
      if (update.final) this.calls.inc({ route: update.context.route, outcome: update.outcome ?? 'unknown' });
    });
    subscription.add(sources.ariConnection.subscribe((state) => this.ariState(state)));
    return subscription;
  }

  agentOriginated(context: CallContext, ms: number): void {
    this.agentSetup.observe({ route: context.route }, ms / 1000);
  }

  targetDialed(context: CallContext, ms: number): void {
    this.targetSetup.observe({ route: context.route }, ms / 1000);
  }

  dbWrite(write: CallWrite, seconds: number, ok: boolean): void {
    this.dbWrites.observe({ write, result: ok ? 'ok' : 'failed' }, seconds);
  }

  telegramAnswered(method: string, result: TelegramResult): void {
    this.telegramRequests.inc({ method, result });
  }

  private ariState(state: AriConnectionState): void {
    const connected = state === 'connected';
    this.ariConnected.set(connected ? 1 : 0);
    if (connected && this.ariWasConnected) this.ariReconnects.inc();
    if (connected) this.ariWasConnected = true;
  }
}
