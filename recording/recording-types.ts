import type { RecordingPolicy, RouteCode } from '../call/call-types';

export type { RecordingPolicy, RecordingStatus, RecordingView } from '../call/call-types';
export { RECORDING_POLICIES } from '../call/call-types';

/**
 * The ports around a call's recording: the engine reads the policy and the announcement at dial time, the media
 * pipeline reads Asterisk's stored recording once the call ended. The call core's own words for a recording are in call/call-types.ts.
 */

/** Read at dial time: the policy of the call's route (super admins set it in Telegram, the default from configuration). */
export interface RecordingPolicies {
  policyFor(route: RouteCode): Promise<RecordingPolicy>;
}

/**
 * The media URI Asterisk plays to the customer before the parties are joined when the route's policy is `consent`
 * (e.g. `sound:http://callbot-host:port/media/announcement-M.wav`, served by callbot so it works when Asterisk runs
 * on another host); null when no announcement was recorded yet (then the documented default sound).
 */
export interface ConsentAnnouncements {
  announcementFor(route: RouteCode): Promise<string | null>;
}

/** Asterisk's stored recordings, read and removed through ARI once the call ended (host-independent). */
export interface StoredRecordings {
  fetchStoredRecording(name: string): Promise<Buffer>;
  deleteStoredRecording(name: string): Promise<void>;
}
