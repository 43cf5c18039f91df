import { silentLogger } from '../../config/logger';
import { CallRegistry } from '../../engine/call-registry';
import { sweepOrphans } from '../../engine/reconcile';
import { SupervisionRunner } from '../../engine/supervision-runner';
import type { SupervisionPlan } from '../../call/supervision';
import { FakeAri } from '../support/fake-ari';
import { waitFor } from '../support/wait-for';

const SID = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const CALL = '11111111-2222-4333-8444-555555555555';

const plan = (mode: SupervisionPlan['mode']): SupervisionPlan => ({
  supervisionId: SID, callId: CALL, supervisorTelegramId: '3001', endpoint: 'PJSIP/+15551230002@trunk-main', callerId: '+15550001111',
  ringTimeoutS: 20, agentChannelId: `${CALL}-agent`, callBridgeId: `${CALL}-bridge`, mode,
});

/** The supervision runner's requests on an in-memory ARI: what it asks for, what a refusal does, what a restart leaves to the sweep. */
describe('supervisions on an in-memory ARI', () => {
  let ari: FakeAri;
  let audit: { actor: string; action: string; subject?: string | null; details?: string }[];
  let runner: SupervisionRunner;

  beforeEach(() => {
    ari = new FakeAri();
    audit = [];
    runner = new SupervisionRunner({ ari, app: 'callbot', audit: { record: async (e) => void audit.push(e) }, logger: silentLogger(), teardownRetry: { firstDelayMs: 1, maxDelayMs: 1, giveUpAfterMs: 10 } });
    ari.events.subscribe((e) => runner.handleAriEvent(e));
    // The call's agent leg exists, so a snoop on it can be made.
    ari.channels.set(`${CALL}-agent`, { id: `${CALL}-agent`, state: 'Up', appName: 'Stasis', appData: `callbot,agent,${CALL}` });
  });

  afterEach(async () => {
    runner.stopTimers();
    await runner.settled();
  });

  const answered = () => ari.emit({ type: 'StasisStart', channelId: `${SID}-supervisor`, channelState: 'Up', args: ['supervision', SID] });

  it('given listen, when the supervisor answers, then the requests go out in order: bridge, supervisor in it, snoop (spy both, whisper none)', async () => {
    runner.start(plan('listen'));
    await waitFor(() => ari.commands().includes('originate'), { what: 'the supervisor rung' });
    answered();
    await waitFor(() => ari.commands().includes('snoop'), { what: 'the snoop asked for' });
    expect(ari.commandRequests().map((r) => r.op)).toEqual(['originate', 'createBridge', 'addToBridge', 'snoop']);
    expect(ari.commandRequests()[3]!.args).toMatchObject({ channelId: `${CALL}-agent`, snoopId: `${SID}-snoop1`, spy: 'both', whisper: 'none', appArgs: `supervision,${SID},${CALL},3001` });
  });

  it('given the snoop refused (the agent\'s leg gone), then the supervision ends: supervisor hung up, its bridge destroyed, the session audited as failed', async () => {
    ari.channels.delete(`${CALL}-agent`);
    runner.start(plan('whisper'));
    answered();
    await waitFor(() => runner.get(SID) === undefined && audit.length === 1, { what: 'the supervision ended' });
    expect(ari.commands().slice(-2).sort()).toEqual(['destroyBridge', 'hangup']);
    expect(audit[0]).toMatchObject({ actor: '3001', action: 'call_supervised', subject: CALL });
    expect(audit[0]!.details).toMatch(/^modes=whisper seconds=0 end=failed \(Snoop: Channel not found\)$/);
  });

  it('given a live supervision, then the orphan sweep leaves its channels and bridge; once the process forgot it (a restart), the sweep removes them and names the supervision it cut off', async () => {
    runner.start(plan('listen'));
    await waitFor(() => ari.commands().includes('originate'), { what: 'the supervisor rung' });
    ari.channels.set(`${SID}-supervisor`, { id: `${SID}-supervisor`, state: 'Up', appName: 'Stasis', appData: `callbot,supervision,${SID},${CALL},3001` });
    answered();
    await waitFor(() => ari.commands().includes('snoop'), { what: 'the snoop asked for' });
    // The call's own leg stands for a call this process runs.
    const call = `${CALL}-agent`;
    const kept = await sweepOrphans(ari, new CallRegistry(), silentLogger(), { app: 'callbot', others: { ownedChannelIds: () => new Set([...runner.ownedIds(), call]) } });
    expect(kept).toEqual({ channels: [], waiting: [], bridges: [], failed: [], supervisions: [] });
    const swept = await sweepOrphans(ari, new CallRegistry(), silentLogger(), { app: 'callbot', others: { ownedChannelIds: () => new Set([call]) } });
    expect(swept.channels.sort()).toEqual([`${SID}-snoop1`, `${SID}-supervisor`].sort());
    expect(swept.bridges).toEqual([`${SID}-listen`]);
    expect(swept.supervisions).toEqual([{ supervisionId: SID, callId: CALL, supervisorTelegramId: '3001' }]);
  });
});
