/**
 * Each version profile of the simulator (spec/support/ari-simulator/versions.ts) against the
 * captures of every build it is played for (CAPTURED_BUILDS: 18.9-cert4's, and 20.20.1's and
 * 22.10.1's for 22): a field or cause the profile states is read back from what the real Asterisk
 * sent, so the table cannot drift from its evidence. The replay suite checks the rest.
 */
import fs from 'node:fs';
import path from 'node:path';

import { ASTERISK_VERSIONS, CAPTURED_BUILDS, simulatedVersionOf } from '../support/ari-simulator';
import { versionProfile } from '../support/ari-simulator/versions';

type Event = Record<string, unknown> & { type?: string; channel?: Record<string, unknown>; peer?: Record<string, unknown> };

const FIXTURES = path.resolve(__dirname, '../fixtures');

/** Every capture of a build, with its events. */
function capturesIn(dir: string): Array<{ file: string; capture: Record<string, unknown>; events: Event[] }> {
  return fs.readdirSync(path.join(FIXTURES, dir))
    .filter((f) => f.endsWith('.json'))
    .map((file) => ({ file, capture: JSON.parse(fs.readFileSync(path.join(FIXTURES, dir, file), 'utf8')) as Record<string, unknown> }))
    .map(({ file, capture }) => ({
      file, capture,
      events: ['events', 'eventsBeforeDrop', 'eventsAfterReconnect'].flatMap((key) => (Array.isArray(capture[key]) ? (capture[key] as Event[]) : [])),
    }));
}

function destroyedCause(events: readonly Event[], channelSuffix: string): unknown {
  return events.find((e) => e.type === 'ChannelDestroyed' && String(e.channel?.['id']).endsWith(channelSuffix))?.['cause'];
}

describe.each(CAPTURED_BUILDS.map((b) => [b.plays, b.dir, b] as const))('the simulator\'s profile of Asterisk %s, against the captures in %s', (version, dir, build) => {
  const profile = versionProfile(version);
  const captures = capturesIn(dir);

  it('given the captures, then every channel snapshot has protocol_id exactly when the profile says so', () => {
    expect(captures.length).toBeGreaterThan(0);
    const channels = captures.flatMap(({ events }) => events.flatMap((e) => [e.channel, e.peer].filter((c): c is Record<string, unknown> => c !== undefined)));
    expect(channels.length).toBeGreaterThan(100);
    expect([...new Set(channels.map((c) => 'protocol_id' in c))]).toEqual([profile.protocolId]);
  });

  it('given a busy agent (486), then its hang-up carries tech_cause 486 exactly when the profile says so', () => {
    const busy = captures.find(({ file }) => file === 'agent-busy.json');
    const hangup = busy?.events.find((e) => e.type === 'ChannelHangupRequest');
    expect(hangup?.['tech_cause']).toBe(profile.techCause ? 486 : undefined);
  });

  it('given legs that rang out (the originate\'s and the dial\'s timeout), then they end with the profile\'s causes', () => {
    const events = (file: string): Event[] => captures.find((c) => c.file === file)?.events ?? [];
    expect(destroyedCause(events('agent-noanswer.json'), '-agent')).toBe(profile.ringOut.originateCause);
    expect(destroyedCause(events('target-noanswer.json'), '-target')).toBe(profile.ringOut.dialCause);
  });

  it('given a far end\'s BYE (target-hangs-up: never moved; consult-then-complete: p3 moved), then its hang-up has a cause as the profile says', () => {
    const byeCause = (file: string, suffix: string): boolean => {
      const hangup = captures.find((c) => c.file === file)?.events.find((e) => e.type === 'ChannelHangupRequest' && e['soft'] === undefined && String(e.channel?.['id']).endsWith(suffix));
      return hangup !== undefined && 'cause' in hangup;
    };
    expect(byeCause('target-hangs-up.json', '-target')).toBe(profile.byeCause(false));
    expect(byeCause('consult-then-complete.json', '-p3')).toBe(profile.byeCause(true));
  });

  it('given the captures, then RTP statistics (RTPAUDIOQOS) are published exactly when the profile says so', () => {
    const published = captures.some(({ events }) => events.some((e) => e.type === 'ChannelVarset' && String(e['variable']).startsWith('RTPAUDIOQOS')));
    expect(published).toBe(profile.rtpStatistics);
  });

  it('given the captures\' headers, then they are of this build, which the simulator plays as this version', () => {
    const versions = new Set(captures.map(({ capture }) => String((capture['recorded'] as { ariAsteriskInfo?: { system?: { version?: string } } }).ariAsteriskInfo?.system?.version)));
    expect([...versions]).toEqual([build.systemVersion]);
    const recordedOn = new Set(captures.map(({ capture }) => simulatedVersionOf(String((capture['recorded'] as { asterisk?: string }).asterisk))));
    expect([...recordedOn]).toEqual([version]);
  });
});

describe.each(ASTERISK_VERSIONS)('the simulator\'s profile of Asterisk %s', (version) => {
  it('given its GET /asterisk/info, then it says the version of a build it is played for, captured', () => {
    const own = CAPTURED_BUILDS.filter((b) => b.plays === version && b.systemVersion.endsWith(versionProfile(version).systemVersion));
    expect(own).toHaveLength(1);
  });
});
