import type { Observable, Subscription } from 'rxjs';
import type { AriPort } from '../ari/ari-port';
import type { SupervisionMode, SupervisionRecord } from '../call/supervision';
import type { Config } from '../config/config';
import type { Logger } from '../config/logger';
import type { AuditTrail } from '../engine/call-engine-ports';
import { type SupervisedCalls, SupervisionDesk, type SupervisionRefusal, type Supervisor } from '../engine/supervision-desk';
import { SupervisionRunner, type SupervisionView } from '../engine/supervision-runner';
import type { Fence } from './fenced-update';
import { STALE_REQUEST_MS } from './server-calls';
import type { SupervisionRequestRow, SupervisionRequests } from './supervision-requests';

/** A supervision as its supervisor's message shows it; `end` may also be `restart` (its owner went away) or a refusal. */
export type ShownSupervision = Omit<SupervisionView, 'end'> & { end?: string };

/** Whom a supervisor's message names: the agent and the customer (masked by the wording). */
export interface SupervisedParties {
  agentLabel: string;
  customer: string;
}

/** Why a supervision ended without ringing the supervisor (the owner checked again). */
export type SupervisionNotRun = 'not_supervisor' | 'no_phone' | 'stale' | SupervisionRefusal;

/** The supervisor's message in Telegram, as the owner of the call's server keeps it (telegram/commands/supervision.ts words it). */
export interface SupervisorMessages {
  /** The message saying their phone rings; its id once sent. */
  ringing(chatId: string, parties: SupervisedParties): Promise<number | undefined>;
  /** The supervision changed (answered, mode switched, ended): the message follows it. */
  changed(chatId: string, messageId: number, supervisionId: string, parties: SupervisedParties, view: ShownSupervision): void;
  /** Not run after all: the supervisor is told why. */
  notRun(chatId: string, why: SupervisionNotRun): void;
}

/** Who may supervise, read again when the owner is about to ring (agents/supervisor-roster.ts). */
export interface SupervisorCheck {
  mayMonitor(telegramId: string): Promise<boolean>;
  acting(telegramId: string): Promise<Supervisor | null>;
}

export interface ServerSupervisionsDeps {
  serverId: string;
  /** This holding of the server's lease: every write of a supervision's row is fenced by it. */
  fence: Fence;
  calls: SupervisedCalls;
  /** The server's ARI, fenced by the lease. */
  ari: AriPort;
  requests: SupervisionRequests;
  roster: SupervisorCheck;
  messages: SupervisorMessages;
  config: Pick<Config, 'routes' | 'agentRingTimeoutS' | 'monitorRoutes'> & { ari: Pick<Config['ari'], 'app'> };
  audit: AuditTrail;
  logger: Logger;
  now?: () => number;
}

/** A supervision run here, and the supervisor's message that follows it. */
interface Followed {
  row: SupervisionRequestRow;
  /** The message's id once sent; every edit waits for it, so edits keep the order of the changes. */
  message: Promise<number | undefined>;
  /** The row's last write: each change is written after the one before, so the row never goes back to an older mode. */
  written: Promise<void>;
}

/**
 * The supervisions of one Asterisk server while this instance owns it (cluster mode): the snoop is
 * on the agent's channel, on this server, so the supervisor is rung here. It claims the requests
 * recorded on any instance (supervision-requests.ts), checks the supervisor again and runs them with
 * the single-instance desk and runner (engine/), carries out the switches and Leave written on their
 * rows, and keeps the supervisor's message. A supervision's end is written on its row under the
 * lease, and only the ending that writes it is audited: once, whichever instance ends it. A new
 * owner ends the supervisions of the one before it (`restart`); the sweep clears their channels.
 */
export class ServerSupervisions {
  private readonly runner: SupervisionRunner;
  private readonly desk: SupervisionDesk;
  private readonly followed = new Map<string, Followed>();
  /** Claimed requests between their claim and their start, which a take-over must not end. */
  private readonly starting = new Set<string>();
  private readonly subscriptions: Subscription[] = [];
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly deps: ServerSupervisionsDeps) {
    this.now = deps.now ?? Date.now;
    this.runner = new SupervisionRunner({
      ari: deps.ari, app: deps.config.ari.app, audit: deps.audit, logger: deps.logger, now: this.now,
      sessions: { ended: (record) => this.ended(record) },
    });
    this.desk = new SupervisionDesk({ calls: deps.calls, runner: this.runner, config: deps.config });
    this.subscriptions.push(this.runner.follow(deps.ari));
    this.subscriptions.push(this.runner.updates.subscribe((view) => this.show(view)));
  }

  /** Every change of the supervisions run here (the agent's status message notes one that is on, MONITOR_NOTICE). */
  get updates(): Observable<SupervisionView> {
    return this.runner.updates;
  }

  /** The channels and bridges of the supervisions run here: the orphan sweep leaves them. */
  ownedIds(): ReadonlySet<string> {
    return this.runner.ownedIds();
  }

  /** One round of the owner's: the server's new requests, then the switches and Leave asked for. */
  async serve(): Promise<void> {
    const { requests, serverId, fence } = this.deps;
    for (const row of await requests.claim(serverId, fence)) {
      this.starting.add(row.id);
      try {
        await this.start(row);
      } finally {
        this.starting.delete(row.id);
      }
    }
    for (const row of await requests.asked(serverId)) {
      if (!this.runner.get(row.id)) continue;
      if (row.leaveRequested) {
        this.desk.leave(row.id, row.supervisorTelegramId);
      } else if (row.requestedMode) {
        this.desk.switchMode(row.id, row.supervisorTelegramId, row.requestedMode);
        await requests.switched(row.id, row.requestedMode, fence);
      }
    }
  }

  /**
   * On taking the server (and on every reconnect): the supervisions another owner ran here, or
   * claimed and never started, are over; each is ended, audited once and its supervisor told.
   */
  async endLeftOver(): Promise<void> {
    for (const row of await this.deps.requests.live(this.deps.serverId)) {
      if (!row.claimed || this.runner.get(row.id) || this.starting.has(row.id) || this.followed.has(row.id)) continue;
      await this.endRestarted(row);
    }
  }

  /**
   * The orphan sweep hung up a supervision's channels (its owner is gone): ended and audited, once,
   * if not already. Channels without a row (left by a single-instance run) are only cleared.
   */
  cutOff(supervisionId: string): void {
    void this.deps.requests.byId(supervisionId)
      .then((row) => (row && row.stage !== 'ended' && !this.runner.get(row.id) ? this.endRestarted(row) : undefined))
      .catch((err: unknown) => this.deps.logger.warn('ending a cut-off supervision failed', { supervisionId, err }));
  }

  /**
   * This instance no longer owns the server: its supervisions are forgotten, not ended (the lease's
   * fence would refuse their requests and writes anyway); the next owner ends and audits them.
   */
  stop(): void {
    this.stopped = true;
    for (const s of this.subscriptions.splice(0)) s.unsubscribe();
    this.desk.stop();
    this.runner.forgetAll();
    this.followed.clear();
  }

  private async start(row: SupervisionRequestRow): Promise<void> {
    const { requests, roster, messages, fence } = this.deps;
    if (this.now() - row.requestedAt > STALE_REQUEST_MS) return this.notRun(row, 'stale');
    // Checked again here: a supervisor removed since they tapped is not rung.
    const supervisor = (await roster.mayMonitor(row.supervisorTelegramId)) ? await roster.acting(row.supervisorTelegramId) : null;
    if (!supervisor) return this.notRun(row, (await roster.mayMonitor(row.supervisorTelegramId)) ? 'no_phone' : 'not_supervisor');
    // The call is checked again here too: it may have ended or changed hands since the tap.
    const answer = this.desk.supervise(row.callId, supervisor, row.mode, row.id);
    if (!answer.ok) return this.notRun(row, answer.refusal);
    // Followed before any of its events can come: the runner's first request has not even gone out yet.
    const message = messages.ringing(row.chatId, { agentLabel: row.agentLabel, customer: row.customer });
    const followed: Followed = { row, message, written: Promise.resolve() };
    this.followed.set(row.id, followed);
    void message.then((messageId) => (messageId === undefined ? undefined : requests.messageSent(row.id, messageId, fence)))
      .catch((err: unknown) => this.deps.logger.warn('recording the supervisor\'s message failed', { supervisionId: row.id, err }));
    this.write(followed, () => requests.progressed(row.id, { stage: 'ringing', mode: row.mode, modes: [] }, fence));
  }

  /** Writes a change of the supervision on its row after the ones before it; a failed write is logged and the next one goes on. */
  private write(followed: Followed, change: () => Promise<void>): void {
    followed.written = followed.written.then(change)
      .catch((err: unknown) => { this.deps.logger.warn('recording a supervision\'s change failed', { supervisionId: followed.row.id, err }); });
  }

  private async notRun(row: SupervisionRequestRow, why: SupervisionNotRun): Promise<void> {
    if (await this.deps.requests.end(row.id, { reason: why, at: this.now() }, this.deps.fence)) this.deps.messages.notRun(row.chatId, why);
  }

  /** The first to end a session's row audits it (engine/supervision-runner.ts asks before auditing). */
  private async ended(record: SupervisionRecord): Promise<boolean> {
    if (this.stopped) return false;
    return this.deps.requests.end(record.supervisionId, { reason: record.end, at: this.now(), modes: record.modes }, this.deps.fence);
  }

  private show(view: SupervisionView): void {
    const followed = this.followed.get(view.supervisionId);
    if (!followed) return;
    const { row, message } = followed;
    if (view.stage === 'ended') {
      this.followed.delete(view.supervisionId);
    } else {
      const state = this.runner.get(view.supervisionId);
      const modes: SupervisionMode[] = state ? state.modes.map((m) => m.mode) : [];
      this.write(followed, () => this.deps.requests.progressed(row.id, {
        stage: view.stage === 'active' ? 'active' : 'ringing', mode: view.mode, modes, ...(view.answeredAt !== undefined ? { answeredAt: view.answeredAt } : {}),
      }, this.deps.fence));
    }
    void message.then((messageId) => {
      if (messageId !== undefined) this.deps.messages.changed(row.chatId, messageId, row.id, { agentLabel: row.agentLabel, customer: row.customer }, view);
    });
  }

  private async endRestarted(row: SupervisionRequestRow): Promise<void> {
    const at = this.now();
    if (!(await this.deps.requests.end(row.id, { reason: 'restart', at }, this.deps.fence))) return;
    const seconds = row.answeredAt === null ? 'unanswered' : String(Math.max(0, Math.round((at - row.answeredAt) / 1000)));
    await this.deps.audit.record({
      actor: row.supervisorTelegramId, action: 'call_supervised', subject: row.callId,
      details: `modes=${row.modes.join('>') || 'none'} seconds=${seconds} end=restart`,
    });
    if (row.messageId === null) return;
    const view: ShownSupervision = {
      supervisionId: row.id, callId: row.callId, supervisorTelegramId: row.supervisorTelegramId, stage: 'ended', mode: row.mode, end: 'restart', endedAt: at,
      ...(row.answeredAt !== null ? { answeredAt: row.answeredAt } : {}),
    };
    this.deps.messages.changed(row.chatId, row.messageId, row.id, { agentLabel: row.agentLabel, customer: row.customer }, view);
  }
}
