import { type Subscription, skip } from 'rxjs';
import type { AriAdapter } from '../../ari/ari-adapter';
import { silentLogger } from '../../config/logger';
import { SupervisionDesk } from '../../engine/supervision-desk';
import { SupervisionRunner } from '../../engine/supervision-runner';
import type { AriSimulator } from '../support/ari-simulator';
import { closeEngineOnSimulator, simulatedAri } from '../support/simulated-ari';
import { addAgent, type EngineHarness, startEngine } from '../support/engine-harness';
import { waitFor } from '../support/wait-for';

const SUPERVISOR = { telegramId: '3001', phone: '+15551230002', agentId: null };

/**
 * Supervision through the engine, the real ARI adapter and the ARI simulator: listen, whisper and
 * barge leave the supervisor's leg, the snoop and the bridges where they should be, mode switches
 * happen without re-dialing, and nothing is left behind whichever side ends.
 */
describe('supervising a call on the ARI simulator', () => {
  let sim: AriSimulator;
  let ari: AriAdapter;
  let h: EngineHarness;
  let runner: SupervisionRunner;
  let desk: SupervisionDesk;
  let events: Subscription;
  let callId: string;

  beforeEach(async () => {
    ({ sim, ari } = await simulatedAri({ ringMs: 30, stasisLoopMs: 0, reconnectMaxMs: 400 }));
    // As the app wires it: the engine's orphan sweep leaves the supervisions' channels and bridges.
    h = await startEngine(ari, { ARI_URL: sim.url, MONITOR_ROUTES: 'M' }, { otherChannels: { ownedChannelIds: () => runner.ownedIds() } });
    runner = new SupervisionRunner({ ari, app: h.config.ari.app, audit: h.stores.audit, logger: silentLogger() });
    events = runner.follow(ari);
    desk = new SupervisionDesk({ calls: h.engine, runner, config: h.config });
    await h.engine.start();
    await ari.start();
    await waitFor(() => ari.isConnected(), { what: 'ARI connected' });
    await addAgent(h.stores);
    const placed = await h.engine.placeCall({ agentTelegramId: '2001', targetInput: '+12025550123' });
    if (!placed.ok) throw new Error(`refused: ${placed.refusal}`);
    callId = placed.callId;
    await waitFor(() => members(`${callId}-bridge`).length === 2 && h.engine.callState(callId)?.stage === 'connected', { what: 'the call connected' });
  });

  afterEach(async () => {
    desk.stop();
    events.unsubscribe();
    runner.stopTimers();
    await runner.settled();
    await closeEngineOnSimulator(h, ari, sim);
  });

  const members = (bridgeId: string) => sim.bridges().find((b) => b.id === bridgeId)?.channels.slice().sort() ?? [];
  const channel = (id: string) => sim.channels().find((c) => c.id === id);
  const snoopOf = (supervisionId: string, n: number) => `${supervisionId}-snoop${n}`;
  /** The supervisors' legs originated (the call's own legs left out). */
  const originates = () => sim.requests().filter((r) => r.method === 'POST' && r.path === '/ari/channels')
    .map((r) => r.query['channelId'] ?? r.body?.['channelId']).filter((id) => typeof id === 'string' && id.endsWith('-supervisor'));
  const snoopRequests = () => sim.requests().filter((r) => r.method === 'POST' && /\/snoop$/.test(r.path));

  async function supervise(mode: 'listen' | 'whisper' | 'barge'): Promise<string> {
    const answer = desk.supervise(callId, SUPERVISOR, mode);
    if (!answer.ok) throw new Error(`refused: ${answer.refusal}`);
    await waitFor(() => runner.get(answer.supervisionId)?.stage === 'active', { what: 'the supervisor answered' });
    return answer.supervisionId;
  }

  async function audited(): Promise<string[]> {
    return (await h.stores.audit.latest(20)).filter((e) => e.action === 'call_supervised').map((e) => `${e.actor} ${e.subject} ${e.details}`);
  }

  it('given listen, when the supervisor answers, then a snoop on the agent\'s leg (spy both, whisper none) is bridged with them, apart from the call', async () => {
    const id = await supervise('listen');
    await waitFor(() => members(`${id}-listen`).join() === [`${id}-supervisor`, snoopOf(id, 1)].sort().join(), { what: 'supervisor and snoop bridged' });
    expect(members(`${callId}-bridge`)).toEqual([`${callId}-agent`, `${callId}-target`].sort());
    expect(snoopRequests().map((r) => [r.path, r.query['spy'], r.query['whisper']])).toEqual([[`/ari/channels/${callId}-agent/snoop`, 'both', 'none']]);
    // The call goes on when the supervisor hangs up.
    sim.farEndHangup(`${id}-supervisor`);
    await waitFor(() => !channel(snoopOf(id, 1)) && !sim.bridges().some((b) => b.id === `${id}-listen`), { what: 'snoop and supervision bridge gone' });
    expect(h.engine.callState(callId)?.stage).toBe('connected');
    await waitFor(async () => (await audited()).length === 1, { what: 'the session audited' });
    expect(await audited()).toEqual([expect.stringMatching(new RegExp(`^3001 ${callId} modes=listen seconds=\\d+ end=supervisor_left$`))]);
    h.engine.cancelCall(callId, 'system');
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'nothing left' });
  });

  it('given whisper then listen then barge, when each is asked, then the snoop is replaced and the supervisor moves into the call\'s bridge, without re-dialing', async () => {
    const id = await supervise('whisper');
    await waitFor(() => members(`${id}-listen`).includes(snoopOf(id, 1)), { what: 'whisper snoop bridged' });
    expect(desk.switchMode(id, SUPERVISOR.telegramId, 'listen')).toBe('ok');
    await waitFor(() => members(`${id}-listen`).join() === [`${id}-supervisor`, snoopOf(id, 2)].sort().join() && !channel(snoopOf(id, 1)), { what: 'listen snoop in place of the whisper one' });
    expect(desk.switchMode(id, SUPERVISOR.telegramId, 'barge')).toBe('ok');
    await waitFor(() => members(`${callId}-bridge`).length === 3 && !sim.bridges().some((b) => b.id === `${id}-listen`) && !channel(snoopOf(id, 2)), { what: 'supervisor in the call\'s bridge' });
    expect(snoopRequests().map((r) => r.query['whisper'])).toEqual(['out', 'none']);
    expect(originates()).toEqual([`${id}-supervisor`]);
    // The call ending ends the supervision.
    h.engine.cancelCall(callId, 'system');
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'nothing left' });
    await waitFor(async () => (await audited()).length === 1, { what: 'the session audited' });
    expect((await audited())[0]).toMatch(/modes=whisper>listen>barge seconds=\d+ end=call_ended$/);
  });

  it('given a supervisor listening, when they hang up while the event socket is down, then on the reconnect the supervision ends, its snoop and bridge are cleared and the call goes on', async () => {
    const id = await supervise('listen');
    await waitFor(() => members(`${id}-listen`).length === 2, { what: 'supervisor and snoop bridged' });
    let connects = 0;
    const counting = ari.connection.pipe(skip(1)).subscribe((state) => { if (state === 'connected') connects += 1; });
    sim.dropWebSockets();
    // Asterisk sends the hang-up's events to nobody: the socket is gone.
    sim.farEndHangup(`${id}-supervisor`);
    await waitFor(() => connects === 1, { what: 'ARI reconnected' });
    counting.unsubscribe();

    await waitFor(() => !channel(snoopOf(id, 1)) && !sim.bridges().some((b) => b.id === `${id}-listen`), { what: 'snoop and supervision bridge gone' });
    expect(runner.get(id)).toBeUndefined();
    await waitFor(async () => (await audited()).length === 1, { what: 'the session audited' });
    expect((await audited())[0]).toMatch(/modes=listen seconds=\d+ end=supervisor_left$/);
    expect(h.engine.callState(callId)?.stage).toBe('connected');
    h.engine.cancelCall(callId, 'system');
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'nothing left' });
  });

  it('given barge back to listen, then a new supervision bridge and snoop take the supervisor out of the call\'s bridge', async () => {
    const id = await supervise('barge');
    await waitFor(() => members(`${callId}-bridge`).length === 3, { what: 'barged in' });
    expect(desk.switchMode(id, SUPERVISOR.telegramId, 'listen')).toBe('ok');
    await waitFor(() => members(`${id}-listen`).join() === [`${id}-supervisor`, snoopOf(id, 1)].sort().join() && members(`${callId}-bridge`).length === 2, { what: 'listening again' });
    expect(desk.leave(id, SUPERVISOR.telegramId)).toBe('ok');
    await waitFor(() => !channel(`${id}-supervisor`) && !channel(snoopOf(id, 1)) && !sim.bridges().some((b) => b.id === `${id}-listen`), { what: 'supervision gone' });
    expect(h.engine.callState(callId)?.stage).toBe('connected');
    h.engine.cancelCall(callId, 'system');
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'nothing left' });
  });

  it('given a route not monitored, a second supervision or someone else\'s switch, then each is refused and nothing is dialed', async () => {
    const other = new SupervisionDesk({ calls: h.engine, runner, config: { ...h.config, monitorRoutes: ['D'] } });
    expect(other.supervise(callId, SUPERVISOR, 'listen')).toEqual({ ok: false, refusal: 'not_monitored' });
    other.stop();
    expect(desk.supervise('00000000-0000-4000-8000-000000000000', SUPERVISOR, 'listen')).toEqual({ ok: false, refusal: 'no_such_call' });
    const agent = await h.stores.agents.byTelegramId('2001');
    expect(desk.supervise(callId, { telegramId: '2001', phone: '+15551230001', agentId: agent!.id }, 'listen')).toEqual({ ok: false, refusal: 'own_call' });
    const id = await supervise('listen');
    expect(desk.supervise(callId, SUPERVISOR, 'barge')).toEqual({ ok: false, refusal: 'already_supervising' });
    expect(desk.switchMode(id, '9999', 'barge')).toBe('no_such_supervision');
    expect(originates()).toEqual([`${id}-supervisor`]);
    h.engine.cancelCall(callId, 'system');
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'nothing left' });
  });
});
