import type { CallRowPatch } from '../../engine/call-row-writer';
import {
  type AgentDirectory, AgentHasLiveCall, type AgentRecord, type AuditTrail, type CallRecords, type CallRequestRecord, type LeftLiveCall,
} from '../../engine/call-engine-ports';
import { LIVE_STAGES } from '../../call/call-types';

type CallRow = CallRequestRecord & CallRowPatch;

/** The engine's storage ports as plain objects: what the engine needs, with no database behind it. */
export class InMemoryRecords implements AgentDirectory, CallRecords, AuditTrail {
  readonly agents = new Map<string, AgentRecord>();
  readonly calls = new Map<string, CallRow>();
  readonly audit: { actor: string; action: string; subject?: string | null; details?: string }[] = [];

  async activeAgentByTelegramId(telegramId: string): Promise<AgentRecord | null> {
    return this.agents.get(telegramId) ?? null;
  }

  async recordCallRequest(call: CallRequestRecord): Promise<void> {
    if (this.calls.has(call.id)) throw new Error(`call ${call.id} recorded twice`);
    // The database's one-live-call-per-agent index, so the engine meets the same refusal here.
    const live = (c: CallRequestRecord & CallRowPatch) => c.stage !== 'ended';
    const onCall = (c: CallRow) => (c.onCallAgentId === undefined ? c.agentId : c.onCallAgentId);
    if (live(call) && [...this.calls.values()].some((c) => onCall(c) === onCall(call) && live(c))) throw new AgentHasLiveCall(call.agentId);
    this.calls.set(call.id, { ...call });
  }

  async recordCallTransition(callId: string, patch: CallRowPatch): Promise<void> {
    const row = this.calls.get(callId);
    if (!row) throw new Error(`no call ${callId}`);
    Object.assign(row, patch);
  }

  async liveCalls(): Promise<LeftLiveCall[]> {
    return [...this.calls.values()]
      .filter((c) => LIVE_STAGES.includes(c.stage))
      .map((c) => {
        const agent = [...this.agents.values()].find((a) => a.id === c.agentId);
        return {
          id: c.id, stage: c.stage, telegramChatId: c.telegramChatId ?? null, statusMessageId: c.statusMessageId ?? null,
          agentId: c.agentId, ...(agent ? { agent: { telegramId: agent.telegramId } } : {}),
          agentPhone: c.agentPhone ?? null, target: c.target ?? null, route: c.route ?? null, callerId: c.callerId ?? null,
          agentEndpoint: c.agentEndpoint ?? null, targetEndpoint: c.targetEndpoint ?? null, requestedAt: c.requestedAt,
          agentRingingAt: c.agentRingingAt ?? null, agentAnsweredAt: c.agentAnsweredAt ?? null,
          targetRingingAt: c.targetRingingAt ?? null, connectedAt: c.connectedAt ?? null,
        };
      });
  }

  async latestPlacedCallOfAgent(agentId: number): Promise<{ requestedAt: Date; endedAt: Date | null } | null> {
    const on = [...this.calls.values()].find((c) => c.onCallAgentId === agentId && LIVE_STAGES.includes(c.stage));
    if (on) return { requestedAt: on.requestedAt, endedAt: null };
    const placed = [...this.calls.values()].filter((c) => c.agentId === agentId && c.outcome !== 'refused')
      .sort((a, b) => b.requestedAt.getTime() - a.requestedAt.getTime());
    const [latest] = placed;
    if (!latest) return null;
    // A live call the agent left by a transfer is over for them.
    const left = LIVE_STAGES.includes(latest.stage) && latest.onCallAgentId !== undefined && latest.onCallAgentId !== agentId;
    return { requestedAt: latest.requestedAt, endedAt: left ? latest.requestedAt : latest.endedAt ?? null };
  }

  placingAlone<T>(step: () => Promise<T>): Promise<T> {
    return step();
  }

  async record(entry: { actor: string; action: string; subject?: string | null; details?: string }): Promise<void> {
    this.audit.push(entry);
  }
}
