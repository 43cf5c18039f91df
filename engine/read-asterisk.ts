import type { AriPort, BridgeSnapshot, ChannelSnapshot } from '../ari/ari-port';
import type { AsteriskView, BridgeView, ChannelView } from '../call/read-back';

/** Asks Asterisk for the given channels and bridges at once: the view call/read-back.ts reads back into events. */
export async function readAsterisk(ari: AriPort, ids: { channelIds: readonly string[]; bridgeIds: readonly string[] }): Promise<AsteriskView> {
  const [channels, bridges] = await Promise.all([
    Promise.all(ids.channelIds.map((id) => ari.getChannel(id))),
    Promise.all(ids.bridgeIds.map((id) => ari.getBridge(id))),
  ]);
  return {
    channels: Object.fromEntries(ids.channelIds.map((id, i) => [id, channelView(channels[i] ?? null)])),
    bridges: Object.fromEntries(ids.bridgeIds.map((id, i) => [id, bridgeView(bridges[i] ?? null)])),
  };
}

function channelView(channel: ChannelSnapshot | null): ChannelView | null {
  return channel ? { state: channel.state, inStasis: channel.appName === 'Stasis' } : null;
}

function bridgeView(bridge: BridgeSnapshot | null): BridgeView | null {
  return bridge ? { members: bridge.channelIds } : null;
}
