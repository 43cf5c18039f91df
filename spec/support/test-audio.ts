import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * `seconds` of a 440 Hz tone with a little noise, as Asterisk stores a bridge recording (WAV, 8 kHz,
 * mono, signed 16-bit): made by ffmpeg, so a spec's audio is real sound rather than silence.
 */
export async function toneWav(seconds: number, { rate = 8000 } = {}): Promise<Buffer> {
  return generated(['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=${rate}:duration=${seconds}`,
    '-f', 'lavfi', '-i', `anoisesrc=color=pink:amplitude=0.05:sample_rate=${rate}:duration=${seconds}`,
    '-filter_complex', 'amix=inputs=2:duration=shortest', '-ac', '1', '-ar', String(rate), '-c:a', 'pcm_s16le', '-fflags', '+bitexact', '-f', 'wav'], 'wav');
}

/** `seconds` of a tone as an OGG/Opus voice message, as a Telegram client records one. */
export async function toneVoiceOgg(seconds: number): Promise<Buffer> {
  return generated(['-f', 'lavfi', '-i', `sine=frequency=523:sample_rate=48000:duration=${seconds}`, '-ac', '1', '-c:a', 'libopus', '-b:a', '32k', '-f', 'ogg'], 'ogg');
}

async function generated(args: string[], extension: string): Promise<Buffer> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'callbot-audio-'));
  try {
    const file = path.join(dir, `audio.${extension}`);
    await run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args, file]);
    return await fs.readFile(file);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** Whether a file is OGG with an Opus stream: the `OggS` capture pattern, then the `OpusHead` identification header. */
export function isOggOpus(file: Buffer): boolean {
  return file.subarray(0, 4).toString('ascii') === 'OggS' && file.subarray(0, 200).includes(Buffer.from('OpusHead'));
}
