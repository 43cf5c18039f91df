/**
 * Return calls in cluster mode: a customer calling a pool number arrives on one Asterisk server,
 * and that server's owner takes the call (engine/return-call-intake.ts) as a single instance does,
 * with what only the database knows cluster-wide: which agents are on a call on any server, and
 * the one-live-call-per-agent index that lets one call, and only one, take an agent. Its row is
 * written with the server and the owner's fencing token, so a take-over carries it on like any
 * call the owner started.
 */
import type { DataSource } from 'typeorm';
import type { CallEngineDeps } from '../engine/call-engine';
import type { ReturnCallSettings } from '../engine/return-call-intake';
import { ONE_LIVE_CALL_PER_AGENT } from '../store/call-store';
import type { Stores } from '../store';
import { returnCallSourcesOf } from '../store/return-call-sources';
import { violatesUniqueIndex } from '../store/unique-violation';
import { type Fence, fencedUpdate } from './fenced-update';

export interface ClusterReturnCallsDeps {
  dataSource: DataSource;
  stores: Pick<Stores, 'callerIds' | 'calls' | 'agents' | 'dnc'>;
  settings: ReturnCallSettings;
}

/** What a server's engine takes return calls with while this holding (`fence`) owns the server. */
export function clusterReturnCalls(deps: ClusterReturnCallsDeps, serverId: string, fence: Fence): NonNullable<CallEngineDeps['returnCalls']> {
  const { dataSource, stores } = deps;
  const p = (name: string, index: number) => dataSource.driver.createParameter(name, index);
  return {
    settings: deps.settings,
    sources: {
      ...returnCallSourcesOf(stores),
      busyAgents: async () => {
        const rows = await dataSource.query(
          `SELECT DISTINCT on_call_agent_id FROM calls WHERE stage <> 'ended' AND on_call_agent_id IS NOT NULL`) as { on_call_agent_id: unknown }[];
        return new Set(rows.map((r) => Number(r.on_call_agent_id)));
      },
    },
    records: {
      // Started by this owner from its first row: never a request for claimRequests, always a call for the next owner's take-over.
      recordCallRequest: async (row) => {
        await stores.calls.recordCallRequest({ ...row, serverId, ownerToken: String(fence.token) });
      },
    },
    claimAgent: async (callId, agentId) => {
      try {
        const changed = await fencedUpdate(dataSource,
          `UPDATE calls SET on_call_agent_id = ${p('agent', 0)} WHERE id = ${p('id', 1)} AND stage <> 'ended'`, [agentId, callId], fence);
        return changed > 0;
      } catch (err) {
        if (violatesUniqueIndex(err, ONE_LIVE_CALL_PER_AGENT)) return false;
        throw new Error(`taking agent ${agentId} for return call ${callId} failed; the agent is not rung`, { cause: err });
      }
    },
  };
}
