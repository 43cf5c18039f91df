import fs from 'node:fs';
import path from 'node:path';
import { peekEventType, readAriEvent } from '../../ari/ari-events';

/** Real Asterisk events, recorded by `npm run capture:asterisk`: one directory per version. */
const FIXTURES = path.resolve(__dirname, '../fixtures');
/** The set the simulator is modelled on; it must be there. */
const REFERENCE = 'asterisk-18.9-cert4';
const captureSets = [...new Set([REFERENCE, ...(fs.existsSync(FIXTURES) ? fs.readdirSync(FIXTURES).filter((d) => d.startsWith('asterisk-')) : [])])].sort();

describe('reading an ARI event type without parsing the event', () => {
  it.each(captureSets)('given every event a real Asterisk sent in the captures of %s, compact as ari.conf pretty=no sends it, then the type seen is the type parsed', (set) => {
    const dir = path.join(FIXTURES, set);
    if (!fs.existsSync(dir)) {
      throw new Error(`Asterisk capture fixtures missing: ${dir}; record them with \`ASTERISK_BIN=<certified/18.9-cert4 sbin/asterisk> npm run capture:asterisk\` (see spec/e2e/README.md)`);
    }
    let checked = 0;
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json'))) {
      const capture = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
      const events = Object.values(capture).flatMap((v) => (Array.isArray(v) ? v : []))
        .filter((e): e is { type: string } => typeof e === 'object' && e !== null && typeof (e as { type?: unknown }).type === 'string' && 'timestamp' in e);
      for (const event of events) {
        expect(peekEventType(Buffer.from(JSON.stringify(event)))).toBe(event.type);
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it.each([
    ['pretty-printed (pretty=yes)', '{\n  "type": "StasisEnd",\n  "channel": {"id": "x"}\n}', 'StasisEnd'],
    ['"type" after a nested object', '{"variable":"X","channel":{"id":"c","state":"Up"},"type":"ChannelVarset"}', 'ChannelVarset'],
    ['a variable value that spells another type', '{"variable":"X","value":"\\"type\\":\\"StasisStart\\"","type":"ChannelVarset"}', 'ChannelVarset'],
    ['a bridge (bridge_type is not type)', '{"bridge":{"id":"b","bridge_type":"mixing"},"type":"BridgeDestroyed"}', 'BridgeDestroyed'],
    ['no type at all', '{"channel":{"id":"c"}}', undefined],
    ['a type that is not a string', '{"type":7}', undefined],
    ['not JSON', 'garbage', undefined],
  ])('given %s, then it reads %s', (_what, text, type) => {
    expect(peekEventType(Buffer.from(text))).toBe(type);
  });

  it('given text that is not a JSON object, then reading the event says why', () => {
    expect(readAriEvent(Buffer.from('[1]'))).toEqual({ unreadable: 'message is not a JSON object' });
    expect(readAriEvent(Buffer.from('{"type":'))).toEqual({ unreadable: 'message is not JSON' });
  });
});
