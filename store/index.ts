import type { DataSource } from 'typeorm';
import { AgentStore } from './agent-store';
import { AuditLog } from './audit-log';
import { CallStore } from './call-store';
import { DncStore } from './dnc-store';

export { AgentStore, AuditLog, CallStore, DncStore };

export interface Stores {
  agents: AgentStore;
  calls: CallStore;
  audit: AuditLog;
  dnc: DncStore;
}

export function createStores(dataSource: DataSource): Stores {
  return { agents: new AgentStore(dataSource), calls: new CallStore(dataSource), audit: new AuditLog(dataSource), dnc: new DncStore(dataSource) };
}
