/** A protocol-level Asterisk ARI stand-in (18.9-cert4 or 22, which stands for 20 too; see versions.ts) for tests and benchmarks; see simulator.ts. */
export { AriSimulator, type AriSimulatorOptions, type SentEvent } from './simulator';
export type { RecordedRequest } from './server';
export type { FaultRule, InjectedFault } from './faults';
export type { SimBridgeSnapshot, SimChannelSnapshot, SimInvite } from './core';
export { defaultFarEnd, dialledNumber, type FarEndScript } from './far-end';
export { CAUSE, causeText } from './causes';
export type { AriApplication, AriBridge, AriChannel, AriEvent, AriPlayback, CallerId, ChannelState, DialplanCep, PlaybackState } from './model';
export { ASTERISK_VERSIONS, CAPTURED_BUILDS, simulatedVersionOf, type AsteriskVersion, type CapturedBuild } from './versions';
