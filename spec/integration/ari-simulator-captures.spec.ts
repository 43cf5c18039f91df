/**
 * The simulator against real Asterisk: every capture of each captured build (the fixtures in
 * spec/fixtures/asterisk-<version>/, recorded by `npm run capture:asterisk`) is replayed against the
 * simulator playing the version it stands for (CAPTURED_BUILDS: 20 LTS is played as 22;
 * spec/integration/support/capture-replay.ts says how), and the Stasis arguments each capture shows
 * are checked against the ones the app gives today.
 */
import fs from 'node:fs';
import path from 'node:path';

import { channelIdOfLeg } from '../../call/call-ids';
import { snoopChannelId, supervisionIds, supervisionOfAppData } from '../../call/supervision';
import { CAPTURED_BUILDS, simulatedVersionOf } from '../support/ari-simulator';
import { isObject, obj, replayCapture, text, type Json, type JsonObject } from './support/capture-replay';

const FIXTURES = path.resolve(__dirname, '../fixtures');

function captureFiles(dir: string): string[] {
  const at = path.join(FIXTURES, dir);
  return fs.existsSync(at) ? fs.readdirSync(at).filter((f) => f.endsWith('.json')).sort() : [];
}

function readCapture(dir: string, file: string): Json {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, dir, file), 'utf8')) as Json;
}

function eventsOf(capture: Json): JsonObject[] {
  if (!isObject(capture)) return [];
  return ['events', 'eventsBeforeDrop', 'eventsAfterReconnect'].flatMap((key) => {
    const events = capture[key];
    return Array.isArray(events) ? events.filter(isObject) : [];
  });
}

/**
 * Why a channel's Stasis arguments are not what the app gives such a channel today, or undefined
 * when they are: an inbound call's `inbound,<number>` (the bundle's dialplan), a call leg's
 * `<leg>,<call>` naming its own channel (call/call-ids.ts), a supervision channel's arguments as
 * call/supervision.ts makes and reads them.
 */
function argsMismatch(channelId: string, args: readonly string[]): string | undefined {
  const [first, ...rest] = args;
  if (first === 'inbound') return rest.length === 1 ? undefined : 'an inbound call has `inbound,<number>`';
  if (first === 'supervision') {
    const of = supervisionOfAppData(['callbot', ...args].join(','));
    if (of === undefined) return 'supervisionOfAppData() cannot read them (`supervision,<supervision>,<call>,<supervisor>`)';
    // Its supervisor's leg, or its n-th snoop (`<supervision>-snoop<n>`).
    const snoopPrefix = snoopChannelId(of.supervisionId, 0).slice(0, -1);
    const ours = channelId === supervisionIds(of.supervisionId).supervisorChannelId || (channelId.startsWith(snoopPrefix) && /^\d+$/.test(channelId.slice(snoopPrefix.length)));
    return ours ? undefined : `they name supervision ${of.supervisionId}, whose channels this is not`;
  }
  const [legId, callId] = args;
  if (args.length !== 2 || legId === undefined || callId === undefined || channelIdOfLeg(callId, legId) !== channelId) return 'a call leg has `<leg>,<call>` naming its own channel';
  return undefined;
}

describe.each(CAPTURED_BUILDS.map((b) => [b.plays, b.dir, b] as const))('ARI simulator playing Asterisk %s, against the captures in %s', (version, dir, build) => {
  const files = captureFiles(dir);

  test('the captures are there, each recorded on this build, which the simulator plays as this version', () => {
    if (files.length === 0) {
      throw new Error(`Asterisk capture fixtures missing: ${path.join(FIXTURES, dir)}; record them with \`ASTERISK_BIN=<Asterisk ${build.systemVersion}'s sbin/asterisk> npm run capture:asterisk\` (see spec/e2e/README.md)`);
    }
    for (const file of files) {
      const recordedOn = text(obj(readCapture(dir, file), 'recorded'), 'asterisk');
      expect({ file, thisBuild: recordedOn.endsWith(` ${build.systemVersion}`), version: simulatedVersionOf(recordedOn) }).toEqual({ file, thisBuild: true, version });
    }
  });

  test('every scenario captured on any build is captured on this one', () => {
    const everyScenario = [...new Set(CAPTURED_BUILDS.flatMap((b) => captureFiles(b.dir)))].sort();
    expect(files).toEqual(everyScenario);
  });

  test('given every StasisStart of the captures, then its arguments are the ones the app gives such a channel today', () => {
    const stale = files.flatMap((file) => eventsOf(readCapture(dir, file))
      .filter((e) => text(e, 'type') === 'StasisStart')
      .flatMap((e) => {
        const channelId = text(obj(e, 'channel'), 'id');
        const args = Array.isArray(e['args']) ? e['args'].map(String) : [];
        const why = argsMismatch(channelId, args);
        return why === undefined ? [] : [`${file}: ${channelId} entered with ${args.join(',')}: ${why}; re-record it (npm run capture:asterisk -- ${file.replace(/\.json$/, '')})`];
      }));
    expect(stale).toEqual([]);
  });

  if (files.length > 0) {
    test.concurrent.each(files)('%s replays to the same per-channel event sequences', async (file) => {
      await replayCapture(file, readCapture(dir, file), { asterisk: version });
    }, 20_000);
  }
});

/**
 * A difference between versions that the app reads must not pass unseen: the simulator playing
 * 18.9 answers a 22 capture's requests with 18.9's causes, and the replay, comparing only what the
 * app reads of each event (ari/ari-events.ts toAriEvent), fails on that field.
 */
describe('a 22 capture replayed against the simulator playing 18.9', () => {
  const stripColours = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');

  test.concurrent.each([
    // The customer's BYE: 22 gives its ChannelHangupRequest no cause, 18.9 says 16; the app ends an inbound leg with that cause.
    ['return-call.json', 'ChannelHangupRequest', '"cause": null'],
    // A dial that rang out: 22 ends the leg with cause 19, 18.9 with 16; the app records the leg's end with it.
    ['target-noanswer.json', 'ChannelDestroyed', '"cause": 19'],
  ])('given %s, then the replay fails on the %s the app reads (%s)', async (file, type, field) => {
    const capture = readCapture('asterisk-22.10.1', file);
    // The same comparison passes against the simulator playing 22: what fails is the version's field, not the comparison.
    const [same, other] = await Promise.all([
      replayCapture(file, capture, { asterisk: '22', compare: 'app-reads' }).then(() => undefined, (err: unknown) => err),
      replayCapture(file, capture, { asterisk: '18.9', compare: 'app-reads' }).then(() => undefined, (err: unknown) => err),
    ]);
    expect(same).toBeUndefined();
    const failure = other;
    expect(failure).toBeInstanceOf(Error);
    const message = stripColours(failure instanceof Error ? failure.message : '');
    expect(message).toContain(`"type": "${type}"`);
    expect(message).toContain(field);
  }, 20_000);
});
