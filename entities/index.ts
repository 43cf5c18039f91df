import { Agent } from './agent.entity';
import { AuditEvent } from './audit-event.entity';
import { Call } from './call.entity';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema';
import { SnakeCaseColumns1765000000000 } from './migrations/1765000000000-snake-case-columns';
import { SnakeCaseNaming } from './snake-case-naming';

export { Agent, AuditEvent, Call, SnakeCaseNaming };
export const ENTITIES = [Agent, Call, AuditEvent];
export const MIGRATIONS = [InitialSchema1764000000000, SnakeCaseColumns1765000000000];
