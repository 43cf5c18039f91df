import { type CallbackAction, decodeCallback, encodeCallback } from '../../telegram/menus/callback-data';

/** The buttons of integration calls and click-to-call links: short, typed, and checked on the way back in. */
describe('the integration buttons\' callback data', () => {
  const requestId = '0f0e0d0c-0b0a-4908-8706-050403020100';

  it.each<CallbackAction>([
    { kind: 'integrationCall', requestId },
    { kind: 'integrationNotNow', requestId },
    { kind: 'integrationAuto', on: true },
    { kind: 'integrationAuto', on: false },
    { kind: 'linkCancel' },
  ])('given %j, then it encodes within Telegram\'s 64 bytes and decodes to itself', (action) => {
    const data = encodeCallback(action);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(decodeCallback(data)).toEqual(action);
  });

  it.each(['ir:not-a-uuid', `ir:${requestId}x`, 'ix:', 'ia:2', 'lx:1'])('given forged data %s, then it decodes to nothing', (data) => {
    expect(decodeCallback(data)).toBeUndefined();
  });
});
