import { CALL_BRIDGE_ID, CALL_CHANNEL_ID } from '../call/call-ids';
import { idsToRead, readBack } from '../call/read-back';
import { SUPERVISION_BRIDGE_ID, SUPERVISION_CHANNEL_ID, supervisionOfAppData } from '../call/supervision';
import type { Logger } from '../config/logger';
import type { RouteCode } from '../call/call-types';
import type { ReturnCallContext } from '../call/call-update';
import type { CallRecords, LeftLiveCall } from './call-engine-ports';
import type { RowToResume } from './resume-calls';
import type { AriPort } from '../ari/ari-port';
import type { CallRegistry } from './call-registry';
import type { CallRunner } from './call-runner';
import { readAsterisk } from './read-asterisk';
import { INBOUND_ARG } from './return-call-intake';


/** A row left live whose call never reached the point of being resumed: ended at once, its agent told. */
export interface InterruptedCall {
  callId: string;
  telegramChatId: string | null;
  statusMessageId: number | null;
  /** A customer's return call: its status message keeps saying who called back. */
  returnCall?: InterruptedReturnCall;
}

export interface InterruptedReturnCall {
  context: ReturnCallContext;
  route: RouteCode | null;
  /** The agent whose chat shows its status message (the one rung first). */
  agentId: number;
  /** Nobody had taken it: the agent who called the customer is told of a missed call back, as when nobody answers. */
  missed: boolean;
}

/** A row left live that records enough to be resumed, with where its status message was. */
export interface LeftCall extends RowToResume {
  telegramChatId: string | null;
  statusMessageId: number | null;
}

/**
 * The rows a previous process left live. Those that record who calls whom and where are resumed
 * once ARI connects (resumeLeftCalls): their calls may still be up in Asterisk, and only reading it
 * tells. The others never reached Asterisk and are ended as interrupted now, so no row stays live forever.
 */
export async function reconcileOnStartup(calls: CallRecords, logger: Logger): Promise<{ toResume: LeftCall[]; interrupted: InterruptedCall[] }> {
  const stale = await calls.liveCalls();
  const toResume: LeftCall[] = [];
  const interrupted: InterruptedCall[] = [];
  const endedAt = new Date();
  for (const call of stale) {
    const left = resumable(call);
    if (left) {
      toResume.push(left);
      continue;
    }
    await calls.recordCallTransition(call.id, {
      stage: 'ended', outcome: 'interrupted', endedBy: 'app', endedAt, detail: `interrupted at stage ${call.stage} by a restart`,
    });
    const returnCall = interruptedReturnCall(call);
    interrupted.push({ callId: call.id, telegramChatId: call.telegramChatId, statusMessageId: call.statusMessageId, ...(returnCall ? { returnCall } : {}) });
  }
  if (interrupted.length > 0) logger.warn('ended calls left live by a previous run that never reached Asterisk', { count: interrupted.length, callIds: interrupted.map((c) => c.callId) });
  if (toResume.length > 0) logger.info('calls left live by a previous run are resumed once ARI connects', { count: toResume.length, callIds: toResume.map((c) => c.id) });
  return { toResume, interrupted };
}

/** A return call's row as the bot tells of it: who called back, the earlier call, and whether anyone had taken it. */
function interruptedReturnCall(call: LeftLiveCall): InterruptedReturnCall | undefined {
  if (call.direction !== 'inbound' || call.target === null || call.callerId === null) return undefined;
  const earlier = call.returnsCall;
  const context: ReturnCallContext = {
    customerNumber: call.target, calledNumber: call.callerId,
    ...(earlier && call.returnsCallId ? {
      lastCall: { callId: call.returnsCallId, agentId: earlier.agentId, at: earlier.requestedAt.getTime(), disposition: earlier.disposition, note: earlier.note },
    } : {}),
  };
  return { context, route: call.route, agentId: call.agentId, missed: call.connectedAt === null && call.stage !== 'connected' };
}

/**
 * A return call is resumed with the customer's channel: connected, it is a call like any other;
 * still ringing an agent, it rings them on, then whoever routing finds after them
 * (engine/return-call-resume.ts). One connected to a fallback agent is not: the row's agent (and
 * endpoint) is the one rung first, so it would be resumed as someone else's; it ends as
 * interrupted, and the sweep hangs up the customer and the agent's phone.
 */
function resumable(call: LeftLiveCall): LeftCall | undefined {
  const { agent, agentPhone, target, route, agentEndpoint, stage } = call;
  const inbound = call.direction === 'inbound';
  const targetEndpoint = inbound ? '' : call.targetEndpoint;
  if (stage === 'ended' || !agent || agentPhone === null || target === null || route === null || agentEndpoint === null || targetEndpoint === null) return undefined;
  const answeredByAnother = call.onCallAgentId != null && call.onCallAgentId !== call.agentId;
  if (inbound && (call.callerId === null || !call.customerChannelId || (stage === 'connected' && answeredByAnother))) return undefined;
  const returnCall = inbound ? interruptedReturnCall(call)?.context : undefined;
  return {
    id: call.id,
    context: { callId: call.id, agentId: call.agentId, agentTelegramId: agent.telegramId, agentPhone, target, route, callerId: call.callerId, ...(returnCall ? { returnCall } : {}) },
    ...(returnCall ? { customerChannelId: call.customerChannelId, onCallAgentId: call.onCallAgentId ?? null } : {}),
    agentEndpoint, targetEndpoint, stage,
    requestedAt: call.requestedAt, agentRingingAt: call.agentRingingAt, agentAnsweredAt: call.agentAnsweredAt,
    targetRingingAt: call.targetRingingAt, connectedAt: call.connectedAt,
    recordingName: call.recordingName ?? null, recordingStartedAt: call.recordingStartedAt ?? null,
    recordingPausedMs: call.recordingPausedMs ?? null, recordingPausedAt: call.recordingPausedAt ?? null,
    telegramChatId: call.telegramChatId, statusMessageId: call.statusMessageId,
  };
}

export interface SweepResult {
  channels: string[];
  /** Inbound channels no call has taken yet, left this time (ArrivingInbound): a sweep after the grace looks again. */
  waiting: string[];
  bridges: string[];
  /** Ids whose hang-up or destroy failed this time; the next sweep tries them again. */
  failed: string[];
  /** Supervisions whose supervisor's leg was hung up here: a previous process ran them and did not record their end. */
  supervisions: Array<{ supervisionId: string; callId: string; supervisorTelegramId: string }>;
}

/**
 * A customer's call can reach the app's Stasis while a sweep lists channels, before its StasisStart
 * reaches the return-call intake: such an inbound channel is not an orphan until it has stayed
 * unclaimed for a grace (a previous process's leftover is then hung up by a sweep after it).
 */
export class ArrivingInbound {
  private readonly firstSeen = new Map<string, number>();

  constructor(readonly graceMs: number, private readonly now: () => number = Date.now) {}

  /** Of the unclaimed inbound channels listed now, those unclaimed for the whole grace; the others are remembered. */
  overdue(unclaimed: readonly string[]): string[] {
    const now = this.now();
    for (const id of [...this.firstSeen.keys()]) if (!unclaimed.includes(id)) this.firstSeen.delete(id);
    return unclaimed.filter((id) => {
      const seen = this.firstSeen.get(id);
      if (seen === undefined) this.firstSeen.set(id, now);
      return seen !== undefined && now - seen >= this.graceMs;
    });
  }
}

export interface SweepScope {
  /** The Stasis application: channels in it (appData `app,…`) are ours even under ids the app did not choose. */
  app?: string;
  /** Channels of the app that are not calls (caller-ID verification, inbound calls being decided). */
  others?: { ownedChannelIds(): ReadonlySet<string> };
  /** Without it, an unclaimed inbound channel is hung up at once. */
  arriving?: ArrivingInbound;
}

/**
 * Hangs up our channels and destroys our bridges that no live call owns, nor anything else of the
 * app that places channels (`others`), nor an inbound call that may be arriving (`arriving`).
 */
export async function sweepOrphans(ari: AriPort, registry: CallRegistry, logger: Logger, scope: SweepScope = {}): Promise<SweepResult> {
  const { app, others, arriving } = scope;
  const [channels, bridges] = await Promise.all([ari.listChannels(), ari.listBridges()]);
  // Read after the lists: a call started while they were in flight owns its ids by now.
  const owned = registry.ownedIds();
  for (const id of others?.ownedChannelIds() ?? []) owned.add(id);
  // A supervision's channels and bridge (call/supervision.ts) are ours too: a restart left them without the supervision that made them.
  const isOurs = (appData: string, id: string) => CALL_CHANNEL_ID.test(id) || SUPERVISION_CHANNEL_ID.test(id) || (app !== undefined && appData.startsWith(`${app},`));
  const unowned = channels.filter((c) => isOurs(c.appData, c.id) && !owned.has(c.id));
  const isInbound = (c: { id: string; appData: string }) => app !== undefined && (c.appData === `${app},${INBOUND_ARG}` || c.appData.startsWith(`${app},${INBOUND_ARG},`)) && !CALL_CHANNEL_ID.test(c.id);
  const inbound = unowned.filter(isInbound).map((c) => c.id);
  const overdue = arriving ? arriving.overdue(inbound) : inbound;
  const waiting = inbound.filter((id) => !overdue.includes(id));
  const orphanChannels = unowned.filter((c) => !waiting.includes(c.id)).map((c) => c.id);
  const orphanBridges = bridges.filter((b) => (CALL_BRIDGE_ID.test(b.id) || SUPERVISION_BRIDGE_ID.test(b.id)) && !owned.has(b.id)).map((b) => b.id);
  const results = await Promise.allSettled([...orphanChannels.map((id) => ari.hangup(id)), ...orphanBridges.map((id) => ari.destroyBridge(id))]);
  const ids = [...orphanChannels, ...orphanBridges];
  const failed = ids.filter((_, i) => results[i]?.status === 'rejected');
  const result: SweepResult = {
    channels: orphanChannels.filter((id) => !failed.includes(id)),
    waiting,
    bridges: orphanBridges.filter((id) => !failed.includes(id)),
    failed,
    supervisions: channels.flatMap((c) => {
      const of = c.id.endsWith('-supervisor') && orphanChannels.includes(c.id) && !failed.includes(c.id) ? supervisionOfAppData(c.appData) : undefined;
      return of ? [of] : [];
    }),
  };
  if (ids.length > 0) {
    logger.warn('cleaned up orphan channels and bridges', {
      channels: result.channels.length, bridges: result.bridges.length, failed: failed.length, ids,
    });
  }
  return result;
}

/**
 * Events sent while the WebSocket was down are lost: re-read every live call's channels and bridge
 * and feed what changed to the machine as if the events had arrived (call/read-back.ts, for a call
 * followed until the gap).
 */
export async function resyncAfterReconnect(ari: AriPort, registry: CallRegistry, runner: CallRunner, logger: Logger): Promise<void> {
  await Promise.all(registry.list().map(async (live) => {
    const ids = idsToRead(live.state);
    if (ids.channelIds.length === 0 && ids.bridgeIds.length === 0) return;
    const view = await readAsterisk(ari, ids);
    // Read against the state as it is now: events that arrived since the reconnect count.
    for (const event of readBack(live.state, view, true, Date.now())) runner.dispatch(live, event);
  }));
  logger.info('resynchronised live calls after reconnect', { calls: registry.list().length });
}
