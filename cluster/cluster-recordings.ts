import type { AsteriskServerConfig } from '../config/cluster-settings';
import { AriRequestError } from '../ari/ari-port';
import { AriRest } from '../ari/ari-rest';
import type { StoredRecordings } from '../recording/recording-types';
import type { CallStore } from '../store/call-store';
import { callOfMedia } from '../call/call-ids';

export interface ClusterStoredRecordingsDeps {
  servers: readonly AsteriskServerConfig[];
  /** The call's row names the server it ran on (calls.server_id). */
  calls: Pick<CallStore, 'byId'>;
  requestTimeoutMs: number;
  /** Names this instance in Asterisk's view of its clients. */
  userAgent: string;
}

/**
 * Asterisk's stored recordings in cluster mode, read from the server that ran the call. A stored
 * recording is a file on that server, reached over plain ARI REST: no WebSocket and no lease is
 * needed, so the pipeline works the same whether this instance owns the server now or not.
 */
export class ClusterStoredRecordings implements StoredRecordings {
  private readonly clients = new Map<string, AriRest>();

  constructor(private readonly deps: ClusterStoredRecordingsDeps) {}

  async fetchStoredRecording(name: string): Promise<Buffer> {
    return (await this.clientFor(name)).file('fetch recording', `/recordings/stored/${encodeURIComponent(name)}/file`);
  }

  async deleteStoredRecording(name: string): Promise<void> {
    const client = await this.clientFor(name);
    try {
      await client.call('delete recording', 'DELETE', `/recordings/stored/${encodeURIComponent(name)}`);
    } catch (err) {
      // Gone already (an earlier try deleted it before its answer was lost): what was asked for holds.
      if (err instanceof AriRequestError && err.status === 404) return;
      throw err;
    }
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  private async clientFor(recordingName: string): Promise<AriRest> {
    const callId = callOfMedia(recordingName);
    if (!callId) throw new Error(`recording ${recordingName} is not named after a call (<callId>-rec): its Asterisk server cannot be found`);
    const row = await this.deps.calls.byId(callId);
    if (!row) throw new Error(`call ${callId} of recording ${recordingName} is not in the calls table`);
    if (!row.serverId) throw new Error(`call ${callId} has no Asterisk server on its row (calls.server_id): its recording cannot be fetched`);
    const server = this.deps.servers.find((s) => s.id === row.serverId);
    if (!server) {
      throw new Error(`Asterisk server ${row.serverId} of call ${callId} is not in ASTERISK_SERVERS: add it back to fetch its recordings`);
    }
    let client = this.clients.get(server.id);
    if (!client) {
      client = new AriRest(server.url, server.username, server.password, this.deps.requestTimeoutMs, undefined, this.deps.userAgent);
      this.clients.set(server.id, client);
    }
    return client;
  }
}
