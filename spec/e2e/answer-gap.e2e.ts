import net from 'node:net';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { waitFor } from '../support/wait-for';
import { AmiClient } from './support/ami';
import { AppProcess } from './support/app-process';
import { E2eBot } from './support/e2e-bot';
import { AsteriskLab } from './support/lab';
import { RawAriApp } from './support/raw-ari';
import { median, ms, report, table } from './support/report';
import { ANN, PHONE, PlacedCall, TARGET, answeredWith } from './support/scenario';
import { type SipMessage, dialog, invitesIn } from './support/sip-trace';

const WARM_UP = 1;
const MEASURED = 15;
/** The product's target for callbot / dialplan; reported in the table, see the note below. */
const MAX_RATIO = 1.5;

/**
 * The answer-to-dial gap: from the provider's 200 OK on the agent leg to the target's INVITE
 * arriving at the provider, both read from sipp's message trace (one sipp, one clock). callbot as
 * deployed (`node dist/app/main.js` in its own process, driven from Telegram) against the baseline
 * with no app in the loop: an AMI Originate of the agent leg into a lab-only context that Dial()s
 * the target. Same Asterisk, same provider, same numbers, calls interleaved; the first call of each
 * kind only warms up. More rows explain the result: the same product wired inside the jest process
 * (which shares its event loop with jest, the Bot API server and the test), tapped to show where
 * its time goes in Node and in Asterisk, and two floors for any ARI app, a bare WebSocket + HTTP
 * client reacting to the same event: originating the target then, and dialing a target created
 * in the bridge beforehand (what callbot does).
 *
 * The ratio target (callbot / dialplan <= 1.5) is reported, not enforced: it measures the product,
 * and a miss is a product finding for the report. What is enforced is that callbot dials the
 * target at once: well under the ~200 ms a dial costs on 18.9 when the created channel waits
 * alone in Stasis instead of in a bridge.
 */
describe('e2e: answer-to-dial gap on a real Asterisk', () => {
  let lab: AsteriskLab;
  let bot: E2eBot;
  let ami: AmiClient;
  let raw: RawAriApp;
  let app: AppProcess;
  const node = { wsAt: 0, dialAt: 0, wireAt: 0 };
  const socketWrite = net.Socket.prototype.write;
  let restoreEmit = (): void => undefined;
  /** Wall-clock ms with microseconds, comparable with sipp's trace timestamps (same machine). */
  const wallClock = () => performance.timeOrigin + performance.now();

  beforeAll(async () => {
    lab = await AsteriskLab.start('gap');
    bot = await E2eBot.start(lab, 'gap');
    ami = await AmiClient.connect(lab.amiPort, lab.ami.username, lab.ami.secret);
    raw = await RawAriApp.connect(lab.ariUrl, lab.ari.username, lab.ari.password, 'e2e-raw');
    app = await AppProcess.start(lab, 'gap', [{ ...ANN, phone: PHONE.answers }]);
    spyOnCallbot();
  });

  afterAll(async () => {
    net.Socket.prototype.write = socketWrite;
    restoreEmit();
    try {
      raw?.close();
      await app?.stop();
      await ami?.close();
      await bot?.stop();
    } finally {
      await lab?.stop();
    }
  });

  /** The provider's 200 OK to the agent's INVITE and the target's INVITE, on sipp's (wall) clock, in ms. */
  function okAndInvite(messages: SipMessage[]): { okAt: number; inviteAt: number } {
    const agentInvite = invitesIn(messages).find((m) => m.requestUser === PHONE.answers);
    const targetInvite = invitesIn(messages).find((m) => m.requestUser === TARGET.busy);
    if (!agentInvite || !targetInvite) throw new Error('the provider did not see both INVITEs');
    const ok = dialog(messages, agentInvite.callId).find(answeredWith(200));
    if (!ok) throw new Error('the provider never answered the agent leg');
    return { okAt: ok.at, inviteAt: targetInvite.at };
  }

  /** 200 OK to the agent's INVITE → the target's INVITE, in ms, from what the provider logged. */
  function gapMs(messages: SipMessage[]): number {
    const { okAt, inviteAt } = okAndInvite(messages);
    return inviteAt - okAt;
  }

  /**
   * Read-only taps on the running app: when the agent's answer reaches Node (the raw WebSocket
   * message, before the adapter parses it), when the engine asks for the target, and when that
   * request's first bytes are written to a socket (Node writes HTTP requests on the next tick).
   */
  function spyOnCallbot(): void {
    const isAgentUp = (e: { type?: string; channel?: { id?: string; state?: string }; peer?: { id?: string }; dialstatus?: string }) =>
      ((e.type === 'ChannelStateChange' && e.channel?.state === 'Up') || (e.type === 'Dial' && e.dialstatus === 'ANSWER'))
      && /-agent$/.test(e.channel?.id ?? e.peer?.id ?? '');
    const emit = WebSocket.prototype.emit;
    WebSocket.prototype.emit = function tappedEmit(this: WebSocket, event: string | symbol, ...args: unknown[]): boolean {
      const data = args[0];
      if (event === 'message' && !node.wsAt && Buffer.isBuffer(data) && isAgentUp(JSON.parse(data.toString()))) node.wsAt = wallClock();
      return emit.call(this, event, ...args);
    };
    restoreEmit = () => { WebSocket.prototype.emit = emit; };
    const dial = bot.ari.dial.bind(bot.ari);
    bot.ari.dial = (channelId: string, timeoutS: number, callerChannelId?: string) => {
      if (!node.dialAt && channelId.endsWith('-target')) node.dialAt = wallClock();
      return dial(channelId, timeoutS, callerChannelId);
    };
    net.Socket.prototype.write = function write(this: net.Socket, chunk: unknown, ...rest: unknown[]) {
      if (!node.wireAt && node.dialAt && (typeof chunk === 'string' || Buffer.isBuffer(chunk))) {
        const head = typeof chunk === 'string' ? chunk.slice(0, 400) : chunk.toString('latin1', 0, 400);
        if (/^POST \/ari\/channels\/[^/?\s]+-target\/dial[?\s]/.test(head)) node.wireAt = wallClock();
      }
      return (socketWrite as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
    } as typeof socketWrite;
  }

  async function throughCallbot(): Promise<{ gap: number; toRequest?: number; toWire?: number; toNode?: number; fromWire?: number }> {
    Object.assign(node, { wsAt: 0, dialAt: 0, wireAt: 0 });
    const call = await PlacedCall.place(bot, lab, ANN, PHONE.answers, TARGET.busy);
    await call.status(/❌ Busy/);
    await lab.expectNothingLeft();
    expect(await call.endedRow()).toMatchObject({ outcome: 'target_busy' });
    const tapped = node.wsAt > 0 && node.dialAt > 0 && node.wireAt > 0;
    const { okAt, inviteAt } = okAndInvite(call.sip('main'));
    return {
      gap: inviteAt - okAt,
      ...(tapped ? {
        toRequest: node.dialAt - node.wsAt, toWire: node.wireAt - node.wsAt,
        toNode: node.wsAt - okAt, fromWire: inviteAt - node.wireAt,
      } : {}),
    };
  }

  /** The same call through the deployed app (its own process, see AppProcess), from Telegram. */
  async function throughApp(): Promise<number> {
    const mark = lab.main.trace.mark();
    const chatId = Number(ANN.telegramId);
    const before = app.textsTo(chatId).length;
    await app.send(chatId, ANN.name, `/call ${TARGET.busy}`);
    await waitFor(() => app.textsTo(chatId).slice(before).some((t) => /❌ Busy/.test(t)), { timeoutMs: 8000, what: 'the app process to report the busy target' });
    await lab.expectNothingLeft();
    return gapMs(lab.main.trace.since(mark));
  }

  let rawCalls = 0;
  /** The bare ARI client's call: the target originated on the answer, or created in the bridge and dialed. */
  async function throughRawAri(shape: 'call' | 'callPrecreated'): Promise<number> {
    const mark = lab.main.trace.mark();
    rawCalls += 1;
    await raw[shape]('e2e-raw', `raw-${rawCalls}`, `PJSIP/${PHONE.answers}@trunk-main`, `PJSIP/${TARGET.busy}@trunk-main`, ANN.callerId);
    await lab.expectNothingLeft();
    return gapMs(lab.main.trace.since(mark));
  }

  async function throughDialplan(): Promise<number> {
    const mark = lab.main.trace.mark();
    const response = await ami.action({
      Action: 'Originate',
      Channel: `PJSIP/${PHONE.answers}@trunk-main`,
      Context: 'e2e-compare',
      Exten: TARGET.busy,
      Priority: '1',
      CallerID: `<${ANN.callerId}>`,
      Timeout: '5000',
      Async: 'true',
    });
    expect(response.Response).toBe('Success');
    const busy = (m: SipMessage) => m.dir === 'out' && m.status === 486;
    await waitFor(() => lab.main.trace.since(mark).some(busy), { timeoutMs: 5000, what: 'the dialplan call to reach the busy target' });
    await lab.expectNothingLeft();
    return gapMs(lab.main.trace.since(mark));
  }

  it(`callbot dials the target at once on the agent's answer; its gap against a dialplan Dial() is reported (medians of ${MEASURED} calls each)`, async () => {
    const callbot: number[] = [];
    const deployed: number[] = [];
    const dialplan: number[] = [];
    const rawAri: number[] = [];
    const precreated: number[] = [];
    const toRequest: number[] = [];
    const toWire: number[] = [];
    const toNode: number[] = [];
    const fromWire: number[] = [];
    for (let round = 0; round < WARM_UP + MEASURED; round += 1) {
      const c = await throughCallbot();
      const d = await throughDialplan();
      const a = await throughApp();
      const r = await throughRawAri('call');
      const p = await throughRawAri('callPrecreated');
      if (round < WARM_UP) continue;
      callbot.push(c.gap);
      deployed.push(a);
      dialplan.push(d);
      rawAri.push(r);
      precreated.push(p);
      if (c.toRequest !== undefined) toRequest.push(c.toRequest);
      if (c.toWire !== undefined) toWire.push(c.toWire);
      if (c.toNode !== undefined) toNode.push(c.toNode);
      if (c.fromWire !== undefined) fromWire.push(c.fromWire);
    }
    const ratio = median(deployed) / median(dialplan);
    const inJestRatio = median(callbot) / median(dialplan);
    const rawRatio = median(rawAri) / median(dialplan);
    const version = lab.cli('core show version').split('\n').find((l) => l.startsWith('Asterisk')) ?? 'Asterisk';
    const row = (name: string, values: number[]) =>
      [name, ms(median(values)), ms(Math.min(...values)), ms(Math.max(...values)), values.map((v) => v.toFixed(1)).join(' ')];
    report('answer-gap', [
      'Answer-to-dial gap: provider\'s 200 OK on the agent leg -> target INVITE at the provider (sipp message trace)',
      `${version.replace(/ built by .*/, '')}; ${MEASURED} calls each after ${WARM_UP} warm-up, interleaved; target answers 486`,
      '',
      table(
        ['how the target leg is started', 'median', 'min', 'max', 'each call (ms)'],
        [
          row('dialplan Dial() after AMI Originate', dialplan),
          row('callbot as deployed: node dist/app/main.js', deployed),
          [`ratio callbot / dialplan (target <= ${MAX_RATIO})`, ratio.toFixed(2), '', '', ratio <= MAX_RATIO ? 'within target' : 'OVER TARGET'],
          row('callbot inside the jest process (tapped)', callbot),
          ['ratio callbot in jest / dialplan', inJestRatio.toFixed(2), '', '', ''],
          row('bare ARI client: target created in the bridge, dialed', precreated),
          ['ratio bare ARI, dialed / dialplan', (median(precreated) / median(dialplan)).toFixed(2), '', '', ''],
          row('bare ARI client: target originated on the answer', rawAri),
          ['ratio bare ARI, originated / dialplan', rawRatio.toFixed(2), '', '', ''],
          ...(toWire.length ? [
            row('callbot in Node: answer event in -> dial asked', toRequest),
            row('callbot in Node: answer event in -> dial sent', toWire),
            row('Asterisk: 200 OK at provider -> answer event in Node', toNode),
            row('Asterisk: dial sent -> target INVITE at provider', fromWire),
          ] : []),
        ],
      ),
    ]);
    for (const gap of [...callbot, ...deployed, ...dialplan, ...rawAri]) expect(gap).toBeGreaterThan(0);
    // Dialed at once: nowhere near the ~200 ms of a created channel waiting alone in Stasis.
    expect(median(callbot)).toBeLessThan(20);
    expect(median(deployed)).toBeLessThan(20);
  });
});
