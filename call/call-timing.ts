/** The machine's fixed times: why each is what it is, beside it. */

/** Ours own timers are a safety net behind Asterisk's: they fire a little after Asterisk's should. */
export const TIMER_GRACE_MS = 5000;

/**
 * After the target's dial is asked for, the call's other work (joins, ringback, writes, stream
 * updates) waits this long, or until the target's channel reports progress: on a host where the app
 * and Asterisk share a few CPUs, that work competes with the threads sending the INVITE. Why a
 * fixed time and why this one: docs/dial-goes-out-alone.md.
 */
export const DIAL_HOLD_MS = 8;

/** How long a request that found its channel gone waits for the ChannelDestroyed that explains it. */
export const CHANNEL_GONE_GRACE_MS = 1000;
