import { DataSource, Repository } from 'typeorm';
import { AuditEvent } from '../entities';

export interface AuditEntry {
  actor: string;
  action: string;
  subject?: string | null;
  details?: string;
}

/** Who did what to whom: every admin action and every refused call request. */
export class AuditLog {
  private readonly events: Repository<AuditEvent>;

  constructor(dataSource: DataSource) {
    this.events = dataSource.getRepository(AuditEvent);
  }

  async record(entry: AuditEntry): Promise<void> {
    await this.events.insert({
      actor: entry.actor.slice(0, 20),
      action: entry.action.slice(0, 32),
      subject: entry.subject?.slice(0, 64) ?? null,
      details: (entry.details ?? '').slice(0, 1024),
    });
  }

  latest(limit = 20): Promise<AuditEvent[]> {
    return this.events.find({ order: { id: 'DESC' }, take: limit });
  }
}
