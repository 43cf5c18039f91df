import type { Observable, Subscription } from 'rxjs';
import type { CallUpdate } from '../call/call-update';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import type { AriConnectionState } from '../ari/ari-port';
import type { CallRecords } from '../engine/call-engine-ports';
import type { CallSetupObserver } from '../engine/call-setup-observer';
import { AppMetrics, type ServerState } from './metrics';
import type { HttpListener } from './http-listener';
import { startOpsServer } from './ops-server';
import { ariCheck, databaseCheck, serversCheck } from './readiness';
import { TelegramRequestWatch } from './telegram-requests';
import { timedCallRecords } from './timed-call-records';

/** What the operators' view reads once everything is built. */
export interface OperationsSources {
  database: { query(sql: string): Promise<unknown> };
  ari: { isConnected(): boolean; readonly connection: Observable<AriConnectionState> };
  engine: { readonly updates: Observable<CallUpdate>; liveCalls(): readonly unknown[] };
  outbox: { readonly pending: number };
  /** Cluster mode: the Asterisk servers' states; readiness then needs one connected server, not this instance's own ARI. */
  servers?: () => Promise<readonly ServerState[]>;
}

/**
 * The operators' view of the service, wired in a few lines of the composition root: the hooks the
 * engine and the bot take, then the endpoint once there is something to watch. With no METRICS_PORT
 * nothing is hooked in at all.
 */
export class Operations {
  readonly metrics: AppMetrics;
  readonly telegram: TelegramRequestWatch;
  private server?: HttpListener;
  private watching?: Subscription;

  /** `options`: Node's own metrics (on unless told otherwise) and the fetch the bot's requests go through (the global one). */
  constructor(
    private readonly config: Config['metrics'], private readonly logger: Logger,
    options: { processMetrics?: boolean; fetch?: typeof fetch } = {},
  ) {
    this.metrics = new AppMetrics({ processMetrics: config !== undefined && (options.processMetrics ?? true) });
    this.telegram = new TelegramRequestWatch((method, result) => this.metrics.telegramAnswered(method, result), options.fetch);
  }

  /** The engine's call records with every write timed, and its set-up observer; the records alone when off. */
  engineHooks(calls: CallRecords): { calls: CallRecords; setup?: CallSetupObserver } {
    if (!this.config) return { calls };
    return { calls: timedCallRecords(calls, (write, seconds, ok) => this.metrics.dbWrite(write, seconds, ok)), setup: this.metrics };
  }

  /** The bot's fetch, watched; undefined (the library's own) when off. */
  get telegramFetch(): typeof fetch | undefined {
    return this.config ? this.telegram.fetch : undefined;
  }

  async start(sources: OperationsSources): Promise<void> {
    if (!this.config) return;
    this.watching = this.metrics.watch({
      updates: sources.engine.updates,
      ariConnection: sources.ari.connection,
      liveCalls: () => sources.engine.liveCalls().length,
      ...(sources.servers ? { servers: sources.servers } : {}),
      outboxDepth: () => sources.outbox.pending,
    });
    this.server = await startOpsServer(this.config.host, this.config.port, {
      registry: this.metrics.registry,
      checks: {
        database: databaseCheck(sources.database),
        ...(sources.servers ? { asterisk: serversCheck(sources.servers) } : { ari: ariCheck(sources.ari) }),
        telegram: () => this.telegram.reachability(),
      },
      logger: this.logger,
    });
  }

  /** Where the endpoint listens, once started. */
  get address(): { address: string; port: number } | undefined {
    return this.server?.address;
  }

  async stop(): Promise<void> {
    this.watching?.unsubscribe();
    await this.server?.close();
  }
}
