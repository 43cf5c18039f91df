import { decodeCallback, encodeCallback, type CallbackAction } from '../../telegram/menus/callback-data';

const ID = '0b5ad9c3-1111-4222-8333-944445555666';

describe('the supervision buttons\' callback data', () => {
  it.each<CallbackAction>([
    { kind: 'supervise', callId: ID, mode: 'listen' },
    { kind: 'supervise', callId: ID, mode: 'whisper' },
    { kind: 'supervise', callId: ID, mode: 'barge' },
    { kind: 'supervisionMode', supervisionId: ID, mode: 'barge' },
    { kind: 'supervisionLeave', supervisionId: ID },
  ])('given %o, when encoded, then it fits Telegram\'s 64 bytes and decodes back to itself', (action) => {
    const data = encodeCallback(action);
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(decodeCallback(data)).toEqual(action);
  });

  it.each(['sv:x:' + ID, 'sv:l:not-a-uuid', 'sm:l', 'sx:' + ID.toUpperCase(), `sx:${ID}:extra`])('given forged data %s, then it decodes to nothing', (data) => {
    expect(decodeCallback(data)).toBeUndefined();
  });
});
