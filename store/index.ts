import type { DataSource } from 'typeorm';
import { AgentStore } from './agent-store';
import { AuditLog } from './audit-log';
import { CallStore } from './call-store';
import { CallerIdStore } from './caller-id-store';
import { DncStore } from './dnc-store';

export { AgentStore, AuditLog, CallStore, CallerIdStore, DncStore };

export interface Stores {
  agents: AgentStore;
  calls: CallStore;
  audit: AuditLog;
  dnc: DncStore;
  callerIds: CallerIdStore;
}

export function createStores(dataSource: DataSource): Stores {
  return {
    agents: new AgentStore(dataSource), calls: new CallStore(dataSource), audit: new AuditLog(dataSource),
    dnc: new DncStore(dataSource), callerIds: new CallerIdStore(dataSource),
  };
}
