import { PendingInputs } from '../../telegram/pending-input';

describe('the number a chat was asked to type', () => {
  const callId = '0f0e0d0c-0b0a-4908-8706-050403020100';
  let now: number;
  let pending: PendingInputs;

  beforeEach(() => {
    now = 1_000;
    pending = new PendingInputs(60_000, () => now);
  });

  it('given a chat asked for a number, then its next text is that number, once', () => {
    pending.expect(7, callId, 'warm');
    expect(pending.take(7)).toEqual({ kind: 'number', pending: { callId, purpose: 'warm', expiresAt: 61_000 } });
    expect(pending.take(7)).toEqual({ kind: 'none' });
  });

  it('given the time is up, then the text came too late, once, and is then an ordinary text', () => {
    pending.expect(7, callId, 'add');
    now = 61_000;
    expect(pending.take(7)).toEqual({ kind: 'expired' });
    expect(pending.take(7)).toEqual({ kind: 'none' });
  });

  it('given a cancel, then nothing is waited for; a second cancel says there was nothing', () => {
    pending.expect(7, callId, 'cold');
    expect(pending.cancel(7)).toBe(true);
    expect(pending.cancel(7)).toBe(false);
    expect(pending.take(7)).toEqual({ kind: 'none' });
  });

  it('given two chats, then each waits for its own number, and a newer ask replaces an older one', () => {
    pending.expect(7, callId, 'cold');
    pending.expect(8, callId, 'add');
    pending.expect(7, callId, 'warm');
    expect(pending.take(8)).toMatchObject({ kind: 'number', pending: { purpose: 'add' } });
    expect(pending.take(7)).toMatchObject({ kind: 'number', pending: { purpose: 'warm' } });
  });

  it('given a chat asked for a callback time, then its next text is that time, once; after the time is up it came too late, as a callback time', () => {
    pending.expectCallbackTime(7, callId);
    expect(pending.take(7)).toEqual({ kind: 'callbackTime', pending: { callId, expiresAt: 61_000 } });
    expect(pending.take(7)).toEqual({ kind: 'none' });
    pending.expectCallbackTime(7, callId);
    now = 61_000;
    expect(pending.take(7)).toEqual({ kind: 'callbackTimeExpired' });
  });

  it('given a chat asked for a number, when it is asked for a callback time next, then the time is what its next text is', () => {
    pending.expect(7, callId, 'warm');
    pending.expectCallbackTime(7, callId);
    expect(pending.take(7)).toMatchObject({ kind: 'callbackTime' });
  });

  it('given /announcement M, then the chat awaits that route\'s audio, which a text or a number ask leaves alone, until taken, cancelled or expired', () => {
    pending.expectAnnouncement(7, 'M');
    pending.expect(7, callId, 'cold');
    expect(pending.take(7)).toMatchObject({ kind: 'number' });
    expect(pending.awaitsAnnouncement(7)).toBe(true);
    expect(pending.awaitsAnnouncement(8)).toBe(false);
    expect(pending.takeAnnouncement(7)).toBe('M');
    expect(pending.takeAnnouncement(7)).toBeNull();

    pending.expectAnnouncement(7, 'D');
    pending.cancel(7);
    expect(pending.takeAnnouncement(7)).toBeNull();

    pending.expectAnnouncement(7, 'D');
    now = 61_000;
    expect(pending.awaitsAnnouncement(7)).toBe(false);
    expect(pending.takeAnnouncement(7)).toBeNull();
  });
});
