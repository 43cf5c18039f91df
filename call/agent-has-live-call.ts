/**
 * The database already holds a live call of this agent, perhaps placed by another process on the
 * same database: the request's row was not written.
 */
export class AgentHasLiveCall extends Error {
  constructor(readonly agentId: number, options?: { cause?: unknown }) {
    super(`agent ${agentId} already has a live call`, options);
    this.name = 'AgentHasLiveCall';
  }
}
