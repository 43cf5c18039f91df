import type { DataSource } from 'typeorm';
import { AgentStore } from './agent-store';
import { AuditLog } from './audit-log';
import { CallStore } from './call-store';
import { CallLegStore } from './call-leg-store';
import { CallerIdStore } from './caller-id-store';
import { DncStore } from './dnc-store';
import { ScheduledCallbackStore } from './scheduled-callback-store';
import { ReportStore } from './report-store';

export { AgentStore, AuditLog, CallLegStore, CallStore, CallerIdStore, DncStore, ReportStore, ScheduledCallbackStore };
export type { NewCallback } from './scheduled-callback-store';

export interface Stores {
  agents: AgentStore;
  calls: CallStore;
  /** The legs of calls and their multi-party steps: the engine's PartyRecords. */
  legs: CallLegStore;
  audit: AuditLog;
  dnc: DncStore;
  callerIds: CallerIdStore;
  /** Callbacks agents scheduled after their calls. */
  callbacks: ScheduledCallbackStore;
  /** What /export, /stats and the daily report read, and the daily report's once-a-day claim. */
  reports: ReportStore;
}

export function createStores(dataSource: DataSource): Stores {
  const audit = new AuditLog(dataSource);
  return {
    agents: new AgentStore(dataSource), calls: new CallStore(dataSource), legs: new CallLegStore(dataSource, audit), audit,
    dnc: new DncStore(dataSource), callerIds: new CallerIdStore(dataSource), callbacks: new ScheduledCallbackStore(dataSource),
    reports: new ReportStore(dataSource),
  };
}
