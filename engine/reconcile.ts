import { CALL_BRIDGE_ID, CALL_CHANNEL_ID } from '../call/call-ids';
import { idsToRead, readBack } from '../call/read-back';
import type { Logger } from '../config/logger';
import type { CallRecords } from './call-engine-ports';
import type { AriPort } from '../ari/ari-port';
import type { CallRegistry } from './call-registry';
import type { CallRunner } from './call-runner';
import { readAsterisk } from './read-asterisk';


/**
 * A new process owns no call: every row a previous one left live is ended as interrupted, so no
 * row stays live forever. Their channels are hung up by the orphan sweep once ARI is reachable.
 */
export interface InterruptedCall {
  callId: string;
  telegramChatId: string | null;
  statusMessageId: number | null;
}

export async function reconcileOnStartup(calls: CallRecords, logger: Logger): Promise<InterruptedCall[]> {
  const stale = await calls.liveCalls();
  const endedAt = new Date();
  for (const call of stale) {
    await calls.recordCallTransition(call.id, {
      stage: 'ended', outcome: 'interrupted', endedBy: 'app', endedAt, detail: `interrupted at stage ${call.stage} by a restart`,
    });
  }
  if (stale.length > 0) logger.warn('ended calls left live by a previous run', { count: stale.length, callIds: stale.map((c) => c.id) });
  return stale.map((c) => ({ callId: c.id, telegramChatId: c.telegramChatId, statusMessageId: c.statusMessageId }));
}

export interface SweepResult {
  channels: string[];
  bridges: string[];
  /** Ids whose hang-up or destroy failed this time; the next sweep tries them again. */
  failed: string[];
}

/**
 * Hangs up our channels and destroys our bridges that no live call owns, nor anything else of the
 * app that places channels (`others`: caller-ID verification calls).
 */
export async function sweepOrphans(
  ari: AriPort, registry: CallRegistry, logger: Logger, app?: string, others?: { ownedChannelIds(): ReadonlySet<string> },
): Promise<SweepResult> {
  const [channels, bridges] = await Promise.all([ari.listChannels(), ari.listBridges()]);
  // Read after the lists: a call started while they were in flight owns its ids by now.
  const owned = registry.ownedIds();
  for (const id of others?.ownedChannelIds() ?? []) owned.add(id);
  const isOurs = (appData: string, id: string) => CALL_CHANNEL_ID.test(id) || (app !== undefined && appData.startsWith(`${app},`));
  const orphanChannels = channels.filter((c) => isOurs(c.appData, c.id) && !owned.has(c.id)).map((c) => c.id);
  const orphanBridges = bridges.filter((b) => CALL_BRIDGE_ID.test(b.id) && !owned.has(b.id)).map((b) => b.id);
  const results = await Promise.allSettled([...orphanChannels.map((id) => ari.hangup(id)), ...orphanBridges.map((id) => ari.destroyBridge(id))]);
  const ids = [...orphanChannels, ...orphanBridges];
  const failed = ids.filter((_, i) => results[i]?.status === 'rejected');
  const result: SweepResult = {
    channels: orphanChannels.filter((id) => !failed.includes(id)),
    bridges: orphanBridges.filter((id) => !failed.includes(id)),
    failed,
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
