import { Agent } from './agent.entity';
import { AuditEvent } from './audit-event.entity';
import { Call } from './call.entity';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema';

export { Agent, AuditEvent, Call };
export const ENTITIES = [Agent, Call, AuditEvent];
export const MIGRATIONS = [InitialSchema1764000000000];
