import { type DataSource, In, LessThan, type Repository } from 'typeorm';
import { WebhookDelivery } from '../entities';

/** An event's row for one endpoint, as the outbox writes it. */
export interface NewWebhookDelivery {
  endpointId: number;
  eventId: string;
  eventType: string;
  callId: string;
  body: string;
  createdAt: number;
}

/** What `/webhooks` shows of one endpoint's deliveries. */
export interface WebhookEndpointActivity {
  endpointId: number;
  /** The last delivery the receiver took: when, and what it answered. */
  lastDelivered: { at: number; result: string | null } | null;
  /** Waiting to be delivered (retries included). */
  pending: number;
  /** Pending deliveries whose last attempt failed: the receiver is failing now. */
  retrying: number;
  /** Given up after the retries ran out, kept until they are pruned. */
  failed: number;
  /** The latest failed attempt: when and what. */
  lastFailure: { at: number; result: string | null } | null;
}

/** Rows per INSERT: well under SQLite's 999 parameters at eleven columns a row. */
const ROWS_PER_INSERT = 60;

/**
 * The webhook_deliveries table: the queue of events on their way to the endpoints. A row is posted by
 * whichever worker claims it (a conditional UPDATE that only one worker's statement can win while the
 * lease of another is running), and only once every earlier row of its call for the same endpoint is
 * finished, so each endpoint receives a call's events in order.
 */
export class WebhookDeliveryStore {
  private readonly rows: Repository<WebhookDelivery>;

  constructor(private readonly dataSource: DataSource) {
    this.rows = dataSource.getRepository(WebhookDelivery);
  }

  /** Writes the rows in one transaction, in the order given (their ids follow it). */
  async enqueue(deliveries: readonly NewWebhookDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.dataSource.transaction(async (manager) => {
      const repo = manager.getRepository(WebhookDelivery);
      for (let i = 0; i < deliveries.length; i += ROWS_PER_INSERT) {
        await repo.insert(deliveries.slice(i, i + ROWS_PER_INSERT).map((d) => ({
          // Due at once, whatever the clock of the instance that wrote it said.
          ...d, state: 'pending' as const, attempts: 0, nextAttemptAt: 0, leaseOwner: null, leaseUntil: null,
          lastAttemptAt: null, lastResult: null, finishedAt: null,
        })));
      }
    });
  }

  /**
   * Claims up to `limit` due rows that head their call's queue at their endpoint, for `owner` until
   * `leaseUntil`: rows another worker holds under a running lease are left alone, and a row whose
   * holder died is claimed again once its lease has run out. Returns the rows this claim won.
   */
  async claimDue(owner: string, now: number, leaseUntil: number, limit: number): Promise<WebhookDelivery[]> {
    const heads = await this.rows.createQueryBuilder('d')
      .select('d.id', 'id')
      .where('d.state = :pending', { pending: 'pending' })
      .andWhere('d.next_attempt_at <= :now', { now })
      .andWhere('(d.lease_until IS NULL OR d.lease_until < :now)')
      .andWhere(`NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.endpoint_id = d.endpoint_id AND e.call_id = d.call_id
        AND e.state = :pending AND e.id < d.id)`)
      .orderBy('d.id', 'ASC')
      .limit(limit)
      .getRawMany<{ id: number | string }>();
    if (heads.length === 0) return [];
    const ids = heads.map((h) => Number(h.id));
    await this.rows.createQueryBuilder()
      .update(WebhookDelivery)
      .set({ leaseOwner: owner, leaseUntil })
      .where('id IN (:...ids)', { ids })
      .andWhere('state = :pending', { pending: 'pending' })
      .andWhere('(lease_until IS NULL OR lease_until < :now)', { now })
      .execute();
    return this.rows.find({ where: { id: In(ids), leaseOwner: owner }, order: { id: 'ASC' } });
  }

  /** The receiver took it. False when the claim was lost meanwhile (another worker took the row over). */
  async delivered(id: number, owner: string, at: number, result: string, attempts: number): Promise<boolean> {
    return this.finish(id, owner, { state: 'delivered', attempts, lastAttemptAt: at, finishedAt: at, lastResult: result, leaseOwner: null, leaseUntil: null });
  }

  /** Given up after its retries. */
  async failed(id: number, owner: string, at: number, result: string, attempts: number): Promise<boolean> {
    return this.finish(id, owner, { state: 'failed', attempts, lastAttemptAt: at, finishedAt: at, lastResult: result, leaseOwner: null, leaseUntil: null });
  }

  /** Tried again at `nextAttemptAt`. */
  async retryLater(id: number, owner: string, at: number, result: string, attempts: number, nextAttemptAt: number): Promise<boolean> {
    return this.finish(id, owner, { attempts, lastAttemptAt: at, lastResult: result, nextAttemptAt, leaseOwner: null, leaseUntil: null });
  }

  /** The endpoint's waiting retries fall due now (it answers again after an outage). */
  async retryNow(endpointId: number, now: number): Promise<number> {
    const result = await this.rows.createQueryBuilder().update(WebhookDelivery).set({ nextAttemptAt: now })
      .where('endpoint_id = :endpointId', { endpointId }).andWhere("state = 'pending'").andWhere('next_attempt_at > :now', { now })
      .execute();
    return result.affected ?? 0;
  }

  /** Lets go of the rows `owners` still hold (a stopping worker), so another takes them at once. */
  async release(owners: readonly string[]): Promise<void> {
    if (owners.length === 0) return;
    await this.rows.update({ leaseOwner: In([...owners]), state: 'pending' }, { leaseOwner: null, leaseUntil: null });
  }

  /** An endpoint's queue goes with it. */
  async removeEndpoint(endpointId: number): Promise<void> {
    await this.rows.delete({ endpointId });
  }

  /** Finished rows older than `before` are deleted (what `/webhooks` counts is the recent past). */
  async prune(before: number): Promise<number> {
    const result = await this.rows.delete({ finishedAt: LessThan(before) });
    return result.affected ?? 0;
  }

  async pendingCount(): Promise<number> {
    return this.rows.countBy({ state: 'pending' });
  }

  /** A delivery row, for specs and the bench. */
  byEvent(endpointId: number, eventId: string): Promise<WebhookDelivery | null> {
    return this.rows.findOneBy({ endpointId, eventId });
  }

  async activityOf(endpointId: number): Promise<WebhookEndpointActivity> {
    const [lastDelivered, lastFailure, pending, retrying, failed] = await Promise.all([
      this.rows.findOne({ where: { endpointId, state: 'delivered' }, order: { finishedAt: 'DESC' } }),
      this.rows.createQueryBuilder('d').where('d.endpoint_id = :endpointId', { endpointId })
        .andWhere("(d.state = 'failed' OR (d.state = 'pending' AND d.attempts > 0))")
        .orderBy('d.last_attempt_at', 'DESC').limit(1).getOne(),
      this.rows.countBy({ endpointId, state: 'pending' }),
      this.rows.createQueryBuilder('d').where('d.endpoint_id = :endpointId', { endpointId }).andWhere("d.state = 'pending' AND d.attempts > 0").getCount(),
      this.rows.countBy({ endpointId, state: 'failed' }),
    ]);
    return {
      endpointId,
      lastDelivered: lastDelivered ? { at: lastDelivered.finishedAt ?? 0, result: lastDelivered.lastResult } : null,
      lastFailure: lastFailure ? { at: lastFailure.lastAttemptAt ?? 0, result: lastFailure.lastResult } : null,
      pending, retrying, failed,
    };
  }

  private async finish(id: number, owner: string, change: Partial<WebhookDelivery>): Promise<boolean> {
    const result = await this.rows.update({ id, leaseOwner: owner }, change);
    return (result.affected ?? 0) > 0;
  }
}
