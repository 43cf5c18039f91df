import { silentLogger } from '../../config/logger';
import { AriAdapter } from '../../ari/ari-adapter';
import { AriSimulator } from './ari-simulator';
import type { EngineHarness } from './engine-harness';

export const SIM_CREDENTIALS = { username: 'callbot', password: 'test-password' } as const;

/** The ARI simulator and the real adapter pointed at it, reconnecting quickly enough for a spec. */
export async function simulatedAri(options: { ringMs: number; stasisLoopMs?: number; reconnectMaxMs?: number }): Promise<{ sim: AriSimulator; ari: AriAdapter }> {
  const sim = await AriSimulator.start({ ...SIM_CREDENTIALS, ringMs: options.ringMs, stasisLoopMs: options.stasisLoopMs ?? 0 });
  const ari = new AriAdapter({
    url: sim.url, ...SIM_CREDENTIALS, app: 'callbot', logger: silentLogger(),
    requestTimeoutMs: 1000, reconnectMinMs: 50, reconnectMaxMs: options.reconnectMaxMs ?? 200, keepaliveMs: 500,
  });
  return { sim, ari };
}

/** A spec's end on the simulator: the calls still live cancelled and settled, then the engine, the adapter and the simulator closed. */
export async function closeEngineOnSimulator(h: EngineHarness, ari: AriAdapter, sim: AriSimulator): Promise<void> {
  for (const call of h.engine.liveCalls()) h.engine.cancelCall(call.context.callId, 'system');
  await h.engine.settled();
  await h.close();
  await ari.close();
  await sim.stop();
}
