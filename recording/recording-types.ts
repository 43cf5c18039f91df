
export type { RecordingPolicy, RecordingStatus, RecordingView } from '../call/call-types';
export { RECORDING_POLICIES } from '../call/call-types';
export type { ConsentAnnouncements, RecordingPolicies } from '../engine/call-engine-ports';

/**
 * The ports around a call's recording: the engine reads the policy and the announcement at dial time (its own
 * ports, engine/call-engine-ports.ts), the media pipeline reads Asterisk's stored recording once the call ended. The call core's own words for a recording are in call/call-types.ts.
 */

/** Asterisk's stored recordings, read and removed through ARI once the call ended (host-independent). */
export interface StoredRecordings {
  fetchStoredRecording(name: string): Promise<Buffer>;
  deleteStoredRecording(name: string): Promise<void>;
}

/** A call's recording is converted and kept: told once per recording (the webhooks' `call.recording_ready`). */
export interface RecordingKept {
  callId: string;
  durationMs: number;
  bytes: number;
  at: number;
}
