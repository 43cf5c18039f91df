import type { InlineKeyboardMarkup } from 'node-telegram-bot-api/types';
import type { DataSource } from 'typeorm';
import { AriAdapter } from '../../ari/ari-adapter';
import { loadConfig } from '../../config/config';
import { silentLogger } from '../../config/logger';
import { SupervisorRoster } from '../../agents/supervisor-roster';
import { CALLS_CHANNEL, ClusterCallStore } from '../../cluster/cluster-call-store';
import { ClusterDesk } from '../../cluster/cluster-desk';
import { ClusterSupervisions } from '../../cluster/cluster-supervisions';
import { LeaseStore } from '../../cluster/lease-store';
import { PgNotifications } from '../../cluster/pg-notifications';
import { type OwnedAri, ServerOwner } from '../../cluster/server-owner';
import { SupervisionRequests } from '../../cluster/supervision-requests';
import { openDatabase } from '../../store/data-source';
import { createStores, type Stores } from '../../store';
import { supervisorMessages } from '../../telegram/commands/supervision';
import { CLUSTER_SUPERVISION, SUPERVISION } from '../../telegram/texts';
import type { AriSimulator } from '../support/ari-simulator';
import { OPEN_RULES_ENV } from '../support/bot-harness';
import { seedVerifiedCallerIds } from '../support/caller-id-pool';
import { FakeAri } from '../support/fake-ari';
import { KillableClock } from '../support/killable-clock';
import { SIM_CREDENTIALS, simulatedAri } from '../support/simulated-ari';
import { closeDatabase, freshDatabaseUrl, testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

jest.setTimeout(60_000);

const onPostgres = testDatabaseKind() === 'postgres' ? describe : describe.skip;
/** Real milliseconds for the database's expiry of a lease: how soon A may take the server once B is killed. */
const TTL_MS = 1500;
const CUSTOMER = '+12025550123';
const SUE = { telegramId: '3001', phone: '+15551230002' };
const SUE_CHAT = '3001';

/** The supervisor's messages as Telegram would hold them: each one's texts in order and its last buttons. */
class SupervisorChat {
  readonly messages: { chatId: string; id: number; texts: string[]; buttons: string[] }[] = [];

  readonly out = {
    send: (chatId: number | string, text: string): Promise<number | undefined> => {
      const id = this.messages.length + 1;
      this.messages.push({ chatId: String(chatId), id, texts: [text], buttons: [] });
      return Promise.resolve(id);
    },
    edit: (chatId: number | string, messageId: number, text: string, markup?: InlineKeyboardMarkup): Promise<boolean> => {
      const message = this.messages.find((m) => m.chatId === String(chatId) && m.id === messageId);
      if (!message) return Promise.resolve(false);
      message.texts.push(text);
      message.buttons = (markup?.inline_keyboard ?? []).flat().map((b) => b.text);
      return Promise.resolve(true);
    },
  };

  last(): { texts: string[]; buttons: string[] } | undefined {
    return this.messages.at(-1);
  }
}

/**
 * Supervision in cluster mode, on PostgreSQL, with two instances in this process: B owns the
 * Asterisk server the call runs on (the ARI simulator), A owns another server (a fake ARI) and is
 * where the supervisor's taps land. The request reaches B through its row and PostgreSQL's
 * NOTIFY; B snoops the agent's channel and rings the supervisor on the call's server. When B dies
 * (its event socket cut, its lease left to lapse), A takes the server over and ends the supervision.
 */
onPostgres('cluster: a supervisor on one instance supervises a call another instance runs', () => {
  let dataSource: DataSource;
  let stores: Stores;
  let sim: AriSimulator;
  let otherServer: FakeAri & OwnedAri;
  let config: ReturnType<typeof loadConfig>;
  let notifications: PgNotifications;
  let bAri: AriAdapter;
  let b: ServerOwner;
  let aOther: ServerOwner;
  let aTakesOver: ServerOwner | undefined;
  /** B's lease clock: it renews B's lease until the spec kills B. */
  let bClock: KillableClock;
  let desk: ClusterDesk;
  /** Instance A's side of supervision: where /live and the taps are answered. */
  let supervisionsOnA: ClusterSupervisions;
  let chat: SupervisorChat;

  const server = () => ({ id: 'a1', url: sim.url, ...SIM_CREDENTIALS, routes: ['M' as const, 'D' as const], weight: 1 });
  const adapter = (mayConnect: () => boolean): AriAdapter & OwnedAri => new AriAdapter({
    url: sim.url, ...SIM_CREDENTIALS, app: config.ari.app, logger: silentLogger(),
    requestTimeoutMs: 1000, reconnectMinMs: 50, reconnectMaxMs: 200, keepaliveMs: 500, mayConnect,
  });
  const ownerOf = (instanceId: string, serverConfig: ReturnType<typeof server>, ari: (mayConnect: () => boolean) => OwnedAri, clock?: KillableClock) => new ServerOwner({
    server: serverConfig, config, instanceId, leaseTtlMs: TTL_MS, serverDownAfterS: 60, handBackAfterS: 60, stayAwayS: 60,
    leases: new LeaseStore(dataSource), clusterCalls: new ClusterCallStore(dataSource), parties: stores.legs,
    agents: stores.agents, audit: stores.audit, logger: silentLogger(), wakeUps: notifications.payloads,
    follow: () => undefined, connectAri: (_server, mayConnect) => ari(mayConnect),
    supervisions: {
      requests: new SupervisionRequests(dataSource),
      roster: new SupervisorRoster({ supervisors: stores.supervisors, agents: stores.agents, audit: stores.audit, config }),
      messages: supervisorMessages(chat.out),
    },
    // The lease's clock only: killing B stops its renewals, so its lease lapses in the database.
    ...(clock ? { clock } : {}),
  });

  beforeEach(async () => {
    ({ sim } = await simulatedAri({ ringMs: 30 }));
    config = loadConfig({
      TELEGRAM_BOT_TOKEN: '1:test', SUPER_ADMIN_IDS: '1', ARI_URL: sim.url, ARI_USERNAME: SIM_CREDENTIALS.username, ARI_PASSWORD: SIM_CREDENTIALS.password,
      MONITOR_ROUTES: 'M', ...OPEN_RULES_ENV,
    });
    const databaseUrl = await freshDatabaseUrl();
    ({ dataSource } = await openDatabase(databaseUrl));
    stores = createStores(dataSource);
    await stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: '+15550001111', by: '1', displayName: 'Ann' });
    await stores.agents.setRoute('2001', 'M');
    await seedVerifiedCallerIds(stores, ['+15550001111'], ['M']);
    await stores.supervisors.put(SUE.telegramId, SUE.phone, '1');
    notifications = new PgNotifications(databaseUrl, CALLS_CHANNEL, silentLogger());
    await notifications.start();
    chat = new SupervisorChat();
    otherServer = Object.assign(new FakeAri(), { start: () => Promise.resolve() });
    bClock = new KillableClock();
    b = ownerOf('B', server(), (mayConnect) => (bAri = adapter(mayConnect)), bClock);
    aOther = ownerOf('A', { ...server(), id: 'a2', url: 'http://127.0.0.1:1' }, () => otherServer);
    desk = new ClusterDesk({
      config, agents: stores.agents, calls: stores.calls, audit: stores.audit, logger: silentLogger(),
      servers: [server()], clusterCalls: new ClusterCallStore(dataSource), owners: [b], rows: stores.calls,
    });
    supervisionsOnA = new ClusterSupervisions({
      clusterCalls: new ClusterCallStore(dataSource), requests: new SupervisionRequests(dataSource), agents: stores.agents, config,
    });
  });

  afterEach(async () => {
    await aTakesOver?.stop();
    aTakesOver = undefined;
    await aOther.stop();
    await b.stop();
    await bAri?.close();
    await notifications.stop();
    await closeDatabase(dataSource);
    await sim.stop();
  });

  const members = (bridgeId: string) => sim.bridges().find((x) => x.id === bridgeId)?.channels.slice().sort().join() ?? null;
  const channel = (id: string) => sim.channels().find((c) => c.id === id);
  const gone = (id: string) => !sim.channels().some((c) => c.id === id) && !sim.bridges().some((x) => x.id === id);
  const snoops = () => sim.requests().filter((r) => r.method === 'POST' && /\/snoop$/.test(r.path));
  const supervisorOriginates = () => sim.requests().filter((r) => r.method === 'POST' && r.path === '/ari/channels')
    .map((r) => r.query['channelId'] ?? r.body?.['channelId']).filter((id) => typeof id === 'string' && id.endsWith('-supervisor'));
  const audited = async () => (await stores.audit.latest(20)).filter((e) => e.action === 'call_supervised').map((e) => `${e.actor} ${e.subject} ${e.details}`);
  const requestRow = async (id: string) => (await new SupervisionRequests(dataSource).byId(id))!;

  async function connectedCallOnB(): Promise<string> {
    b.start();
    aOther.start();
    await waitFor(() => b.isConnected() && aOther.isConnected(), { what: 'B owning the call\'s server, A the other' });
    await waitFor(async () => (await new ClusterCallStore(dataSource).servers(['a1']))[0]?.connected === true, { what: 'the call\'s server recorded connected' });
    const placed = await desk.placeCall({ agentTelegramId: '2001', targetInput: CUSTOMER });
    if (!placed.ok) throw new Error(`refused: ${placed.refusal}`);
    const { callId } = placed;
    await waitFor(async () => (await stores.calls.byId(callId))?.stage === 'connected', { what: 'the call connected on B' });
    await waitFor(() => members(`${callId}-bridge`) === [`${callId}-agent`, `${callId}-target`].sort().join(), { what: 'agent and customer bridged' });
    return callId;
  }

  /** Sue taps a mode under /live on A; B rings her phone on the call's server and she answers. */
  async function superviseFromA(callId: string, mode: 'listen' | 'whisper' | 'barge'): Promise<string> {
    const answer = await supervisionsOnA.supervise(callId, { ...SUE, agentId: null }, mode, SUE_CHAT);
    if (!answer.ok) throw new Error(`refused: ${answer.refusal}`);
    await waitFor(async () => (await requestRow(answer.supervisionId)).stage === 'active', { what: 'the supervision on, as its row says' });
    return answer.supervisionId;
  }

  it('given a call B runs, when Sue lists live calls and taps Listen on A, then B snoops the agent\'s leg and rings her on the call\'s server; her switches and Leave reach B, the call goes on, and the session is audited once', async () => {
    const callId = await connectedCallOnB();
    const listed = await supervisionsOnA.liveCalls();
    expect(listed).toEqual([expect.objectContaining({ callId, agentLabel: 'Ann', route: 'M', customer: CUSTOMER, stage: 'connected', monitorable: true })]);

    // B's changes of the supervision: the agent's status message on B notes a supervisor while one is on (MONITOR_NOTICE).
    const onB: string[] = [];
    const followed = b.supervisionUpdates.subscribe((v) => onB.push(`${v.callId} ${v.stage} ${v.mode}`));
    const id = await superviseFromA(callId, 'listen');
    await waitFor(() => members(`${id}-listen`) === [`${id}-supervisor`, `${id}-snoop1`].sort().join(), { what: 'Sue and the snoop bridged on the call\'s server' });
    expect(onB).toEqual([`${callId} active listen`]);
    followed.unsubscribe();
    expect(supervisorOriginates()).toEqual([`${id}-supervisor`]);
    expect(snoops().map((r) => [r.path, r.query['spy'], r.query['whisper']])).toEqual([[`/ari/channels/${callId}-agent/snoop`, 'both', 'none']]);
    // A's own server hears nothing of it.
    expect(otherServer.ops().filter((op) => op === 'originate' || op === 'snoop')).toEqual([]);
    await waitFor(() => chat.last()?.texts.at(-1) === SUPERVISION.active('Ann', CUSTOMER, 'listen'), { what: 'Sue\'s message, sent and kept by B, saying she listens' });
    expect(chat.last()?.texts[0]).toBe(SUPERVISION.ringing('Ann', CUSTOMER));
    expect(chat.last()?.buttons).toEqual([SUPERVISION.whisper, SUPERVISION.barge, SUPERVISION.leave]);

    // A second supervision of hers is refused on any instance while this one is on.
    expect(await supervisionsOnA.supervise(callId, { ...SUE, agentId: null }, 'barge', SUE_CHAT)).toEqual({ ok: false, refusal: 'already_supervising' });
    expect(await supervisionsOnA.switchMode(id, '9999', 'barge')).toBe('no_such_supervision');
    expect(await supervisionsOnA.switchMode(id, SUE.telegramId, 'listen')).toBe('not_now');

    expect(await supervisionsOnA.switchMode(id, SUE.telegramId, 'whisper')).toBe('ok');
    await waitFor(() => members(`${id}-listen`) === [`${id}-supervisor`, `${id}-snoop2`].sort().join() && !channel(`${id}-snoop1`), { what: 'a whisper snoop in place of the listening one' });
    expect(snoops().map((r) => r.query['whisper'])).toEqual(['none', 'out']);
    await waitFor(async () => (await requestRow(id)).mode === 'whisper', { what: 'the switch written back' });

    expect(await supervisionsOnA.switchMode(id, SUE.telegramId, 'barge')).toBe('ok');
    await waitFor(() => members(`${callId}-bridge`) === [`${callId}-agent`, `${callId}-target`, `${id}-supervisor`].sort().join() && gone(`${id}-listen`), { what: 'Sue in the call\'s bridge' });
    await waitFor(() => chat.last()?.texts.at(-1) === SUPERVISION.active('Ann', CUSTOMER, 'barge'), { what: 'her message saying she barged in' });
    expect(supervisorOriginates()).toEqual([`${id}-supervisor`]);

    expect(await supervisionsOnA.leave(id, SUE.telegramId)).toBe('ok');
    await waitFor(() => gone(`${id}-supervisor`), { what: 'Sue hung up' });
    expect(members(`${callId}-bridge`)).toBe([`${callId}-agent`, `${callId}-target`].sort().join());
    expect((await stores.calls.byId(callId))?.stage).toBe('connected');
    await waitFor(async () => (await audited()).length === 1, { what: 'the session audited' });
    await waitFor(() => (chat.last()?.texts.at(-1) ?? '').startsWith('Supervision of Ann'), { what: 'her message ended' });
    expect(chat.last()?.texts.at(-1)).toMatch(/ended: you left \(\d+ s\)\.$/);
    expect(await supervisionsOnA.leave(id, SUE.telegramId)).toBe('no_such_supervision');

    b.engine!.cancelCall(callId, 'system');
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'nothing left in Asterisk' });
    expect(await audited()).toEqual([expect.stringMatching(new RegExp(`^3001 ${callId} modes=listen>whisper>barge seconds=\\d+ end=ended_by_supervisor$`))]);
    expect(await requestRow(id)).toMatchObject({ stage: 'ended', endReason: 'ended_by_supervisor', modes: ['listen', 'whisper', 'barge'] });
  });

  it('given Sue listens to a call B runs, when the call ends, then the supervision ends with it and is audited once', async () => {
    const callId = await connectedCallOnB();
    const id = await superviseFromA(callId, 'listen');
    await waitFor(() => members(`${id}-listen`) === [`${id}-supervisor`, `${id}-snoop1`].sort().join(), { what: 'Sue and the snoop bridged' });

    sim.farEndHangup(`${callId}-target`);
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'nothing left in Asterisk' });
    await waitFor(async () => (await requestRow(id)).stage === 'ended', { what: 'the supervision ended' });
    await waitFor(async () => (await audited()).length === 1, { what: 'the session audited' });
    expect(await audited()).toEqual([expect.stringMatching(new RegExp(`^3001 ${callId} modes=listen seconds=\\d+ end=call_ended$`))]);
    await waitFor(() => /ended: the call ended/.test(chat.last()?.texts.at(-1) ?? ''), { what: 'her message ended' });
    expect(chat.last()?.buttons).toEqual([]);
  });

  it('given Sue listens to a call B runs, when B dies, then A takes the server over, ends the supervision (her phone hung up, the snoop and its bridge gone), audits it once as ended by the restart and edits her message; the call goes on', async () => {
    const callId = await connectedCallOnB();
    const id = await superviseFromA(callId, 'listen');
    await waitFor(() => members(`${id}-listen`) === [`${id}-supervisor`, `${id}-snoop1`].sort().join(), { what: 'Sue and the snoop bridged' });
    await waitFor(async () => (await requestRow(id)).messageId !== null, { what: 'her message recorded on the row' });

    // Killed: the server and the database hear nothing more from B; its lease lapses, and A takes the server.
    bClock.kill();
    await bAri.close();
    aTakesOver = ownerOf('A', server(), adapter);
    aTakesOver.start();
    await waitFor(() => aTakesOver?.engine?.callState(callId) !== undefined, { what: 'the call taken over by A', timeoutMs: TTL_MS + 5000 });
    await waitFor(() => gone(`${id}-supervisor`) && gone(`${id}-snoop1`) && gone(`${id}-listen`), { what: 'the supervision cleared from Asterisk' });
    await waitFor(() => (aTakesOver?.engine?.sweepCounts().sweeps ?? 0) >= 1, { what: 'A\'s sweep' });
    await waitFor(async () => (await audited()).length === 1, { what: 'the supervision audited' });
    expect(await audited()).toEqual([expect.stringMatching(new RegExp(`^3001 ${callId} modes=listen seconds=\\d+ end=restart$`))]);
    await waitFor(() => chat.last()?.texts.at(-1)?.includes(CLUSTER_SUPERVISION.endReason['restart']!) === true, { what: 'her message ended by A' });
    expect(members(`${callId}-bridge`)).toBe([`${callId}-agent`, `${callId}-target`].sort().join());
    expect((await stores.calls.byId(callId))?.stage).toBe('connected');

    // Sue may supervise again at once: A runs the call now and rings her there.
    const again = await superviseFromA(callId, 'barge');
    await waitFor(() => members(`${callId}-bridge`) === [`${callId}-agent`, `${callId}-target`, `${again}-supervisor`].sort().join(), { what: 'Sue barged in through A' });
    aTakesOver.engine!.cancelCall(callId, 'system');
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'nothing left in Asterisk' });
    await waitFor(async () => (await audited()).length === 2, { what: 'the second session audited' });
    expect((await audited()).filter((line) => line.endsWith('end=restart'))).toHaveLength(1);
  });

  it('given her earlier request was never claimed (no instance could serve the call\'s server), when she taps again, then that one is given up and the new one recorded', async () => {
    const callId = await connectedCallOnB();
    // B lets the server go and nobody takes it: her request waits unclaimed.
    await b.stop();
    const requests = new SupervisionRequests(dataSource);
    const waiting = '0b5ad9c3-6666-4222-8333-944445555666';
    expect(await requests.request({ id: waiting, callId, supervisorTelegramId: SUE.telegramId, chatId: SUE_CHAT, agentLabel: 'Ann', mode: 'listen' })).toBe('recorded');
    expect(await supervisionsOnA.supervise(callId, { ...SUE, agentId: null }, 'listen', SUE_CHAT)).toEqual({ ok: false, refusal: 'already_supervising' });

    await dataSource.query('UPDATE supervision_requests SET requested_at = requested_at - 20000 WHERE id = $1', [waiting]);
    const again = await supervisionsOnA.supervise(callId, { ...SUE, agentId: null }, 'listen', SUE_CHAT);
    expect(again).toEqual({ ok: true, supervisionId: expect.any(String) });
    expect(await requestRow(waiting)).toMatchObject({ stage: 'ended', endReason: 'stale' });
    expect(await audited()).toEqual([]);
  });

  it('given Sue was removed as a supervisor after her tap was recorded, when B picks the request up, then it rings nobody and tells her why', async () => {
    const callId = await connectedCallOnB();
    await stores.supervisors.remove(SUE.telegramId);
    // Recorded the moment before her removal: the owner checks her again before ringing.
    expect(await new SupervisionRequests(dataSource).request({ id: '0b5ad9c3-5555-4222-8333-944445555666', callId, supervisorTelegramId: SUE.telegramId, chatId: SUE_CHAT, agentLabel: 'Ann', mode: 'listen' }))
      .toBe('recorded');
    await waitFor(async () => (await requestRow('0b5ad9c3-5555-4222-8333-944445555666')).stage === 'ended', { what: 'the request ended unrun' });
    expect(await requestRow('0b5ad9c3-5555-4222-8333-944445555666')).toMatchObject({ endReason: 'not_supervisor' });
    await waitFor(() => chat.last()?.texts.at(-1) === SUPERVISION.notSupervisor, { what: 'Sue told why' });
    expect(supervisorOriginates()).toEqual([]);
    expect(await audited()).toEqual([]);
    b.engine!.cancelCall(callId, 'system');
    await waitFor(() => sim.channels().length === 0 && sim.bridges().length === 0, { what: 'nothing left in Asterisk' });
  });
});
