import path from 'node:path';
import { writeUlawTone } from '../../bench/ulaw-tone';
import type { SupervisionMode } from '../../call/supervision';
import { waitFor } from '../support/wait-for';
import { E2eBot } from './support/e2e-bot';
import { AsteriskLab, SIPP_DIR } from './support/lab';
import { ANN, PHONE, PlacedCall, TARGET } from './support/scenario';
import { report } from './support/report';

/** Every leg's far end talks this long (sipp's -d: load-uas.xml streams a tone on each leg, then hangs up). */
const TALK_MS = 20_000;
/** The supervisor's phone, rung over the call's route. */
const SUPERVISOR = { telegramId: '3001', phone: '+15551230002', agentId: null };
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

  beforeAll(async () => {
    const audio = path.join(process.env.E2E_RUN_DIR ?? '', 'talk.ulaw');
    writeUlawTone(audio, 1, 400);
    lab = await AsteriskLab.start('supervision', {
      provider: { scenario: path.join(SIPP_DIR, 'load-uas.xml'), files: { 'talk.ulaw': audio }, args: ['-d', String(TALK_MS)] },
    });
    bot = await E2eBot.start(lab, 'supervision');
  });

  afterAll(async () => {
    await bot?.stop();
    await lab?.stop();
    if (stats.length) report('supervision', ['RTP counters of each leg (pjsip show channelstats)', '', ...stats]);
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

    expect(bot.h.supervision.switchMode(id, SUPERVISOR.telegramId, 'whisper')).toBe('ok');
    await waitFor(async () => (await members(`${id}-listen`)).join() === [`${id}-snoop2`, `${id}-supervisor`].join(), { timeoutMs: 5000, what: 'the whisper snoop bridged' });
    await sentGrowsIn(id.slice(0, 8), 1, 'RTP to the supervisor\'s leg while whispering');
    stats.push('whisper:', lab.cli('pjsip show channelstats'));

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
    bot.engine.cancelCall(callId, 'system');
    await lab.expectNothingLeft();
    await waitFor(async () => (await audited(callId)).length === 1, { what: 'the session audited' });
    expect((await audited(callId))[0]).toMatch(/^modes=barge seconds=\d+ end=call_ended$/);
    expect(bot.h.supervision.supervisionOf(SUPERVISOR.telegramId)).toBeUndefined();
    void id;
  }, 60_000);
});
