import WebSocket from 'ws';
import { waitFor } from '../../support/wait-for';
import type { AsteriskLab } from './lab';

/**
 * What Asterisk sends a channel, recorded by Asterisk itself: a snoop channel (`spy=out`, the audio
 * written to the spied channel, playbacks included) in an app of its own, recorded as WAV. The e2e
 * suite's phones are sipp, which plays RTP but keeps none, so this is how a spec hears what the
 * agent's phone is sent.
 */
export class ChannelEar {
  private readonly events: Array<Record<string, unknown>> = [];

  private constructor(private readonly lab: AsteriskLab, private readonly ws: WebSocket, private readonly app: string) {
    ws.on('message', (data: Buffer) => this.events.push(JSON.parse(data.toString('utf8')) as Record<string, unknown>));
  }

  static async open(lab: AsteriskLab, app = 'e2e-ear'): Promise<ChannelEar> {
    const { username, password } = lab.ari;
    const ws = new WebSocket(`${lab.ariUrl.replace(/^http/, 'ws')}/ari/events?app=${app}&api_key=${encodeURIComponent(`${username}:${password}`)}`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', (err) => reject(new Error('the listening app\'s ARI socket did not open', { cause: err })));
    });
    return new ChannelEar(lab, ws, app);
  }

  /** Records `seconds` of what `channelId` is sent; resolves with the WAV once Asterisk has stored it. */
  async record(channelId: string, name: string, seconds: number): Promise<Buffer> {
    const snoopId = `${name}-snoop`;
    const snooped = await this.lab.rest('POST', `/channels/${channelId}/snoop?spy=out&app=${this.app}&snoopId=${snoopId}`);
    if (snooped.status !== 200) throw new Error(`snooping on ${channelId} answered ${snooped.status}: ${JSON.stringify(snooped.body)}`);
    await waitFor(() => this.events.some((e) => e['type'] === 'StasisStart' && (e['channel'] as { id?: string } | undefined)?.id === snoopId), { what: `the snoop ${snoopId} in Stasis` });
    const started = await this.lab.rest('POST', `/channels/${snoopId}/record?name=${name}&format=wav&maxDurationSeconds=${seconds}&ifExists=overwrite`);
    if (started.status !== 201) throw new Error(`recording the snoop answered ${started.status}: ${JSON.stringify(started.body)}`);
    await waitFor(() => this.events.some((e) => (e['type'] === 'RecordingFinished' || e['type'] === 'RecordingFailed') && (e['recording'] as { name?: string } | undefined)?.name === name),
      { timeoutMs: seconds * 1000 + 3000, what: `the recording ${name} to finish` });
    await this.lab.rest('DELETE', `/channels/${snoopId}`);
    return waitFor(() => this.storedFile(name), { timeoutMs: 3000, what: `the stored recording ${name}` });
  }

  private async storedFile(name: string): Promise<Buffer | undefined> {
    const { username, password } = this.lab.ari;
    const response = await fetch(`${this.lab.ariUrl}/ari/recordings/stored/${name}/file`, {
      headers: { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` },
    });
    if (response.status !== 200) return undefined;
    const file = Buffer.from(await response.arrayBuffer());
    await this.lab.rest('DELETE', `/recordings/stored/${name}`);
    return file;
  }

  close(): void {
    this.ws.close();
  }
}

/** The 16-bit samples of a WAV file's data chunk (Asterisk's `wav`: 8 kHz, mono, signed 16-bit). */
export function wavSamples(file: Buffer): Int16Array {
  let offset = 12;
  while (offset + 8 <= file.length) {
    const id = file.toString('latin1', offset, offset + 4);
    const size = file.readUInt32LE(offset + 4);
    if (id === 'data') {
      const body = file.subarray(offset + 8, offset + 8 + Math.min(size, file.length - offset - 8));
      const samples = new Int16Array(Math.floor(body.length / 2));
      for (let i = 0; i < samples.length; i += 1) samples[i] = body.readInt16LE(i * 2);
      return samples;
    }
    offset += 8 + size + (size % 2);
  }
  throw new Error('the WAV file has no data chunk');
}

/** The amplitude of the `hz` component of `samples` at 8 kHz (Goertzel): a sine of amplitude A reads about A. */
export function toneAmplitude(samples: Int16Array, hz: number, rate = 8000): number {
  const k = (2 * Math.PI * hz) / rate;
  const coeff = 2 * Math.cos(k);
  let s1 = 0;
  let s2 = 0;
  for (const x of samples) {
    const s0 = x + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / Math.max(1, samples.length);
}
