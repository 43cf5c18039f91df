/**
 * What differs on the wire between the Asterisk versions the product supports, as the captures of
 * each show them (spec/fixtures/asterisk-<version>/, recorded by `npm run capture:asterisk`). The
 * simulator plays one version; the replay spec (spec/integration/ari-simulator-captures.spec.ts)
 * holds each against that version's captures, so a rule here that a capture contradicts fails there.
 */

/** The versions the simulator plays: 18.9-cert4 (certified) and 22 LTS (which also stands for 20 LTS: CAPTURED_BUILDS). */
export type AsteriskVersion = '18.9' | '22';

export const ASTERISK_VERSIONS: readonly AsteriskVersion[] = ['18.9', '22'];

export interface VersionProfile {
  /** What GET /asterisk/info's `system.version` says. */
  readonly systemVersion: string;
  /**
   * Every channel snapshot carries `protocol_id`: the SIP Call-ID of a PJSIP channel, from its
   * creation on (the originate's and /channels/create's answers), empty for a snoop (22: every capture).
   */
  readonly protocolId: boolean;
  /**
   * A hang-up caused by a SIP response says its code as `tech_cause` on ChannelHangupRequest and
   * ChannelDestroyed (22: agent-busy 486, target-notfound 404, target-noanswer 480).
   */
  readonly techCause: boolean;
  /**
   * The cause a leg that rang out ends with: the originate's timeout (18.9: 0, agent-noanswer) and the
   * dial's timeout (18.9: 16, target-noanswer); 22 says 19 with the 480 for both.
   */
  readonly ringOut: { originateCause: number; dialCause: number; sipCode?: number };
  /**
   * Whether a far end's BYE gives its ChannelHangupRequest a cause (16): 18.9 for a channel never
   * moved between bridges, none for one moved (target-hangs-up, consult-then-complete); 22 the other
   * way round (target-hangs-up and return-call: none; consult-then-complete's moved p3: 16).
   */
  readonly byeCause: (moved: boolean) => boolean;
  /**
   * /dial of a channel in a bridge of two or more: 18.9 sends the Dial event, then the bridge sets
   * its peers' variables again; 22 mostly sets them first (happy, target-early-media, cold-transfer;
   * not agent-hangs-up-while-target-rings: the two race, and the replay takes either order).
   */
  readonly peersBeforeDial: boolean;
  /**
   * A PJSIP channel with media (answered, or early media) sets its RTP statistics as the
   * RTPAUDIOQOS* variables as it hangs up, and its one bridge peer gets the same as *BRIDGED
   * (rtp_engine.c ast_rtp_instance_set_stats_vars). Published on 22 only (happy, target-hangs-up,
   * target-announcement-fails: before the ChannelHangupRequest).
   */
  readonly rtpStatistics: boolean;
}

const PROFILES: Readonly<Record<AsteriskVersion, VersionProfile>> = {
  '18.9': {
    systemVersion: '18.9-cert4',
    protocolId: false,
    techCause: false,
    ringOut: { originateCause: 0, dialCause: 16 },
    byeCause: (moved) => !moved,
    peersBeforeDial: false,
    rtpStatistics: false,
  },
  '22': {
    systemVersion: '22.10.1',
    protocolId: true,
    techCause: true,
    ringOut: { originateCause: 19, dialCause: 19, sipCode: 480 },
    byeCause: (moved) => moved,
    peersBeforeDial: true,
    rtpStatistics: true,
  },
};

export function versionProfile(version: AsteriskVersion): VersionProfile {
  return PROFILES[version];
}

/**
 * `Asterisk certified/18.9-cert4` → 18.9, `Asterisk 22.10.1` → 22, and `Asterisk 20.20.1` → 22 as
 * well (a capture's `recorded.asterisk`; see CAPTURED_BUILDS); undefined for a version not simulated.
 */
export function simulatedVersionOf(versionLine: string): AsteriskVersion | undefined {
  if (/\b18\.9-cert\d+\b/.test(versionLine)) return '18.9';
  if (/\b(20|22)\.\d+\.\d+\b/.test(versionLine)) return '22';
  return undefined;
}

export interface CapturedBuild {
  /** The version the simulator plays for this build. */
  readonly plays: AsteriskVersion;
  /** Its captures: spec/fixtures/<dir>/. */
  readonly dir: string;
  /** What its GET /asterisk/info's `system.version` says. */
  readonly systemVersion: string;
}

/**
 * Each Asterisk build whose traffic is captured, and the version the simulator plays for it. 20 LTS
 * has no profile of its own: its captures (all the scenarios, 20.20.1) show 22's wire on every line
 * of the profile and replay against the simulator playing 22, so 22 stands for it; the replay and
 * version specs hold each build's captures to the version it is played as.
 */
export const CAPTURED_BUILDS: readonly CapturedBuild[] = [
  { plays: '18.9', dir: 'asterisk-18.9-cert4', systemVersion: 'certified/18.9-cert4' },
  { plays: '22', dir: 'asterisk-20.20.1', systemVersion: '20.20.1' },
  { plays: '22', dir: 'asterisk-22.10.1', systemVersion: '22.10.1' },
];

/**
 * The RTP statistics of a call whose media the simulator does not carry: what the 22 captures show
 * for a leg that sent and received nothing measurable (happy.json), variable by variable.
 */
export const RTP_STATISTICS: ReadonlyArray<readonly [string, string]> = [
  ['RTPAUDIOQOS', 'ssrc=0;themssrc=0;lp=0;rxjitter=0.000000;rxcount=0;txjitter=0.000000;txcount=0;rlp=0;rtt=0.000000;rxmes=0.000000;txmes=0.000000'],
  ['RTPAUDIOQOSJITTER', 'minrxjitter=000.000000;maxrxjitter=000.000000;avgrxjitter=000.000000;stdevrxjitter=000.000000;mintxjitter=000.000000;maxtxjitter=000.000000;avgtxjitter=000.000000;stdevtxjitter=000.000000;'],
  ['RTPAUDIOQOSLOSS', 'minrxlost=000.000000;  maxrxlost=000.000000;  avgrxlost=000.000000;  stdevrxlost=000.000000;  mintxlost=000.000000;  maxtxlost=000.000000;  avgtxlost=000.000000;  stdevtxlost=000.000000;'],
  ['RTPAUDIOQOSRTT', 'minrtt=000.000000;     maxrtt=000.000000;     avgrtt=000.000000;     stdevrtt=000.000000;'],
  ['RTPAUDIOQOSMES', 'minrxmes=000.000000;   maxrxmes=000.000000;   avgrxmes=000.000000;   stdevrxmes=000.000000;   mintxmes=000.000000;   maxtxmes=000.000000;   avgtxmes=000.000000;   stdevtxmes=000.000000;'],
];
