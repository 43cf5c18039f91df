import type { AriAdapter } from '../../ari/ari-adapter';
import type { AriSimulator } from '../support/ari-simulator';
import { simulatedAri } from '../support/simulated-ari';
import { addAgent, type EngineHarness, startEngine } from '../support/engine-harness';
import { waitFor } from '../support/wait-for';

const RETURN_CALLS = { windowDays: 30, ringTimeoutS: 20, missedMessage: 'sound:vm-nobodyavail', missedMessageTimeoutS: 15 };
const POOL_NUMBER = '+15550001111';
const CUSTOMER = '+12025550123';

/**
 * The orphan sweep hangs up what no call owns. A customer's call can be in the app's Stasis before
 * its StasisStart has reached the app (a loaded process, a slow socket): the sweep must not take it
 * for a leftover, yet one that never reaches the app is still cleaned up.
 */
describe('the orphan sweep and a customer\'s call still arriving, on the ARI simulator', () => {
  let sim: AriSimulator;
  let ari: AriAdapter;
  let h: EngineHarness;

  /** Sweeps every second; an unclaimed inbound channel is left for `graceMs`. */
  async function start(graceMs?: number): Promise<void> {
    ({ sim, ari } = await simulatedAri({ ringMs: 30 }));
    h = await startEngine(ari, { ARI_URL: sim.url, ORPHAN_SWEEP_INTERVAL_S: '1' }, {
      returnCalls: RETURN_CALLS, ...(graceMs !== undefined ? { inboundGraceMs: graceMs } : {}),
    });
    await h.engine.start();
    await ari.start();
    await waitFor(() => ari.isConnected(), { what: 'ARI connected' });
    // Ann called the customer from the pool number an hour ago: the customer's call back is hers.
    await addAgent(h.stores);
    await h.stores.callerIds.add(POOL_NUMBER, 'M', '1000');
    const ann = (await h.stores.agents.byTelegramId('2001'))!.id;
    const at = new Date(Date.now() - 3600_000);
    await h.stores.calls.recordCallRequest({
      id: '11111111-1111-4111-8111-111111111111', agentId: ann, targetInput: CUSTOMER, target: CUSTOMER, callerId: POOL_NUMBER, route: 'M',
      stage: 'ended', outcome: 'completed', requestedAt: at, endedAt: at,
    });
  }

  afterEach(async () => {
    sim.releaseEvents();
    await h.engine.settled();
    await h.close();
    await ari.close();
    await sim.stop();
  });

  const customerCalls = () => sim.callIn({ channelId: 'in-1', endpoint: 'PJSIP/trunk-main', app: 'callbot', calledNumber: POOL_NUMBER.slice(1), callerNumber: CUSTOMER });
  const inAsterisk = (id: string) => sim.channels().some((c) => c.id === id);
  const agentInvites = () => sim.invites().filter((i) => i.endpoint.includes('+15551230001'));

  it('given the customer\'s call is in Stasis but its StasisStart not yet read, when sweeps list it, then it is left, and once the event is read Ann is rung and joined to the customer', async () => {
    await start();
    sim.holdEvents();
    customerCalls();
    // Two sweeps ended after the call came in: the second listed channels with it there.
    const before = h.engine.sweepCounts().sweeps;
    await waitFor(() => h.engine.sweepCounts().sweeps >= before + 2, { what: 'two sweeps', timeoutMs: 5000 });
    expect(inAsterisk('in-1')).toBe(true);
    expect(h.engine.sweepCounts().channels).toBe(0);

    sim.releaseEvents();
    const joined = () => h.engine.liveCalls().some((c) => c.stage === 'connected'
      && sim.bridges().find((b) => b.id === `${c.context.callId}-bridge`)?.channels.slice().sort().join() === [`${c.context.callId}-agent`, 'in-1'].sort().join());
    await waitFor(joined, { what: 'Ann answered and joined to the customer' });
    expect(agentInvites()).toHaveLength(1);
  });

  it('given a customer\'s call whose StasisStart never reaches the app, then a sweep after the grace hangs it up, and the late event rings nobody', async () => {
    await start(300);
    sim.holdEvents();
    customerCalls();
    await waitFor(() => !inAsterisk('in-1') && h.engine.sweepCounts().channels === 1, { what: 'the unclaimed inbound channel hung up by a sweep', timeoutMs: 5000 });
    expect(sim.requests().filter((r) => r.method === 'DELETE' && r.path.startsWith('/ari/channels/')).map((r) => r.path)).toEqual(['/ari/channels/in-1']);

    // Its StasisStart read at last, after its hang-up: the intake finds the channel gone.
    sim.releaseEvents();
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'nothing left in Asterisk' });
    await h.engine.settled();
    await waitFor(async () => (await h.stores.calls.liveCalls()).length === 0, { what: 'no live call row' });
    expect(agentInvites()).toEqual([]);
  });
});
