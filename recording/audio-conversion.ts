import { ConversionFailed, type Ffmpeg } from './ffmpeg';

/** Telegram sends a voice message of up to 50 MB by bot; an hour of speech at this bit rate is about 11 MB. */
export const VOICE_MAX_BYTES = 45 * 1024 * 1024;
/** An announcement Asterisk plays before the parties are joined: two minutes is more than any consent notice needs. */
export const ANNOUNCEMENT_MAX_SECONDS = 120;

/** ffmpeg's time for one conversion: generous for a long call on a busy machine, short enough that a hung one is noticed. */
const VOICE_TIMEOUT_MS = 5 * 60_000;
const ANNOUNCEMENT_TIMEOUT_MS = 60_000;

/** What a recording becomes: an OGG/Opus voice message and its length. */
export interface VoiceRecording {
  ogg: Buffer;
  durationMs: number;
}

/**
 * The conversions recording needs, both by ffmpeg (ffmpeg.ts): a call's WAV to a Telegram voice
 * message, and an admin's voice message or audio file to the WAV Asterisk plays.
 */
export class AudioConversion {
  constructor(private readonly ffmpeg: Ffmpeg, private readonly limits: { voiceTimeoutMs?: number } = {}) {}

  /**
   * Asterisk's WAV (8 kHz mono) to OGG/Opus: mono, a bit rate Telegram's voice player streams at
   * once. The encoder's CPU is what limits many calls ending at once, so it runs at its lowest
   * complexity with long frames, and in its CELT-only mode (`lowdelay`), which costs far less than
   * the speech mode (SILK); this bit rate is generous for telephone audio's 4 kHz band.
   */
  async toVoice(wav: Buffer): Promise<VoiceRecording> {
    const durationMs = wavDurationMs(wav);
    const ogg = await this.ffmpeg.convert(wav, {
      outputArgs: [
        '-map_metadata', '-1', '-vn', '-ac', '1', '-c:a', 'libopus', '-b:a', '24k', '-application', 'lowdelay', '-compression_level', '0', '-frame_duration', '60', '-f', 'ogg',
      ],
      outputExtension: 'ogg', timeoutMs: this.limits.voiceTimeoutMs ?? VOICE_TIMEOUT_MS, maxOutputBytes: VOICE_MAX_BYTES,
    });
    return { ogg, durationMs };
  }

  /**
   * Any audio to what Asterisk's `wav` format is: 8 kHz, mono, signed 16-bit PCM, with no extra
   * chunks in the header (`-bitexact`: no encoder tag for Asterisk's reader to trip on).
   */
  async toAnnouncement(audio: Buffer): Promise<Buffer> {
    const wav = await this.ffmpeg.convert(audio, {
      outputArgs: ['-map_metadata', '-1', '-vn', '-ac', '1', '-ar', '8000', '-c:a', 'pcm_s16le', '-fflags', '+bitexact', '-flags:a', '+bitexact', '-f', 'wav'],
      outputExtension: 'wav', timeoutMs: ANNOUNCEMENT_TIMEOUT_MS, maxOutputBytes: 44 + ANNOUNCEMENT_MAX_SECONDS * 16_000,
    });
    if (wavDurationMs(wav) === 0) throw new ConversionFailed('the audio holds no sound', 'unreadable');
    return wav;
  }
}

/**
 * The length of a RIFF/WAVE file's audio, from its `fmt ` chunk's byte rate and its `data` chunk.
 * A recording cut short (Asterisk stopped before it rewrote the header) is measured by the bytes there are.
 */
export function wavDurationMs(wav: Buffer): number {
  if (wav.length < 12 || wav.toString('ascii', 0, 4) !== 'RIFF' || wav.toString('ascii', 8, 12) !== 'WAVE') {
    throw new ConversionFailed('the recording is not a WAV file', 'unreadable');
  }
  let byteRate = 0;
  let offset = 12;
  while (offset + 8 <= wav.length) {
    const id = wav.toString('ascii', offset, offset + 4);
    const size = wav.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ' && body + 12 <= wav.length) byteRate = wav.readUInt32LE(body + 8);
    if (id === 'data') {
      if (byteRate === 0) break;
      const bytes = Math.min(size, wav.length - body);
      return Math.round((bytes / byteRate) * 1000);
    }
    offset = body + size + (size % 2);
  }
  throw new ConversionFailed('the WAV file has no audio format or data', 'unreadable');
}
