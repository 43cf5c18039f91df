/**
 * The ARI simulator in its own process, for the engine benchmark: the app's process then holds
 * only the app, so its RSS and event-loop figures are its own, and the simulator gets its own CPU.
 *
 * Every mark (event sent, request arrived) is taken here on this process's clock, as
 * performance.timeOrigin + performance.now(), and both ends of every measured interval are taken
 * here, so no cross-process clock comparison enters the latency figures.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';

import { AriSimulator, dialledNumber, type FarEndScript, type RecordedRequest, type SentEvent } from '../spec/support/ari-simulator';
import { AGENT_PHONE_PREFIX, type LegBehaviour, type MarkPairs, type SimCommand, type SimMarks, type SimMessage, type SimRequest, type SimResult } from './sim-protocol';

const USERNAME = 'callbot';
const PASSWORD = 'bench-secret';

type Leg = 'agent' | 'target';

/** A leg's first answer signal (ChannelStateChange Up or Dial ANSWER), by call id. */
function answered(w: MarkWindow, channelId: string, t: number): void {
  const agentCall = withoutSuffix(channelId, '-agent');
  if (agentCall !== undefined) first(w.agentAnswer, agentCall, t);
  const targetCall = withoutSuffix(channelId, '-target');
  if (targetCall !== undefined) first(w.targetAnswer, targetCall, t);
}

/** The target's first progress after its dial arrived: what ends the call's hold for the dial early. */
function progressed(w: MarkWindow, channelId: string, t: number): void {
  const call = withoutSuffix(channelId, '-target');
  if (call !== undefined && w.targetDial.has(call)) first(w.targetProgress, call, t);
}

const epochNow = (): number => performance.timeOrigin + performance.now();

class MarkWindow {
  readonly agentAnswer = new Map<string, number>();
  readonly targetAnswer = new Map<string, number>();
  readonly stasisStart = new Map<string, number>();
  readonly channelDestroyed = new Map<string, number>();
  readonly targetDial = new Map<string, number>();
  readonly targetProgress = new Map<string, number>();
  readonly addChannel = new Map<string, number>();
  readonly stopPlayback = new Map<string, number>();
  readonly deleteChannel = new Map<string, number>();
  lateAnswers = 0;
  eventsSent = 0;
  requestsReceived = 0;
  private readonly cpuStart = process.cpuUsage();
  private readonly wallStart = performance.now();

  constructor(private readonly loop: ReturnType<typeof monitorEventLoopDelay>) {
    loop.reset();
  }

  close(): SimMarks {
    const cpu = process.cpuUsage(this.cpuStart);
    const pairs = (m: Map<string, number>): MarkPairs => [...m.entries()];
    return {
      agentAnswer: pairs(this.agentAnswer),
      targetAnswer: pairs(this.targetAnswer),
      stasisStart: pairs(this.stasisStart),
      channelDestroyed: pairs(this.channelDestroyed),
      targetDial: pairs(this.targetDial),
      targetProgress: pairs(this.targetProgress),
      addChannel: pairs(this.addChannel),
      stopPlayback: pairs(this.stopPlayback),
      deleteChannel: pairs(this.deleteChannel),
      lateAnswers: this.lateAnswers,
      eventsSent: this.eventsSent,
      requestsReceived: this.requestsReceived,
      sim: {
        cpuMs: (cpu.user + cpu.system) / 1000,
        wallMs: performance.now() - this.wallStart,
        loopDelayP99Ms: this.loop.count > 0 ? this.loop.percentile(99) / 1e6 : 0,
        loopDelayMaxMs: this.loop.count > 0 ? this.loop.max / 1e6 : 0,
      },
    };
  }
}

function first(map: Map<string, number>, id: string, t: number): void {
  if (!map.has(id)) map.set(id, performance.timeOrigin + t);
}

function withoutSuffix(id: string, suffix: string): string | undefined {
  return id.endsWith(suffix) ? id.slice(0, -suffix.length) : undefined;
}

async function main(): Promise<void> {
  const sim = await AriSimulator.start({ username: USERNAME, password: PASSWORD, ringMs: 10, stasisLoopMs: 0, keepLogs: false });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let marks = new MarkWindow(loop);
  let behaviour: Record<Leg, LegBehaviour> = { agent: { kind: 'answer', ringMs: 10 }, target: { kind: 'answer', ringMs: 10 } };
  const invites: Record<Leg, number> = { agent: 0, target: 0 };
  const hangupTimers = new Set<NodeJS.Timeout>();

  const script = (leg: Leg): FarEndScript => {
    const b = behaviour[leg];
    const k = invites[leg]++;
    switch (b.kind) {
      case 'answer':
        return { kind: 'answer', ringMs: b.ringMs, ...(b.hangupAfterMs !== undefined ? { hangupAfterMs: b.hangupAfterMs } : {}) };
      case 'answer-at': {
        const due = b.startEpochMs + k * b.stepMs - epochNow();
        if (due < 0) marks.lateAnswers += 1;
        return { kind: 'answer', ringMs: Math.max(0, Math.round(due)), ...(b.hangupAfterMs !== undefined ? { hangupAfterMs: b.hangupAfterMs } : {}) };
      }
      case 'ring-forever':
        return { kind: 'ring-forever' };
    }
  };
  sim.setFarEnd((endpoint) => script(dialledNumber(endpoint).startsWith(AGENT_PHONE_PREFIX) ? 'agent' : 'target'));

  sim.onEvent((sent: SentEvent) => {
    const w = marks;
    w.eventsSent += 1;
    const e = sent.event;
    switch (e.type) {
      case 'ChannelStateChange':
        if (e.channel.state === 'Up') answered(w, e.channel.id, sent.t);
        if (['Up', 'Ringing', 'Ring'].includes(e.channel.state)) progressed(w, e.channel.id, sent.t);
        return;
      case 'Dial':
        if (e.dialstatus === 'ANSWER') answered(w, e.peer.id, sent.t);
        if (['ANSWER', 'RINGING', 'PROGRESS'].includes(e.dialstatus)) progressed(w, e.peer.id, sent.t);
        return;
      case 'StasisStart':
        first(w.stasisStart, e.channel.id, sent.t);
        return;
      case 'ChannelDestroyed':
        first(w.channelDestroyed, e.channel.id, sent.t);
        progressed(w, e.channel.id, sent.t);
        return;
      default:
        return;
    }
  });

  sim.onRequest((r: RecordedRequest) => {
    const w = marks;
    w.requestsReceived += 1;
    const parts = r.path.split('/').map((s) => decodeURIComponent(s)); // ['', 'ari', resource, id?, action?]
    const [, , resource, id, action] = parts;
    if (r.method === 'POST' && resource === 'channels' && id !== undefined && action === 'dial') {
      const call = withoutSuffix(id, '-target');
      if (call !== undefined) first(w.targetDial, call, r.t);
    } else if (r.method === 'POST' && resource === 'bridges' && action === 'addChannel') {
      for (const channelId of (r.query['channel'] ?? '').split(',')) if (channelId !== '') first(w.addChannel, channelId, r.t);
    } else if (r.method === 'DELETE' && resource === 'playbacks' && id !== undefined) {
      const call = withoutSuffix(id, '-ringback');
      if (call !== undefined) first(w.stopPlayback, call, r.t);
    } else if (r.method === 'DELETE' && resource === 'channels' && id !== undefined && action === undefined) {
      first(w.deleteChannel, id, r.t);
    }
  });

  const run = async (command: SimCommand): Promise<SimResult> => {
    switch (command.kind) {
      case 'far-end':
        behaviour = { agent: command.agent, target: command.target };
        invites.agent = 0;
        invites.target = 0;
        return { kind: 'ok' };
      case 'hangup': {
        const n = command.channelIds.length;
        command.channelIds.forEach((channelId, i) => {
          const bye = (): void => {
            try {
              sim.farEndHangup(channelId);
            } catch {
              // The app ended the call already: a gone channel has no far end left.
            }
          };
          const delay = n > 1 ? (i * command.spreadMs) / n : 0;
          if (delay === 0) {
            bye();
            return;
          }
          const timer = setTimeout(() => {
            hangupTimers.delete(timer);
            bye();
          }, delay);
          hangupTimers.add(timer);
        });
        return { kind: 'ok' };
      }
      case 'marks': {
        const closed = marks.close();
        sim.clearLogs();
        marks = new MarkWindow(loop);
        return { kind: 'marks', marks: closed };
      }
      case 'channel-count':
        return { kind: 'channel-count', count: sim.channels().length };
      case 'reset':
        sim.reset();
        return { kind: 'ok' };
      case 'stop':
        for (const timer of hangupTimers) clearTimeout(timer);
        loop.disable();
        await sim.stop();
        return { kind: 'ok' };
    }
  };

  const send = (message: SimMessage): void => {
    process.send?.(message);
  };
  process.on('message', (raw: SimRequest) => {
    run(raw.command).then(
      (result) => {
        send({ kind: 'reply', id: raw.id, result });
        if (raw.command.kind === 'stop') process.disconnect();
      },
      (err: unknown) => send({ kind: 'error', id: raw.id, message: err instanceof Error ? err.message : String(err) }),
    );
  });
  // Never outlive the benchmark.
  process.on('disconnect', () => {
    void sim.stop().finally(() => process.exit(0));
  });
  send({ kind: 'ready', url: sim.url, username: USERNAME, password: PASSWORD });
}

main().catch((err: unknown) => {
  console.error('ARI simulator process failed:', err);
  process.exit(1);
});
