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

/** What one attempt came to: delivered, given up, or tried again at `nextAttemptAt`. */
export type AttemptResult =
  | { state: 'delivered'; attempts: number; at: number; result: string }
  | { state: 'failed'; attempts: number; at: number; result: string }
  | { state: 'pending'; attempts: number; at: number; result: string; nextAttemptAt: number };

export interface DeliveryResult {
  id: number;
  endpointId: number;
  callId: string;
  /** The claim it was posted under. */
  owner: string;
  change: AttemptResult;
}

/** What an endpoint's queue holds of one call (or API request). */
export interface QueuedOfCall {
  eventIds: Set<string>;
  types: Set<string>;
  /** The disposition the latest queued `call.disposition_set` told, or null. */
  lastDisposition: string | null;
  /** How many `call.transferred` are queued, whatever their ids (those queued before transfers had ids of their own had random ones). */
  transfers: number;
}

function dispositionIn(body: string): string | null {
  try {
    const disposition = (JSON.parse(body) as { data?: { disposition?: unknown } }).data?.disposition;
    return typeof disposition === 'string' ? disposition : null;
  } catch {
    return null;
  }
}

/** What an INSERT sets; a new row is due at once (next_attempt_at 0), whatever the clock of the instance that wrote it. */
const COLUMNS = ['endpoint_id', 'event_id', 'event_type', 'call_id', 'body', 'state', 'attempts', 'created_at', 'next_attempt_at'];
/** Ids in one statement: well under SQLite's 999 parameters with an owner each. */
const IDS_PER_QUERY = 400;
/** Rows per INSERT: well under SQLite's 999 parameters at nine columns a row. */
const ROWS_PER_INSERT = 100;

/**
 * The webhook_deliveries table: the queue of events on their way to the endpoints. A row is posted by
 * whichever worker claims it (a conditional UPDATE that only one worker's statement can win while the
 * lease of another is running), and only once every earlier row of its call for the same endpoint is
 * finished, so each endpoint receives a call's events in order.
 */
export class WebhookDeliveryStore {
  private readonly rows: Repository<WebhookDelivery>;
  /** SQLite: this store's writes one after another (see `exclusive`). */
  private turn: Promise<unknown> = Promise.resolve();
  private readonly sqlite: boolean;

  constructor(private readonly dataSource: DataSource) {
    this.rows = dataSource.getRepository(WebhookDelivery);
    this.sqlite = dataSource.options.type === 'sqlite';
  }

  /**
   * On SQLite every query shares one connection, so two transactions begun at once would nest
   * (TypeORM turns the second into a savepoint, and interleaved they fail): the outbox's and the
   * worker's batch writes take turns. PostgreSQL gives each its own pooled connection.
   */
  private exclusive<T>(write: () => Promise<T>): Promise<T> {
    if (!this.sqlite) return write();
    const result = this.turn.then(write, write);
    this.turn = result.catch(() => undefined);
    return result;
  }

  /** Writes the rows in one transaction, in the order given (their ids follow it); an event the endpoint already has is skipped. */
  async enqueue(deliveries: readonly NewWebhookDelivery[]): Promise<void> {
    if (deliveries.length === 0) return;
    await this.exclusive(() => this.dataSource.transaction(async (manager) => {
      for (let i = 0; i < deliveries.length; i += ROWS_PER_INSERT) {
        const chunk = deliveries.slice(i, i + ROWS_PER_INSERT);
        // Plain SQL: TypeORM's insert costs more per row than the database does.
        const values = chunk.map((_, r) => `(${COLUMNS.map((__, c) => this.placeholder(r * COLUMNS.length + c)).join(', ')})`).join(', ');
        const params = chunk.flatMap((d) => [d.endpointId, d.eventId, d.eventType, d.callId, d.body, 'pending', 0, d.createdAt, 0]);
        // An event already queued for the endpoint (re-derived, or written live meanwhile) stays as it is.
        await manager.query(`INSERT INTO webhook_deliveries (${COLUMNS.join(', ')}) VALUES ${values} ON CONFLICT (endpoint_id, event_id) DO NOTHING`, params);
      }
    }));
  }

  private placeholder(index: number): string {
    return this.sqlite ? '?' : `$${index + 1}`;
  }

  /**
   * Claims up to `limit` due rows that head their call's queue at their endpoint, for `owner` until
   * `leaseUntil`: rows another worker holds under a running lease are left alone, and a row whose
   * holder died is claimed again once its lease has run out. Returns the rows this claim won.
   */
  async claimDue(owner: string, now: number, leaseUntil: number, limit: number): Promise<WebhookDelivery[]> {
    const heads = await this.rows.createQueryBuilder('d')
      .select('d.id', 'id')
      .where("d.state = 'pending'")
      .andWhere('d.next_attempt_at <= :now', { now })
      .andWhere('(d.lease_until IS NULL OR d.lease_until < :now)')
      .andWhere(`NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.endpoint_id = d.endpoint_id AND e.call_id = d.call_id
        AND e.state = 'pending' AND e.id < d.id)`)
      .orderBy('d.next_attempt_at', 'ASC')
      .addOrderBy('d.id', 'ASC')
      .limit(limit)
      .getRawMany<{ id: number | string }>();
    if (heads.length === 0) return [];
    const ids = heads.map((h) => Number(h.id));
    await this.exclusive(() => this.rows.createQueryBuilder()
      .update(WebhookDelivery)
      .set({ leaseOwner: owner, leaseUntil })
      .where('id IN (:...ids)', { ids })
      .andWhere('state = :pending', { pending: 'pending' })
      .andWhere('(lease_until IS NULL OR lease_until < :now)', { now })
      .execute());
    return this.rows.find({ where: { id: In(ids), leaseOwner: owner }, order: { id: 'ASC' } });
  }

  /**
   * Records the attempts' results in one transaction (one commit for a batch of deliveries, not one
   * each). A result is written only while its worker still holds the row: one whose lease ran out
   * and another worker took meanwhile keeps that worker's result. Finished rows with the same
   * outcome share one statement, stamped with the batch's latest time.
   */
  async record(results: readonly DeliveryResult[]): Promise<void> {
    if (results.length === 0) return;
    const p = (i: number) => this.placeholder(i);
    const finished = new Map<string, DeliveryResult[]>();
    const retries: DeliveryResult[] = [];
    for (const r of results) {
      if (r.change.state === 'pending') retries.push(r);
      else {
        const key = JSON.stringify([r.change.state, r.change.attempts, r.change.result]);
        finished.set(key, [...(finished.get(key) ?? []), r]);
      }
    }
    const retry = `UPDATE webhook_deliveries SET attempts = ${p(0)}, last_attempt_at = ${p(1)}, last_result = ${p(2)}, next_attempt_at = ${p(3)},
      lease_owner = NULL, lease_until = NULL WHERE id = ${p(4)} AND lease_owner = ${p(5)}`;
    // The rows behind a retried one wait for it: due no sooner, so claims do not read them again and again meanwhile.
    const park = `UPDATE webhook_deliveries SET next_attempt_at = ${p(0)} WHERE endpoint_id = ${p(1)} AND call_id = ${p(2)} AND state = 'pending'
      AND id > ${p(3)} AND next_attempt_at < ${p(0)}`;
    await this.exclusive(() => this.dataSource.transaction(async (manager) => {
      for (const group of finished.values()) {
        const { change } = group[0]!;
        const at = Math.max(...group.map((r) => r.change.at));
        for (let i = 0; i < group.length; i += IDS_PER_QUERY) {
          const chunk = group.slice(i, i + IDS_PER_QUERY);
          const ids = chunk.map((_, k) => p(5 + k)).join(', ');
          const owners = chunk.map((_, k) => p(5 + chunk.length + k)).join(', ');
          await manager.query(
            `UPDATE webhook_deliveries SET state = ${p(0)}, attempts = ${p(1)}, last_attempt_at = ${p(2)}, last_result = ${p(3)}, finished_at = ${p(4)},
              lease_owner = NULL, lease_until = NULL WHERE id IN (${ids}) AND lease_owner IN (${owners})`,
            [change.state, change.attempts, at, change.result, at, ...chunk.map((r) => r.id), ...chunk.map((r) => r.owner)],
          );
        }
      }
      for (const { id, owner, change, endpointId, callId } of retries) {
        if (change.state !== 'pending') continue;
        await manager.query(retry, [change.attempts, change.at, change.result, change.nextAttemptAt, id, owner]);
        await manager.query(park, [change.nextAttemptAt, endpointId, callId, id]);
      }
    }));
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

  /**
   * What the endpoint's queue holds (pending, sent or given up) of each of `callIds` that has any: the
   * event ids and types, and the disposition its latest `call.disposition_set` told.
   */
  async queuedOfCalls(endpointId: number, callIds: readonly string[]): Promise<Map<string, QueuedOfCall>> {
    const found = new Map<string, QueuedOfCall>();
    for (let i = 0; i < callIds.length; i += IDS_PER_QUERY) {
      const rows = await this.rows.createQueryBuilder('d').select('d.call_id', 'callId').addSelect('d.event_id', 'eventId').addSelect('d.event_type', 'eventType')
        .addSelect("CASE WHEN d.event_type = 'call.disposition_set' THEN d.body END", 'body')
        .where('d.endpoint_id = :endpointId', { endpointId }).andWhere('d.call_id IN (:...ids)', { ids: callIds.slice(i, i + IDS_PER_QUERY) })
        .orderBy('d.id', 'ASC')
        .getRawMany<{ callId: string; eventId: string; eventType: string; body: string | null }>();
      for (const row of rows) {
        const queued = found.get(row.callId) ?? { eventIds: new Set<string>(), types: new Set<string>(), lastDisposition: null, transfers: 0 };
        queued.eventIds.add(row.eventId);
        queued.types.add(row.eventType);
        if (row.eventType === 'call.transferred') queued.transfers += 1;
        if (row.body !== null) queued.lastDisposition = dispositionIn(row.body);
        found.set(row.callId, queued);
      }
    }
    return found;
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
}
