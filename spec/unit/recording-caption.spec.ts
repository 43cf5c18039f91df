import { recordingCaption } from '../../telegram/recording-delivery';

describe('a call recording\'s caption', () => {
  const recording = { durationMs: 192_000, callId: 'c-1', copy: 'agent' as const };

  it('given a recording never paused, then it says its length and call', () => {
    expect(recordingCaption({ ...recording, pausedMs: 0 })).toBe('⏺ Call recording · 3:12\nCall c-1');
  });

  it('given a recording paused for 45 s, then it says so under the length, as time the file does not hold', () => {
    expect(recordingCaption({ ...recording, pausedMs: 45_200 })).toBe('⏺ Call recording · 3:12\nCall c-1\n⏸ Paused 45 s (not in the recording)');
    expect(recordingCaption({ ...recording, pausedMs: 45_200, copy: 'admin' })).toBe('⏺ Call recording · 3:12\nCall c-1 (a copy for admins)\n⏸ Paused 45 s (not in the recording)');
  });
});
