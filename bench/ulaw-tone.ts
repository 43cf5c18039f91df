/** The audio the load bench's providers stream: a tone as raw G.711 mu-law, 8 kHz. */
import fs from 'node:fs';

/** ITU-T G.711 mu-law encoding of one 16-bit linear sample. */
function ulaw(linear: number): number {
  const BIAS = 0x84;
  const CLIP = 32635;
  const sign = linear < 0 ? 0x80 : 0;
  let sample = Math.min(Math.abs(Math.round(linear)), CLIP) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (sample & mask) === 0 && exponent > 0; mask >>= 1) exponent -= 1;
  const mantissa = (sample >> (exponent + 3)) & 0x0f;
  sample = ~(sign | (exponent << 4) | mantissa) & 0xff;
  return sample;
}

/**
 * Writes `seconds` of a tone (425 Hz unless `hz` says otherwise) at about -12 dBFS. sipp loops the file for as long as a call
 * talks; a tone rather than silence so nothing on the path could treat the stream as empty.
 */
export function writeUlawTone(file: string, seconds = 1, hz = 425): void {
  const rate = 8000;
  const samples = Buffer.alloc(rate * seconds);
  for (let i = 0; i < samples.length; i += 1) samples[i] = ulaw(8000 * Math.sin((2 * Math.PI * hz * i) / rate));
  fs.writeFileSync(file, samples);
}
