import { type DataSource, In, Repository } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata';
import { AuditEvent, CallLeg } from '../entities';
import type { LegId, LegRecordPatch, PartyStep } from '../call/call-types';
import type { AskedAs } from '../call/call-resume';
import type { AuditEntry } from './audit-log';
import { runWrite } from './sqlite-connection';

/** A call passing to another agent's leg, as its audit row tells it. */
export interface OwnerChange {
  agentId: number;
  legId: LegId;
  at: Date;
}

/** `agent=<id> leg=<legId> at=<iso>` (recordStep's facts of an owner_changed step); undefined for a row of another shape. */
function ownerChangeOf(details: string | null): OwnerChange | undefined {
  const match = /^agent=(\d+) leg=(\S+) at=(\S+)$/.exec(details ?? '');
  if (!match) return undefined;
  const at = new Date(match[3]!);
  return Number.isNaN(at.getTime()) ? undefined : { agentId: Number(match[1]), legId: match[2] as LegId, at };
}

/** The audit log's action for each step of a multi-party call. */
const STEP_ACTION: Record<PartyStep['kind'], string> = {
  transfer_started: 'call_transfer_started',
  transfer_completed: 'call_transfer_completed',
  transfer_failed: 'call_transfer_failed',
  consult_ended: 'call_consult_ended',
  party_added: 'call_party_added',
  party_left: 'call_party_left',
  owner_changed: 'call_owner_changed',
};

/**
 * A call's legs (the call_legs table) and its multi-party steps (the audit log): the engine's
 * PartyRecords (engine/call-engine-ports.ts, met by shape: store/ does not import the engine). A
 * leg's write is one upsert of the columns it names, never a row read and saved back: two writes
 * of one leg in flight at once each keep their own columns.
 */
export class CallLegStore {
  private readonly legs: Repository<CallLeg>;
  private readonly upserts = new Map<string, string>();
  private readonly columns = new Map<string, ColumnMetadata>();

  constructor(private readonly dataSource: DataSource, private readonly audit: { record(entry: AuditEntry): Promise<void> }) {
    this.legs = dataSource.getRepository(CallLeg);
    for (const column of dataSource.getMetadata(CallLeg).columns) this.columns.set(column.propertyName, column);
  }

  async recordLeg(callId: string, legId: LegId, patch: LegRecordPatch): Promise<void> {
    const row: Partial<CallLeg> = { callId, legId, ...patch };
    if (row.label) row.label = row.label.slice(0, 128);
    const keys = (Object.keys(row) as (keyof CallLeg)[]).filter((k) => row[k] !== undefined);
    const { driver } = this.dataSource;
    const parameters = keys.map((k) => driver.preparePersistentValue(row[k], this.column(k)));
    await runWrite(this.dataSource, { sql: this.upsertSql(keys), parameters });
  }

  async recordStep(callId: string, step: PartyStep, at: Date, actor: string): Promise<void> {
    await this.audit.record({ actor, action: STEP_ACTION[step.kind], subject: callId, details: `${stepFacts(step)} at=${at.toISOString()}` });
  }

  /** The legs of these calls, each call's in the order they were asked for. */
  async legsOf(callIds: readonly string[]): Promise<Map<string, CallLeg[]>> {
    const byCall = new Map<string, CallLeg[]>();
    if (callIds.length === 0) return byCall;
    const rows = await this.legs.find({ where: { callId: In([...callIds]) } });
    for (const row of rows.sort(legOrder)) byCall.set(row.callId, [...(byCall.get(row.callId) ?? []), row]);
    return byCall;
  }

  /**
   * How each added leg of these calls was asked for, from the steps that asked for it (a cold or
   * warm transfer, or an added party): what a call taken over mid-operation cannot tell from its
   * legs alone (a number ringing for a cold transfer and one being added have the same role).
   */
  async askedAs(callIds: readonly string[]): Promise<Map<string, Map<LegId, AskedAs>>> {
    const byCall = new Map<string, Map<LegId, AskedAs>>();
    if (callIds.length === 0) return byCall;
    const steps = await this.dataSource.getRepository(AuditEvent).find({
      where: { subject: In([...callIds]), action: In([STEP_ACTION.transfer_started, STEP_ACTION.party_added]) },
      order: { id: 'ASC' },
    });
    for (const step of steps) {
      const asked = askedAsOf(step.action, step.details);
      if (!asked || step.subject === null) continue;
      const legs = byCall.get(step.subject) ?? new Map<LegId, AskedAs>();
      legs.set(asked.legId, asked.as);
      byCall.set(step.subject, legs);
    }
    return byCall;
  }

  /**
   * Each of these calls' owner changes (the `call_owner_changed` steps), in the order they were
   * written: what a restart re-derives the call's transfers from.
   */
  async ownerChangesOf(callIds: readonly string[]): Promise<Map<string, OwnerChange[]>> {
    const byCall = new Map<string, OwnerChange[]>();
    if (callIds.length === 0) return byCall;
    const steps = await this.dataSource.getRepository(AuditEvent).find({
      where: { subject: In([...callIds]), action: STEP_ACTION.owner_changed }, order: { id: 'ASC' },
    });
    for (const step of steps) {
      const change = ownerChangeOf(step.details);
      if (!change || step.subject === null) continue;
      byCall.set(step.subject, [...(byCall.get(step.subject) ?? []), change]);
    }
    return byCall;
  }

  /** `INSERT … ON CONFLICT (call_id, leg_id) DO UPDATE SET` of these columns, built once per set (SQLite and PostgreSQL say it alike). */
  private upsertSql(keys: (keyof CallLeg)[]): string {
    const key = keys.join(',');
    let sql = this.upserts.get(key);
    if (sql === undefined) {
      const { driver } = this.dataSource;
      const name = (k: string) => driver.escape(this.column(k).databaseName);
      const values = keys.map((k, i) => driver.createParameter(k, i)).join(', ');
      const updated = keys.filter((k) => k !== 'callId' && k !== 'legId');
      const onConflict = updated.length === 0
        ? 'DO NOTHING'
        : `DO UPDATE SET ${updated.map((k) => `${name(k)} = excluded.${name(k)}`).join(', ')}`;
      sql = `INSERT INTO ${driver.escape(this.legs.metadata.tablePath)} (${keys.map(name).join(', ')}) VALUES (${values}) `
        + `ON CONFLICT (${name('callId')}, ${name('legId')}) ${onConflict}`;
      this.upserts.set(key, sql);
    }
    return sql;
  }

  private column(propertyName: string): ColumnMetadata {
    const column = this.columns.get(propertyName);
    if (!column) throw new Error(`call_legs has no column for "${propertyName}"`);
    return column;
  }
}

/** The first two legs, then the ones added later in the order asked for (`p3` before `p10`). */
function legOrder(a: CallLeg, b: CallLeg): number {
  const rank = (leg: CallLeg) => (leg.legId === 'agent' ? 0 : leg.legId === 'target' ? 1 : 2 + (Number(leg.legId.slice(1)) || 0));
  return a.callId.localeCompare(b.callId) || rank(a) - rank(b);
}

/** The leg a transfer_started or party_added step asked for, read back from its facts (stepFacts). */
function askedAsOf(action: string, details: string): { legId: LegId; as: AskedAs } | undefined {
  const legId = /(?:^| )leg=(p\d+)(?: |$)/.exec(details)?.[1];
  if (legId === undefined) return undefined;
  if (action === STEP_ACTION.party_added) return { legId, as: 'adding' };
  const mode = /^mode=(cold|warm) /.exec(details)?.[1];
  return mode === undefined ? undefined : { legId, as: mode === 'cold' ? 'cold_transfer' : 'consult' };
}

/** A step as the audit log keeps it: codes and facts, no wording. */
function stepFacts(step: PartyStep): string {
  switch (step.kind) {
    case 'transfer_started': return `mode=${step.mode} leg=${step.legId} to=${step.label}`;
    case 'transfer_completed':
    case 'transfer_failed':
    case 'party_added':
    case 'party_left': return `leg=${step.legId} party=${step.label}`;
    case 'consult_ended': return `how=${step.how} leg=${step.legId}`;
    case 'owner_changed': return `agent=${step.agentId} leg=${step.legId}`;
  }
}
