/**
 * Each version profile of the simulator (spec/support/ari-simulator/versions.ts) against the
 * captures of that version: a field or cause the profile states is read back from what the real
 * Asterisk sent, so the table cannot drift from its evidence. The replay suite checks the rest.
 */
import fs from 'node:fs';
import path from 'node:path';

import { ASTERISK_VERSIONS, simulatedVersionOf, type AsteriskVersion } from '../support/ari-simulator';
import { versionProfile } from '../support/ari-simulator/versions';

type Event = Record<string, unknown> & { type?: string; channel?: Record<string, unknown>; peer?: Record<string, unknown> };

const FIXTURES = path.resolve(__dirname, '../fixtures');

/** Every capture of a version, with its events, from the directory whose header names that version. */
function capturesOf(version: AsteriskVersion): Array<{ file: string; capture: Record<string, unknown>; events: Event[] }> {
  return fs.readdirSync(FIXTURES).filter((d) => d.startsWith('asterisk-')).flatMap((dir) => fs.readdirSync(path.join(FIXTURES, dir))
    .filter((f) => f.endsWith('.json'))
    .map((file) => ({ file, capture: JSON.parse(fs.readFileSync(path.join(FIXTURES, dir, file), 'utf8')) as Record<string, unknown> })))
    .filter(({ capture }) => simulatedVersionOf(String((capture['recorded'] as { asterisk?: string } | undefined)?.asterisk ?? '')) === version)
    .map(({ file, capture }) => ({
      file, capture,
      events: ['events', 'eventsBeforeDrop', 'eventsAfterReconnect'].flatMap((key) => (Array.isArray(capture[key]) ? (capture[key] as Event[]) : [])),
    }));
}

function destroyedCause(events: readonly Event[], channelSuffix: string): unknown {
  return events.find((e) => e.type === 'ChannelDestroyed' && String(e.channel?.['id']).endsWith(channelSuffix))?.['cause'];
}

describe.each(ASTERISK_VERSIONS)('the simulator\'s profile of Asterisk %s, against its captures', (version) => {
  const profile = versionProfile(version);
  const captures = capturesOf(version);

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

  it('given the captures\' headers, then ARI\'s own version is the profile\'s', () => {
    const versions = new Set(captures.map(({ capture }) => String((capture['recorded'] as { ariAsteriskInfo?: { system?: { version?: string } } }).ariAsteriskInfo?.system?.version)));
    expect([...versions].every((v) => v.endsWith(profile.systemVersion))).toBe(true);
  });
});
