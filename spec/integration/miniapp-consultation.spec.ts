import type { CallCard, StreamEvent } from '../../miniapp/miniapp-types';
import { PARTY } from '../../telegram/texts';
import { ADMIN_ID, BotHarness } from '../support/bot-harness';
import { EventStreamReader } from '../support/event-stream-reader';
import { MiniAppService } from '../support/miniapp-service';
import { waitFor } from '../support/wait-for';

const CUSTOMER = '+12025550123';
const BOB_PHONE = '+15551230002';

/**
 * A warm transfer's consultation from the Mini App on the ARI simulator: the agent consults a
 * colleague from the call's card, the card (stream and live read) says so with the consultation's
 * buttons, and POST /calls/:callId/consultation ends it as the status message's ✅ Complete,
 * ↩️ Back and 👥 Conference do, for the call's owner only.
 */
describe('miniapp: ending a warm transfer\'s consultation', () => {
  let h: BotHarness;
  let app: MiniAppService;
  let bobId: number;
  let stream: EventStreamReader<StreamEvent> | undefined;
  let callId: string;

  beforeEach(async () => {
    h = await BotHarness.start();
    ({ bobId } = await h.annAndBob([]));
    await h.stores.agents.authorize({ telegramId: '2003', phone: '+15551230003', callerId: null, by: String(ADMIN_ID), displayName: 'Cy' });
    await h.stores.agents.setRoute('2003', 'M');
    app = await MiniAppService.start(h);
  });

  afterEach(async () => {
    try {
      await stream?.close();
      stream = undefined;
      // Whatever a spec left live ends with its customer.
      if (h.sim.channels().some((c) => c.id === leg('target'))) h.sim.farEndHangup(leg('target'));
      await waitFor(() => h.sim.channels().length === 0 && h.engine.liveCalls().length === 0, { what: 'every leg hung up, the call over' });
      await h.engine.settled();
    } finally {
      await app.stop();
      await h.stop();
    }
  });

  async function post(path: string, body: unknown, token?: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${app.url}/app/api/${path}`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() as Record<string, unknown> };
  }

  async function liveCard(token: string): Promise<CallCard | null> {
    const response = await fetch(`${app.url}/app/api/calls/live`, { headers: { authorization: `Bearer ${token}` } });
    return ((await response.json()) as { call: CallCard | null }).call;
  }

  async function signIn(id: number, name: string): Promise<string> {
    const answer = await post('session', { initData: app.initDataFor({ id, first_name: name }) });
    expect(answer.status).toBe(200);
    return answer.body.token as string;
  }

  const leg = (name: string) => `${callId}-${name}`;
  const members = (bridge: string) => h.sim.bridges().find((b) => b.id === leg(bridge))?.channels.slice().sort().join() ?? null;
  const together = (...legs: string[]) => legs.map(leg).sort().join();
  const up = (name: string) => h.sim.channels().some((c) => c.id === leg(name) && c.state === 'Up');
  const gone = (name: string) => !h.sim.channels().some((c) => c.id === leg(name));

  /** A card of the agent's stream (from its `from`th event on) that reads as `expected`. */
  const streamShows = (expected: Partial<CallCard>, what: string, from = 0) => waitFor(() => stream!.events.slice(from).find((e) => e.type === 'call'
    && e.call.callId === callId && Object.entries(expected).every(([k, v]) => e.call[k as keyof CallCard] === v)), { what: `the card: ${what}` });

  /** Ann, signed in to the app with her stream open, places a call that connects, then consults Bob from the card. */
  async function annConsultsBob(): Promise<string> {
    const token = await signIn(2001, 'Ann');
    stream = await EventStreamReader.open<StreamEvent>(`${app.url}/app/api/events?token=${encodeURIComponent(token)}`);
    const placed = await post('calls', { number: CUSTOMER }, token);
    expect(placed.status).toBe(200);
    callId = placed.body.callId as string;
    await streamShows({ stage: 'connected', controls: 'transfer' }, 'connected, with Transfer');
    expect(await post(`calls/${callId}/transfer`, { mode: 'warm', agentId: bobId }, token)).toMatchObject({ status: 200, body: { ok: true, label: 'Bob' } });
    return token;
  }

  it('given Ann consulting Bob from the app, when she completes the transfer, then the card showed the consultation with Bob, the customer and Bob are bridged, Ann has left, and her card says the call is Bob\'s', async () => {
    const token = await annConsultsBob();
    await streamShows({ controls: 'consulting', consulted: 'Bob' }, 'consulting Bob');
    await waitFor(() => up('p3') && members('consult') === together('agent', 'p3') && members('bridge') === together('target'), { what: 'Ann with Bob, the customer on hold' });
    expect(await liveCard(token)).toMatchObject({ callId, stage: 'connected', controls: 'consulting', consulted: 'Bob' });

    expect(await post(`calls/${callId}/consultation`, { how: 'complete' }, token)).toEqual({ status: 200, body: { ok: true } });
    await waitFor(() => gone('agent') && members('consult') === null && members('bridge') === together('target', 'p3'), { what: 'the customer and Bob bridged, Ann gone' });
    // The call is Bob's now: Ann's card says so, as her status message does, and offers her nothing on it.
    await streamShows({ stage: 'connected', status: PARTY.transferredTo('Bob'), controls: 'none', transferred: true }, 'handed to Bob, no buttons for Ann');
    expect(await post(`calls/${callId}/consultation`, { how: 'back' }, token)).toMatchObject({ status: 403, body: { refusal: 'not_owner' } });
  }, 40_000);

  it('given Ann consulting Bob from the app, when she goes back, then Bob is hung up, Ann and the customer are bridged again, and the card offers Transfer again', async () => {
    const token = await annConsultsBob();
    await streamShows({ controls: 'consulting', consulted: 'Bob' }, 'consulting Bob');
    await waitFor(() => members('consult') === together('agent', 'p3'), { what: 'Ann with Bob' });
    const before = stream!.events.length;

    expect(await post(`calls/${callId}/consultation`, { how: 'back' }, token)).toEqual({ status: 200, body: { ok: true } });
    await waitFor(() => gone('p3') && members('consult') === null && members('bridge') === together('agent', 'target'), { what: 'Ann and the customer together again, Bob gone' });
    await streamShows({ controls: 'transfer', consulted: undefined }, 'Transfer again', before);
    expect(await liveCard(token)).toMatchObject({ callId, stage: 'connected', controls: 'transfer' });
  }, 40_000);

  it('given Ann consulting Bob from the app, when she turns it into a conference, then Ann, the customer and Bob share the call\'s bridge and the card offers Transfer again', async () => {
    const token = await annConsultsBob();
    await streamShows({ controls: 'consulting', consulted: 'Bob' }, 'consulting Bob');
    const before = stream!.events.length;
    expect(await post(`calls/${callId}/consultation`, { how: 'conference' }, token)).toEqual({ status: 200, body: { ok: true } });
    await waitFor(() => members('consult') === null && members('bridge') === together('agent', 'target', 'p3'), { what: 'all three in the call\'s bridge' });
    await streamShows({ controls: 'transfer', consulted: undefined }, 'Transfer again', before);
  }, 40_000);

  it('given Bob\'s phone still ringing for a consultation, then the card offers only Back: Complete is refused (422) and Back hangs Bob up', async () => {
    h.sim.setFarEnd((endpoint) => (endpoint.includes(BOB_PHONE) ? { kind: 'ring-forever' } : undefined));
    const token = await annConsultsBob();
    await streamShows({ controls: 'consult_ringing', consulted: 'Bob' }, 'calling Bob');
    expect(await liveCard(token)).toMatchObject({ controls: 'consult_ringing', consulted: 'Bob' });

    expect(await post(`calls/${callId}/consultation`, { how: 'complete' }, token)).toEqual({
      status: 422, body: { error: 'consultation_refused', refusal: 'not_now', message: PARTY.refusalOf('not_now') },
    });
    const before = stream!.events.length;
    expect(await post(`calls/${callId}/consultation`, { how: 'back' }, token)).toMatchObject({ status: 200 });
    await waitFor(() => gone('p3') && members('bridge') === together('agent', 'target'), { what: 'Bob\'s phone hung up, Ann with the customer' });
    await streamShows({ controls: 'transfer', consulted: undefined }, 'Transfer again', before);
  }, 40_000);

  it('given Ann consulting Bob, when another agent, a forged session or a malformed body asks to end it, then each is refused (403, 401, 400; 404 for a call that is not running) and the consultation goes on', async () => {
    await annConsultsBob();
    await waitFor(() => members('consult') === together('agent', 'p3'), { what: 'Ann with Bob' });
    const cy = await signIn(2003, 'Cy');

    expect(await post(`calls/${callId}/consultation`, { how: 'complete' }, cy)).toEqual({
      status: 403, body: { error: 'consultation_refused', refusal: 'not_owner', message: PARTY.refusalOf('not_owner') },
    });
    expect((await post(`calls/${callId}/consultation`, { how: 'complete' }, '2001.99999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(401);
    const ann = await signIn(2001, 'Ann');
    for (const bad of [{}, { how: 'later' }, { how: 1 }, '{"how":']) {
      expect((await post(`calls/${callId}/consultation`, bad, ann)).status).toBe(400);
    }
    expect(await post('calls/no-such-call/consultation', { how: 'back' }, ann)).toMatchObject({ status: 404, body: { refusal: 'no_such_call' } });
    expect(members('consult')).toBe(together('agent', 'p3'));
    expect(members('bridge')).toBe(together('target'));
    // Who tried is in the audit log, as for a refused tap.
    const refused = (await h.stores.audit.latest(50)).filter((e) => e.subject === callId && e.action === 'call_refused').map((e) => e.details);
    expect(refused).toEqual(['consult_end(complete): not_owner']);
  }, 40_000);
});
