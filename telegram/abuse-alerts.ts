import { randomBytes } from 'node:crypto';
import { type Subscription, merge } from 'rxjs';
import { type AbuseAlert, AbuseDetector, type AbuseObservation, type DetectorClock } from '../compliance/abuse-detector';
import type { BotDeps } from './handler-context';
import { suspendAlertButton } from './menus/keyboards';
import { ALERT } from './texts';

/** Telegram throttles edits of one message; a storm's message shows its newest count at most this often. */
const EDIT_INTERVAL_MS = 3000;
/** An alert's Suspend button stays valid this long after its last firing, then answers that it is stale. */
const KEEP_MS = 24 * 60 * 60 * 1000;

/** One storm as the admins see it: the newest alert, and each admin's copy of the message. */
export interface AlertRecord {
  readonly id: string;
  alert: AbuseAlert;
  agent: { name: string; username: string | null };
  suspended?: { by: string; at: number };
  /** Bumped on every change, so each admin's copy is edited until it shows the newest. */
  version: number;
  copies: Map<string, { messageId?: number; shown: number; busy: boolean; lastEditAt: number }>;
}

/**
 * Feeds the detector from the engine (calls placed and ended, refused requests) and tells every
 * super admin: one message per agent and kind of alert, edited while the storm goes on, with the
 * Suspend button. The button carries only a random id of the record kept here, so it cannot be
 * forged for another agent, and is stale once the record is gone (a restart, a day of quiet).
 */
export class AbuseAlerts {
  private readonly detector: AbuseDetector;
  private readonly storms = new Map<string, AlertRecord>();
  private readonly byId = new Map<string, AlertRecord>();
  private subscription?: Subscription;
  /** Alerts are handled one at a time, in the order they fired. */
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: BotDeps, private readonly clock: DetectorClock = { now: Date.now }) {
    this.detector = new AbuseDetector(deps.config.alerts, clock);
  }

  start(): void {
    const { desk } = this.deps;
    this.subscription = merge(
      desk.updates,
      desk.refusals,
    ).subscribe((event) => {
      const who = 'context' in event ? event.context : event;
      const base = { agentId: who.agentId, agentTelegramId: who.agentTelegramId };
      let observation: AbuseObservation | undefined;
      if (!('context' in event)) observation = { ...base, type: 'refused', ...(event.rule ? { rule: event.rule.rule } : {}) };
      else if (event.stage === 'requested') observation = { ...base, type: 'placed' };
      else if (event.final) observation = { ...base, type: 'ended', talkSeconds: event.talkSeconds ?? null };
      const alert = observation && this.detector.observe(observation);
      if (alert) this.queue = this.queue.then(() => this.tell(alert)).catch((err: unknown) => { this.deps.logger.error('abuse alert not sent', { err }); });
    });
  }

  stop(): Promise<void> {
    this.subscription?.unsubscribe();
    return this.queue;
  }

  /** The storm behind a Suspend button, unless it is gone or already acted on. */
  record(id: string): AlertRecord | undefined {
    const record = this.byId.get(id);
    return record && !record.suspended ? record : undefined;
  }

  /** Shows the suspension on every admin's copy (no button any more) and starts the agent afresh. */
  markSuspended(record: AlertRecord, by: string): void {
    record.suspended = { by, at: this.clock.now() };
    record.version += 1;
    this.detector.forget(record.alert.agentId);
    // Every storm of the agent is over: a restored agent's next alert is a new message.
    for (const other of [...this.storms.values()].filter((r) => r.alert.agentId === record.alert.agentId)) {
      this.storms.delete(stormKey(other.alert));
    }
    for (const adminId of record.copies.keys()) this.sync(record, adminId);
  }

  private async tell(alert: AbuseAlert): Promise<void> {
    this.forgetOld(alert.at);
    const key = stormKey(alert);
    const ongoing = this.storms.get(key);
    if (ongoing && alert.storm === 'repeat') {
      ongoing.alert = alert;
      ongoing.version += 1;
      for (const adminId of ongoing.copies.keys()) this.sync(ongoing, adminId);
      return;
    }
    const agent = await this.deps.stores.agents.byTelegramId(alert.agentTelegramId);
    const record: AlertRecord = {
      id: randomBytes(8).toString('hex'), alert, version: 0, copies: new Map(),
      agent: { name: agent?.displayName ?? '', username: agent?.username ?? null },
    };
    this.storms.set(key, record);
    this.byId.set(record.id, record);
    this.deps.logger.warn('abuse alert', { kind: alert.kind, agent: alert.agentTelegramId, count: alert.count });
    for (const adminId of this.deps.config.telegram.superAdminIds) {
      record.copies.set(adminId, { shown: -1, busy: false, lastEditAt: 0 });
      this.sync(record, adminId);
    }
  }

  /** Brings one admin's copy up to the record's newest version: one send, then edits, one at a time. */
  private sync(record: AlertRecord, adminId: string): void {
    const copy = record.copies.get(adminId);
    if (!copy || copy.busy || copy.shown >= record.version) return;
    copy.busy = true;
    let version = record.version;
    const content = () => {
      version = record.version;
      return { text: ALERT.message(record.alert, record.agent, record.suspended), markup: record.suspended ? undefined : suspendAlertButton(record.id) };
    };
    const sent: Promise<boolean> = copy.messageId === undefined
      ? this.deps.out.queueSend(adminId, content, { priority: 'first', maxAttempts: 3 }).done.then((r) => {
        if (r.ok) copy.messageId = r.value;
        return r.ok;
      })
      : this.deps.out.queueEdit(adminId, copy.messageId, () => {
        const { text, markup } = content();
        // An edit without a keyboard keeps the old one: an empty keyboard takes the button away.
        return { text, markup: markup ?? { inline_keyboard: [] } };
      }, {
        priority: 'edit', maxAttempts: 3, notBefore: copy.lastEditAt + EDIT_INTERVAL_MS,
      }).done.then((r) => {
        copy.lastEditAt = Date.now();
        return r === 'shown';
      });
    void sent.then((ok) => {
      copy.busy = false;
      // A copy that could not be sent or edited is given up: the next firing tries again.
      copy.shown = ok ? version : record.version;
      this.sync(record, adminId);
    });
  }

  private forgetOld(now: number): void {
    for (const [id, record] of this.byId) {
      if (now - record.alert.at <= KEEP_MS) continue;
      this.byId.delete(id);
      if (this.storms.get(stormKey(record.alert)) === record) this.storms.delete(stormKey(record.alert));
    }
  }
}

function stormKey(alert: AbuseAlert): string {
  return `${alert.agentId}:${alert.kind}`;
}
