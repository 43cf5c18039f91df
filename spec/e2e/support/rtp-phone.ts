import dgram from 'node:dgram';
import { waitFor } from '../../support/wait-for';

/** One RTP packet's audio (PCMU payload) and when it arrived. */
interface Heard {
  at: number;
  payload: Buffer;
}

/** 20 ms of PCMU at 8 kHz: what every packet carries. */
const FRAME = 160;
const PCMU = 0;

/**
 * A phone's media end, for what sipp cannot do: keep the RTP Asterisk actually sends a leg. A sipp
 * scenario answers the call with this socket's address in its SDP; the phone keeps every PCMU packet
 * it is sent and, once Asterisk has sent one, talks back from the same socket (the trunk is
 * rtp_symmetric) by looping `talk`.
 */
export class RtpPhone {
  private readonly heard: Heard[] = [];
  private remote: { address: string; port: number } | undefined;
  private readonly timer: NodeJS.Timeout;
  private sequence = 0;
  private offset = 0;
  private started: number | undefined;

  private constructor(private readonly socket: dgram.Socket, private readonly talk: Buffer) {
    socket.on('message', (packet, from) => {
      this.remote = { address: from.address, port: from.port };
      // RTP: version 2, no CSRCs or extension from Asterisk; the payload type is the low 7 bits of byte 1.
      if (packet.length > 12 && (packet[1]! & 0x7f) === PCMU) this.heard.push({ at: Date.now(), payload: packet.subarray(12) });
    });
    // A call that ended leaves a stale address: sending there may be refused, which is no failure of the phone.
    socket.on('error', () => undefined);
    this.timer = setInterval(() => this.speak(), 20);
  }

  static async open(address: string, port: number, talk: Buffer): Promise<RtpPhone> {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => reject(new Error(`the RTP phone could not bind ${address}:${port}`, { cause: err })));
      socket.bind(port, address, () => resolve());
    });
    return new RtpPhone(socket, talk);
  }

  /**
   * The linear samples of what the phone is sent from now on, once it holds `seconds` of it: the
   * audio of the packets that arrive after the call, in arrival order.
   */
  async hear(seconds: number): Promise<Int16Array> {
    const from = Date.now();
    const packets = (): Heard[] => this.heard.filter((h) => h.at >= from);
    await waitFor(() => packets().length >= seconds * 50, { timeoutMs: seconds * 1000 + 4000, everyMs: 50, what: `${seconds} s of RTP sent to the agent's phone` });
    const payload = Buffer.concat(packets().slice(0, seconds * 50).map((h) => h.payload));
    const samples = new Int16Array(payload.length);
    for (let i = 0; i < payload.length; i += 1) samples[i] = ulawToLinear(payload[i]!);
    return samples;
  }

  /** Sends every frame due by the wall clock since the phone first heard Asterisk: timers run late, the stream must not. */
  private speak(): void {
    if (!this.remote) return;
    this.started ??= Date.now();
    while (this.sequence < Math.floor((Date.now() - this.started) / 20)) this.sendFrame(this.remote);
  }

  private sendFrame(remote: { address: string; port: number }): void {
    const header = Buffer.alloc(12);
    header[0] = 0x80;
    header[1] = PCMU;
    header.writeUInt16BE(this.sequence & 0xffff, 2);
    header.writeUInt32BE((this.sequence * FRAME) >>> 0, 4);
    header.writeUInt32BE(0x5eed0001, 8);
    this.sequence += 1;
    const frame = Buffer.alloc(FRAME);
    for (let i = 0; i < FRAME; i += 1) frame[i] = this.talk[(this.offset + i) % this.talk.length]!;
    this.offset = (this.offset + FRAME) % this.talk.length;
    this.socket.send(Buffer.concat([header, frame]), remote.port, remote.address);
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }
}

/** ITU-T G.711 mu-law decoding of one byte to a 16-bit linear sample. */
function ulawToLinear(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = (((u & 0x0f) << 3) + 0x84) << exponent;
  return u & 0x80 ? 0x84 - magnitude : magnitude - 0x84;
}
