import path from 'node:path';
import { writeUlawTone } from '../../bench/ulaw-tone';
import type { SupervisionMode } from '../../call/supervision';
import { waitFor } from '../support/wait-for';
import { E2eBot } from './support/e2e-bot';
import { AsteriskLab, SIPP_DIR } from './support/lab';
import { ANN, PHONE, PlacedCall, TARGET } from './support/scenario';
import { report, table } from './support/report';

/** Every leg's far end talks this long (sipp's -d: load-uas.xml streams a tone on each leg, then hangs up). */
const TALK_MS = 20_000;
/** The supervisor's phone, rung over the call's route. */
const SUPERVISOR = { telegramId: '3001', phone: '+15551230002', agentId: null };
/** Between one source of the tone (about 5700 RMS) and two (about 11300). */
const TWO_SOURCES = 8500;
/** Half a second of RTP at 50 packets a second. */
const HALF_A_SECOND = 25;

/**
 * Supervision on a real Asterisk: a call placed from Telegram, then supervised through the bot's
 * supervision desk (as /live's buttons do), every leg's far end streaming a tone (load-uas.xml).
 * Asterisk's own RTP counters (`pjsip show channelstats`) say which leg is sent audio and in which
 * bridge each leg is; ARI says who is in which bridge; and Asterisk holds nothing afterwards.
 */
describe('e2e: supervisors listen, whisper and barge on a real Asterisk', () => {
  let lab: AsteriskLab;
  let bot: E2eBot;
  const stats: string[] = [];
  /** The loudest half second each leg was sent, per mode. */
  const levels: Array<Array<string | number>> = [];

  beforeAll(async () => {
    const audio = path.join(process.env.E2E_RUN_DIR ?? '', 'talk.ulaw');
    writeUlawTone(audio, 1, 400);
    lab = await AsteriskLab.start('supervision', {
      provider: { scenario: path.join(SIPP_DIR, 'load-uas.xml'), files: { 'talk.ulaw': audio }, args: ['-d', String(TALK_MS)] },
    });
    bot = await E2eBot.start(lab, 'supervision');
  });

  afterEach(async () => {
    // A failed scenario's call must not hold the agent's next one.
    for (const call of bot.engine.liveCalls()) bot.engine.cancelCall(call.context.callId, 'system');
    await lab.expectNothingLeft(10_000).catch(() => lab.clearLeftovers());
  });

  afterAll(async () => {
    await bot?.stop();
    await lab?.stop();
    if (stats.length) {
      report('supervision', [
        'What each leg is sent, as RMS of its loudest half second (one tone about 5700, two about 11300)', '',
        table(['mode', 'supervisor', 'agent', 'customer'], levels.map((row) => row.map(String))), '', 'RTP counters of each leg (pjsip show channelstats)', '', ...stats,
      ]);
    }
  });

  /** Each leg: the first 8 characters of its bridge's id ('' for none), and the RTP packets Asterisk received from it and sent it. */
  function channelStats(): Array<{ bridge: string; received: number; sent: number }> {
    return lab.cli('pjsip show channelstats').split('\n').flatMap((line) => {
      const words = line.trim().split(/\s+/);
      const at = words.findIndex((w) => w.startsWith('trunk-main-'));
      if (at < 0 || at > 1) return [];
      const [, , , received, , , , sent] = words.slice(at);
      return [{ bridge: at === 1 ? words[0]! : '', received: Number(received), sent: Number(sent) }];
    });
  }

  async function members(bridgeId: string): Promise<string[]> {
    const bridge = await bot.ari.getBridge(bridgeId);
    return bridge ? [...bridge.channelIds].sort() : [];
  }

  /** Packets Asterisk sent the legs of a bridge, now and half a second of RTP later, per leg. */
  async function sentGrowsIn(bridgePrefix: string, legs: number, what: string): Promise<void> {
    const before = channelStats().filter((l) => l.bridge === bridgePrefix);
    await waitFor(() => {
      const now = channelStats().filter((l) => l.bridge === bridgePrefix);
      return now.length === legs && now.every((l, i) => l.sent - (before[i]?.sent ?? 0) >= HALF_A_SECOND);
    }, { timeoutMs: 4000, everyMs: 100, what });
  }

  /**
   * How loud what Asterisk sends a leg is, over about a second: a probe snoop on it hearing only that
   * direction (spy=out), recorded in a bridge of its own. Every far end streams the same tone, so
   * one source is about 5700 RMS and two (the other party and a whisper) about 11300.
   */
  async function heardBy(channelId: string, label: string): Promise<number> {
    const probe = `${label}-probe`;
    const bridge = `${label}-probe-bridge`;
    const name = `${label}-probe-rec`;
    const { app } = bot.config.ari;
    await bot.ari.createBridge(bridge, label);
    await bot.ari.snoop({ channelId, snoopId: probe, spy: 'out', whisper: 'none', app, appArgs: 'probe' });
    // addChannel answers 422 until the snoop's thread has entered Stasis.
    await waitFor(() => bot.ari.addToBridge(bridge, probe).then(() => true, () => false), { timeoutMs: 3000, what: 'the probe in its bridge' });
    await bot.ari.recordBridge(bridge, name);
    const start = channelStats();
    // A second of RTP sent to every leg: the recording has heard a second.
    await waitFor(() => channelStats().every((l, i) => l.sent - (start[i]?.sent ?? 0) >= 2 * HALF_A_SECOND), { timeoutMs: 4000, everyMs: 100, what: 'a second of RTP' });
    await bot.ari.stopRecording(name);
    await bot.ari.hangup(probe);
    await bot.ari.destroyBridge(bridge);
    const file = await waitFor(async () => bot.ari.fetchStoredRecording(name).catch(() => undefined), { timeoutMs: 5000, what: `the stored recording ${name}` });
    await bot.ari.deleteStoredRecording(name);
    return loudestHalfSecond(file);
  }

  async function connectedCall(): Promise<{ call: PlacedCall; callId: string }> {
    const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.answers);
    await call.status(/Connected/, 15000);
    const callId = bot.engine.liveCalls()[0]!.context.callId;
    return { call, callId };
  }

  async function supervise(callId: string, mode: SupervisionMode): Promise<string> {
    const answer = bot.h.supervision.supervise(callId, SUPERVISOR, mode);
    if (!answer.ok) throw new Error(`refused: ${answer.refusal}`);
    await waitFor(() => bot.h.supervision.supervisionOf(SUPERVISOR.telegramId)?.stage === 'active', { timeoutMs: 10000, what: 'the supervisor answered' });
    return answer.supervisionId;
  }

  async function audited(callId: string): Promise<string[]> {
    return (await bot.stores.audit.latest(50)).filter((e) => e.action === 'call_supervised' && e.subject === callId).map((e) => e.details);
  }

  it('given listen then whisper, then the supervisor\'s leg is sent the call\'s audio from a bridge of its own with the snoop, the call\'s bridge keeps its two parties, and the supervisor hanging up leaves the call going', async () => {
    const { callId } = await connectedCall();
    const id = await supervise(callId, 'listen');
    await waitFor(async () => (await members(`${id}-listen`)).join() === [`${id}-snoop1`, `${id}-supervisor`].join(), { timeoutMs: 5000, what: 'supervisor and snoop bridged' });
    expect(await members(`${callId}-bridge`)).toEqual([`${callId}-agent`, `${callId}-target`]);
    // The supervisor's leg is in the supervision's bridge and is sent audio (the snoop's: both parties); the parties are in theirs, sent each other's.
    await sentGrowsIn(id.slice(0, 8), 1, 'RTP to the supervisor\'s leg');
    await sentGrowsIn(callId.slice(0, 8), 2, 'RTP to the agent\'s and the customer\'s legs');
    stats.push('listen:', lab.cli('pjsip show channelstats'));
    // Listening: the supervisor hears two sources (agent and customer); each party hears one (the other), not the supervisor.
    const listening = {
      supervisor: await heardBy(`${id}-supervisor`, `${id}-l-s`), agent: await heardBy(`${callId}-agent`, `${id}-l-a`), customer: await heardBy(`${callId}-target`, `${id}-l-c`),
    };
    levels.push(['listen', listening.supervisor, listening.agent, listening.customer]);
    expect(listening.supervisor).toBeGreaterThan(TWO_SOURCES);
    expect(listening.agent).toBeLessThan(TWO_SOURCES);
    expect(listening.customer).toBeLessThan(TWO_SOURCES);

    expect(bot.h.supervision.switchMode(id, SUPERVISOR.telegramId, 'whisper')).toBe('ok');
    await waitFor(async () => (await members(`${id}-listen`)).join() === [`${id}-snoop2`, `${id}-supervisor`].join(), { timeoutMs: 5000, what: 'the whisper snoop bridged' });
    await sentGrowsIn(id.slice(0, 8), 1, 'RTP to the supervisor\'s leg while whispering');
    stats.push('whisper:', lab.cli('pjsip show channelstats'));
    // Whispering: the customer still hears only the agent. (What the agent hears cannot be probed so: Asterisk hands a
    // spy the frame before it mixes whispers in, audiohook.c; the snoop's whisper=out request is checked on the simulator.)
    const whispering = { customer: await heardBy(`${callId}-target`, `${id}-w-c`) };
    levels.push(['whisper', '', '', whispering.customer]);
    expect(whispering.customer).toBeLessThan(TWO_SOURCES);

    // Asterisk hangs up the supervisor's leg as its far end would: the call goes on.
    await bot.ari.hangup(`${id}-supervisor`);
    await waitFor(async () => (await members(`${id}-listen`)).length === 0 && (await bot.ari.getChannel(`${id}-snoop2`)) === null, { timeoutMs: 5000, what: 'the supervision gone' });
    expect(bot.engine.callState(callId)?.stage).toBe('connected');
    expect(await members(`${callId}-bridge`)).toEqual([`${callId}-agent`, `${callId}-target`]);
    await waitFor(async () => (await audited(callId)).length === 1, { what: 'the session audited' });
    expect((await audited(callId))[0]).toMatch(/^modes=listen>whisper seconds=\d+ end=supervisor_left$/);
    bot.engine.cancelCall(callId, 'system');
    await lab.expectNothingLeft();
  }, 60_000);

  it('given barge, then the supervisor is a third party of the call\'s bridge, sent audio like the others, and the call ending ends the supervision', async () => {
    const { callId } = await connectedCall();
    const id = await supervise(callId, 'barge');
    await waitFor(async () => (await members(`${callId}-bridge`)).length === 3, { timeoutMs: 5000, what: 'the supervisor in the call\'s bridge' });
    await sentGrowsIn(callId.slice(0, 8), 3, 'RTP to all three legs');
    stats.push('barge:', lab.cli('pjsip show channelstats'));
    // Barging: everybody hears the two others.
    const barging = { agent: await heardBy(`${callId}-agent`, `${id}-b-a`), customer: await heardBy(`${callId}-target`, `${id}-b-c`) };
    levels.push(['barge', '', barging.agent, barging.customer]);
    expect(barging.agent).toBeGreaterThan(TWO_SOURCES);
    expect(barging.customer).toBeGreaterThan(TWO_SOURCES);
    bot.engine.cancelCall(callId, 'system');
    await lab.expectNothingLeft();
    await waitFor(async () => (await audited(callId)).length === 1, { what: 'the session audited' });
    expect((await audited(callId))[0]).toMatch(/^modes=barge seconds=\d+ end=call_ended$/);
    expect(bot.h.supervision.supervisionOf(SUPERVISOR.telegramId)).toBeUndefined();
  }, 60_000);
});

/** The loudest half second of a WAV (Asterisk writes 8 kHz, 16-bit, mono PCM for `wav`), as RMS. */
function loudestHalfSecond(file: Buffer): number {
  let offset = 12;
  while (offset + 8 <= file.length) {
    const id = file.toString('latin1', offset, offset + 4);
    const size = file.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'data') {
      const count = Math.floor(Math.min(size, file.length - body) / 2);
      const window = 4000;
      let loudest = 0;
      for (let from = 0; from + window <= count; from += window) {
        let sum = 0;
        for (let i = from; i < from + window; i += 1) sum += file.readInt16LE(body + i * 2) ** 2;
        loudest = Math.max(loudest, Math.sqrt(sum / window));
      }
      return Math.round(loudest);
    }
    offset = body + size + (size % 2);
  }
  throw new Error('the WAV file has no data chunk');
}
