import { AudioConversion, wavDurationMs } from '../../recording/audio-conversion';
import { ConversionFailed, Ffmpeg, FfmpegMissing } from '../../recording/ffmpeg';
import { isOggOpus, toneVoiceOgg, toneWav } from '../support/test-audio';

describe('audio conversion with Debian\'s ffmpeg', () => {
  const conversion = new AudioConversion(new Ffmpeg());

  it('given a recording as Asterisk stores it (WAV, 8 kHz), when converted for Telegram, then it is OGG/Opus and its length is the WAV\'s', async () => {
    const wav = await toneWav(3);
    const voice = await conversion.toVoice(wav);
    expect(isOggOpus(voice.ogg)).toBe(true);
    expect(voice.durationMs).toBe(3000);
    expect(voice.ogg.length).toBeLessThan(wav.length);
  });

  it('given bytes that are not a WAV file, when converted for Telegram, then it fails as unreadable', async () => {
    await expect(conversion.toVoice(Buffer.from('not audio at all'))).rejects.toThrow(ConversionFailed);
  });

  it('given an admin\'s voice message (OGG/Opus, 48 kHz), when converted for Asterisk, then it is WAV, 8 kHz, mono, 16-bit, with a plain header', async () => {
    const wav = await conversion.toAnnouncement(await toneVoiceOgg(2));
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.toString('ascii', 12, 16)).toBe('fmt ');
    expect(wav.readUInt16LE(20)).toBe(1); // PCM
    expect(wav.readUInt16LE(22)).toBe(1); // mono
    expect(wav.readUInt32LE(24)).toBe(8000);
    expect(wav.readUInt16LE(34)).toBe(16);
    expect(wav.toString('ascii', 36, 40)).toBe('data');
    expect(Math.abs(wavDurationMs(wav) - 2000)).toBeLessThan(100);
  });

  it('given a file that is not audio, when converted for Asterisk, then it fails with ffmpeg\'s reason', async () => {
    const error = await conversion.toAnnouncement(Buffer.alloc(64 * 1024, 7)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConversionFailed);
    expect((error as ConversionFailed).reason).toBe('unreadable');
  });

  it('given a conversion that takes longer than its time, then ffmpeg is stopped and it fails as timed out', async () => {
    const slow = new AudioConversion(new Ffmpeg(), { voiceTimeoutMs: 1 });
    const error = await slow.toVoice(await toneWav(30)).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConversionFailed);
    expect((error as ConversionFailed).reason).toBe('timeout');
  });

  it('given no ffmpeg where FFMPEG_PATH points, when checked at start-up, then the error says to install it or turn recording off', async () => {
    const error = await new Ffmpeg('/nonexistent/ffmpeg').check().catch((err: unknown) => err);
    expect(error).toBeInstanceOf(FfmpegMissing);
    expect((error as Error).message).toMatch(/apt-get install ffmpeg.*FFMPEG_PATH.*RECORDING_POLICY_M/);
  });

  it('given ffmpeg installed, when checked at start-up, then its version line is returned', async () => {
    await expect(new Ffmpeg().check()).resolves.toMatch(/^ffmpeg version/);
  });
});
