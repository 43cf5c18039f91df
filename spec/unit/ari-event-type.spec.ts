import fs from 'node:fs';
import path from 'node:path';
import { peekEventType, readAriEvent } from '../../stasis/ari-events';

/** Real Asterisk 18.9 events, recorded by `npm run capture:asterisk`. */
const CAPTURE_DIR = path.resolve(__dirname, '../fixtures/asterisk-18.9-cert4');

describe('reading an ARI event type without parsing the event', () => {
  it('given every event a real Asterisk 18.9 sent in the captures, compact as ari.conf pretty=no sends it, then the type seen is the type parsed', () => {
    if (!fs.existsSync(CAPTURE_DIR)) {
      throw new Error(`Asterisk capture fixtures missing: ${CAPTURE_DIR}; record them with \`ASTERISK_BIN=<certified/18.9-cert4 sbin/asterisk> npm run capture:asterisk\` (see spec/e2e/README.md)`);
    }
    let checked = 0;
    for (const file of fs.readdirSync(CAPTURE_DIR).filter((f) => f.endsWith('.json'))) {
      const capture = JSON.parse(fs.readFileSync(path.join(CAPTURE_DIR, file), 'utf8')) as Record<string, unknown>;
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
