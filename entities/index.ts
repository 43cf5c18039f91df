import { Agent } from './agent.entity';
import { AuditEvent } from './audit-event.entity';
import { Call } from './call.entity';
import { InitialSchema1764000000000 } from './migrations/1764000000000-initial-schema';
import { SnakeCaseColumns1765000000000 } from './migrations/1765000000000-snake-case-columns';
import { CallsTargetIndex1766100000000 } from './migrations/1766100000000-calls-target-index';
import { AgentStatusSuspended1766200000000 } from './migrations/1766200000000-agent-status-suspended';
import { SnakeCaseNaming } from './snake-case-naming';

export { Agent, AuditEvent, Call, SnakeCaseNaming };
export const ENTITIES = [Agent, Call, AuditEvent];
export const MIGRATIONS = [InitialSchema1764000000000, SnakeCaseColumns1765000000000, CallsTargetIndex1766100000000, AgentStatusSuspended1766200000000];
