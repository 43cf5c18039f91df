import fs from 'node:fs';
import path from 'node:path';
import { writeUlawTone } from '../../bench/ulaw-tone';
import type { SupervisionMode } from '../../call/supervision';
import { waitFor } from '../support/wait-for';
import { toneAmplitude, wavSamples } from './support/channel-ear';
import { E2eBot } from './support/e2e-bot';
import { AsteriskLab, PROVIDERS, SIPP_DIR } from './support/lab';
import { RtpPhone } from './support/rtp-phone';
import { ANN, PHONE, PlacedCall, TARGET } from './support/scenario';
import { report, table } from './support/report';

/** The customer talks this long (sipp's -d), then hangs up. */
const TALK_MS = 20_000;
/** The supervisor's phone, rung over the call's route (supervision-uas.xml knows its number). */
const SUPERVISOR = { telegramId: '3001', phone: '+15551230002', agentId: null };
/** Each party's own tone, so what a leg is sent says by frequency whom it hears. */
const HZ = { customer: 400, agent: 600, supervisor: 1000 } as const;
/** Where supervision-uas.xml puts the agent's audio: the spec's RTP phone. */
const AGENT_MEDIA = { address: PROVIDERS.main, port: 16500 } as const;
/** A tone written at amplitude 8000 reads about that much when heard; an absent one reads near 0. */
const HEARD = 2000;
/** Half a second of RTP at 50 packets a second. */
const HALF_A_SECOND = 25;

type Party = keyof typeof HZ;
type Heard = Record<Party, number>;

/** How loud each party's tone is in some audio. */
function tones(samples: Int16Array): Heard {
  return { customer: Math.round(toneAmplitude(samples, HZ.customer)), agent: Math.round(toneAmplitude(samples, HZ.agent)), supervisor: Math.round(toneAmplitude(samples, HZ.supervisor)) };
}

/** Which parties' tones some audio holds. */
function whom(heard: Heard): Party[] {
  return (Object.keys(heard) as Party[]).filter((party) => heard[party] > HEARD);
}

/**
 * Supervision on a real Asterisk: a call placed from Telegram, then supervised through the bot's
 * supervision desk (as /live's buttons do), each party's far end streaming a tone of its own
 * (supervision-uas.xml; the agent's phone is the spec's RtpPhone, which keeps the RTP the agent's leg
 * is actually sent). Asterisk's own RTP counters (`pjsip show channelstats`) say which leg is sent
 * audio and in which bridge each leg is; ARI says who is in which bridge; and Asterisk holds nothing afterwards.
 */
describe('e2e: supervisors listen, whisper and barge on a real Asterisk', () => {
  let lab: AsteriskLab;
  let bot: E2eBot;
  let agentPhone: RtpPhone;
  const stats: string[] = [];
  /** How loud each party's tone is in what each leg is sent, per mode. */
  const levels: string[][] = [];

  beforeAll(async () => {
    const runDir = process.env.E2E_RUN_DIR ?? '';
    const ulaw = (party: Party): string => {
      const file = path.join(runDir, `${party}.ulaw`);
      writeUlawTone(file, 1, HZ[party]);
      return file;
    };
    const files = { 'talk.ulaw': ulaw('customer'), 'supervisor.ulaw': ulaw('supervisor') };
    agentPhone = await RtpPhone.open(AGENT_MEDIA.address, AGENT_MEDIA.port, fs.readFileSync(ulaw('agent')));
    lab = await AsteriskLab.start('supervision', {
      provider: { scenario: path.join(SIPP_DIR, 'supervision-uas.xml'), files, args: ['-d', String(TALK_MS)] },
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
    await agentPhone?.close();
    if (stats.length) {
      report('supervision', [
        `Each party's tone (customer ${HZ.customer} Hz, agent ${HZ.agent} Hz, supervisor ${HZ.supervisor} Hz) in what each leg is sent, as its amplitude (written at 8000; heard above ${HEARD}).`,
        'The agent: the RTP its phone received. The customer and the supervisor: a spy=out snoop on their leg, recorded.', '',
        table(['mode', 'leg', 'customer tone', 'agent tone', 'supervisor tone'], levels), '', 'RTP counters of each leg (pjsip show channelstats)', '', ...stats,
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
   * What Asterisk sends a leg over about a second, by a probe snoop on it hearing only that direction
   * (spy=out), recorded in a bridge of its own. Asterisk hands a spy the frame before it mixes a
   * whisper in (audiohook.c), so this serves for the legs no snoop whispers to; the agent's is heard
   * by its phone instead (agentHears).
   */
  async function heardBy(channelId: string, label: string): Promise<Heard> {
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
    return tones(wavSamples(file));
  }

  /** What the agent's leg is actually sent over a second: the RTP its phone received. */
  async function agentHears(): Promise<Heard> {
    return tones(await agentPhone.hear(1));
  }

  function level(mode: string, leg: Party, heard: Heard): void {
    levels.push([mode, leg, String(heard.customer), String(heard.agent), String(heard.supervisor)]);
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

  it('given listen then whisper, then the supervisor hears both parties from a bridge of its own with the snoop, listening neither party hears the supervisor, whispering only the agent\'s phone is sent the supervisor, and the supervisor hanging up leaves the call going', async () => {
    const { callId } = await connectedCall();
    const id = await supervise(callId, 'listen');
    await waitFor(async () => (await members(`${id}-listen`)).join() === [`${id}-snoop1`, `${id}-supervisor`].join(), { timeoutMs: 5000, what: 'supervisor and snoop bridged' });
    expect(await members(`${callId}-bridge`)).toEqual([`${callId}-agent`, `${callId}-target`]);
    // The supervisor's leg is in the supervision's bridge and is sent audio (the snoop's: both parties); the parties are in theirs, sent each other's.
    await sentGrowsIn(id.slice(0, 8), 1, 'RTP to the supervisor\'s leg');
    await sentGrowsIn(callId.slice(0, 8), 2, 'RTP to the agent\'s and the customer\'s legs');
    stats.push('listen:', lab.cli('pjsip show channelstats'));
    // Listening: the supervisor hears both parties; each party hears the other, not the supervisor.
    const listening = { supervisor: await heardBy(`${id}-supervisor`, `${id}-l-s`), agent: await agentHears(), customer: await heardBy(`${callId}-target`, `${id}-l-c`) };
    for (const leg of ['supervisor', 'agent', 'customer'] as const) level('listen', leg, listening[leg]);
    expect(whom(listening.supervisor)).toEqual(['customer', 'agent']);
    expect(whom(listening.agent)).toEqual(['customer']);
    expect(whom(listening.customer)).toEqual(['agent']);

    expect(bot.h.supervision.switchMode(id, SUPERVISOR.telegramId, 'whisper')).toBe('ok');
    await waitFor(async () => (await members(`${id}-listen`)).join() === [`${id}-snoop2`, `${id}-supervisor`].join(), { timeoutMs: 5000, what: 'the whisper snoop bridged' });
    await sentGrowsIn(id.slice(0, 8), 1, 'RTP to the supervisor\'s leg while whispering');
    stats.push('whisper:', lab.cli('pjsip show channelstats'));
    // Whispering: the agent's phone is sent the supervisor beside the customer; the customer still hears only the agent.
    const whispering = { agent: await agentHears(), customer: await heardBy(`${callId}-target`, `${id}-w-c`) };
    for (const leg of ['agent', 'customer'] as const) level('whisper', leg, whispering[leg]);
    expect(whom(whispering.agent)).toEqual(['customer', 'supervisor']);
    expect(whom(whispering.customer)).toEqual(['agent']);

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

  it('given barge, then the supervisor is a third party of the call\'s bridge, everybody hears the two others, and the call ending ends the supervision', async () => {
    const { callId } = await connectedCall();
    const id = await supervise(callId, 'barge');
    await waitFor(async () => (await members(`${callId}-bridge`)).length === 3, { timeoutMs: 5000, what: 'the supervisor in the call\'s bridge' });
    await sentGrowsIn(callId.slice(0, 8), 3, 'RTP to all three legs');
    stats.push('barge:', lab.cli('pjsip show channelstats'));
    // Barging: everybody hears the two others.
    const barging = { supervisor: await heardBy(`${id}-supervisor`, `${id}-b-s`), agent: await agentHears(), customer: await heardBy(`${callId}-target`, `${id}-b-c`) };
    for (const leg of ['supervisor', 'agent', 'customer'] as const) level('barge', leg, barging[leg]);
    expect(whom(barging.supervisor)).toEqual(['customer', 'agent']);
    expect(whom(barging.agent)).toEqual(['customer', 'supervisor']);
    expect(whom(barging.customer)).toEqual(['agent', 'supervisor']);
    bot.engine.cancelCall(callId, 'system');
    await lab.expectNothingLeft();
    await waitFor(async () => (await audited(callId)).length === 1, { what: 'the session audited' });
    expect((await audited(callId))[0]).toMatch(/^modes=barge seconds=\d+ end=call_ended$/);
    expect(bot.h.supervision.supervisionOf(SUPERVISOR.telegramId)).toBeUndefined();
  }, 60_000);
});
