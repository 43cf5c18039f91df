import { CALL_REQUEST_MAX_AGE_MS } from '../../engine/call-intake';
import { ADMIN_ID, BotHarness, type TestUser } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';

/** Calls placed from Telegram, through the local Bot API server, the real adapter and the ARI simulator. */
describe('bot: calls', () => {
  let h: BotHarness;
  let agent: TestUser;

  async function startWith(opts: Parameters<typeof BotHarness.start>[0] = {}) {
    h = await BotHarness.start(opts);
    await h.verifiedCallerIds(['+15551234567']);
    await h.stores.agents.authorize({ telegramId: '2001', phone: '+15551230001', callerId: '+15551234567', by: String(ADMIN_ID), displayName: 'Ann' });
    await h.stores.agents.setRoute('2001', 'M');
    agent = h.user(2001, 'Ann', 'ann');
  }

  afterEach(() => h.stop());

  /** Every request that makes or dials a channel (originate, create, dial). */
  const legRequests = () => h.sim.requests().filter((r) => r.method === 'POST' && r.path.startsWith('/ari/channels') && !r.path.includes('/play'));
  /** The numbers the provider was sent INVITEs for (the simulator's far end), in order. */
  const invited = () => h.sim.invites().map((i) => i.endpoint);

  /** The agent's last Call row, once the writes already asked for have landed (they run off the hot path). */
  async function callRow() {
    await h.engine.settled();
    const a = await h.stores.agents.byTelegramId('2001');
    return (await h.stores.calls.recentRequestsOfAgent(a!.id, 1))[0];
  }

  it('given an agent on Main, when the call rings, connects and the customer hangs up, then one status message shows every stage', async () => {
    // Far ends ring 1.2 s: longer than the 1 s edit interval, so no stage is coalesced away. The
    // customer's phone rings 50 ms after the INVITE, as across the PSTN, not within the call's
    // 8 ms hold after the dial (which would show "dialing" and "ringing" as one edit).
    await startWith({ sim: { ringMs: 1200 } });
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 1200, hangupAfterMs: 1500, ringingAfterMs: 50 } : undefined));
    await agent.send('/call (202) 555-0123');
    const status = await agent.waitFor(/Call ended/, 15000);
    expect(status.history).toEqual([
      expect.stringMatching(/^📞 Calling your phone \+1 555-123-0001…/),
      expect.stringMatching(/^📞 Your phone \+1 555-123-0001 is ringing/),
      expect.stringMatching(/^✅ You answered — dialing \+1 202-555-0123 \[M\]…/),
      expect.stringMatching(/^🔔 Ringing…/),
      expect.stringMatching(/^🟢 Connected/),
      expect.stringMatching(/^📴 Call ended — 0:0[12] — they hung up/),
    ]);
    expect(status.text).toContain('Caller ID: +15551234567 [M]');
    expect(status.buttons.map((b) => b.text)).toEqual(['🔁 Call again', 'Interested', 'Call back', 'Not interested', 'Wrong number', 'Voicemail', 'Asked not to be called']);
    expect(agent.messages().filter((m) => /Calling your phone|Call ended/.test(m.history.join()))).toHaveLength(1);
    // Both INVITEs go out through Main, From the agent's caller ID.
    expect(h.sim.invites().map(({ endpoint, fromNumber }) => ({ endpoint, fromNumber }))).toEqual([
      { endpoint: 'PJSIP/+15551230001@trunk-main', fromNumber: '+15551234567' },
      { endpoint: 'PJSIP/+12025550123@trunk-main', fromNumber: '+15551234567' },
    ]);
    await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, { what: 'no channel or bridge left' });
    expect(await callRow()).toMatchObject({ stage: 'ended', outcome: 'completed', endedBy: 'target', statusMessageId: status.messageId });

    const before = agent.messages().length;
    await agent.send('/history');
    expect((await agent.waitForNew(before)).text).toMatch(/\+1 202-555-0123 \[M\] · Call ended · 0:0[12]/);
  }, 30000);

  it('given a call the agent passed to a colleague, when they ask for /history, then it says whom it was transferred to and for how long they talked', async () => {
    await startWith();
    const ann = await h.stores.agents.byTelegramId('2001');
    const t0 = Date.UTC(2026, 11, 6, 10, 0, 0);
    const at = (s: number) => new Date(t0 + s * 1000);
    await h.stores.calls.recordCallRequest({
      id: 'c-transferred', agentId: ann!.id, targetInput: '202 555 0123', target: '+12025550123', route: 'M', stage: 'ended', outcome: 'completed',
      requestedAt: at(0), connectedAt: at(5), endedAt: at(211),
    });
    await h.stores.legs.recordLeg('c-transferred', 'agent', { role: 'agent', label: 'Ann', agentId: ann!.id, answeredAt: at(2), endedAt: at(60) });
    await h.stores.legs.recordLeg('c-transferred', 'target', { role: 'customer', number: '+12025550123', answeredAt: at(5), endedAt: at(211) });
    await h.stores.legs.recordLeg('c-transferred', 'p3', { role: 'consulted', label: 'Bob', answeredAt: at(60), endedAt: at(211) });

    const before = agent.messages().length;
    await agent.send('/history');
    expect((await agent.waitForNew(before)).text).toBe(
      'Your last calls:\n2026-12-06 10:00 UTC · +1 202-555-0123 [M] · Call ended · 3:26\n   ↪️ transferred to Bob (2:31)',
    );
  });

  it.each([
    ['the customer is busy', '+12025550486', /❌ Busy/, 'target_busy'],
    ['the number does not exist', '+12025550404', /⚠️ Invalid number/, 'target_invalid_number'],
    ['the provider refuses the call', '+12025550503', /⚠️ Number unreachable/, 'target_unreachable'],
  ])('given %s, then the status ends with the reason and nothing is left in Asterisk', async (_what, target, text, outcome) => {
    await startWith();
    await agent.send(`/call ${target}`);
    await agent.waitFor(text);
    await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, { what: 'cleanup' });
    expect(await callRow()).toMatchObject({ outcome });
  });

  it('given the customer never answers, then the status says no answer after the ring timeout', async () => {
    await startWith({ env: { TARGET_RING_TIMEOUT_S: '1' } });
    await agent.send('/call +12025550480');
    await agent.waitFor(/❌ No answer/, 10000);
    await waitFor(() => h.sim.channels().length === 0, { what: 'cleanup' });
    expect(await callRow()).toMatchObject({ outcome: 'target_no_answer' });
  });

  it.each([
    ['busy', { kind: 'busy' as const }, /Your phone was busy/, 'agent_busy'],
    ['unreachable', { kind: 'unreachable' as const }, /Your phone could not be reached/, 'agent_unreachable'],
  ])('given the agent phone is %s, then the customer is never dialed', async (_what, script, text, outcome) => {
    await startWith();
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+15551230001') ? script : undefined));
    await agent.send('/call +12025550123');
    await agent.waitFor(text);
    expect(invited()).toEqual(['PJSIP/+15551230001@trunk-main']);
    expect(await callRow()).toMatchObject({ outcome });
  });

  it('given the agent does not answer, then the status says so after the agent ring timeout', async () => {
    await startWith({ env: { AGENT_RING_TIMEOUT_S: '1' } });
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+15551230001') ? { kind: 'ring-forever' } : undefined));
    await agent.send('/call +12025550123');
    await agent.waitFor(/You did not answer your phone/, 10000);
    expect(await callRow()).toMatchObject({ outcome: 'agent_no_answer' });
  });

  it('given a connected call, when the agent taps Hang up, then both legs end and the bridge is destroyed', async () => {
    await startWith({ statusEditIntervalMs: 100 });
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 50 } : undefined));
    await agent.send('/call +12025550123');
    await agent.waitFor(/🟢 Connected/);
    await agent.tap('⏹ Hang up');
    const ended = await agent.waitFor(/Call ended/);
    expect(ended.text).toMatch(/hung up from Telegram|you hung up/);
    await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, { what: 'cleanup' });
    expect(await callRow()).toMatchObject({ outcome: 'completed' });
  });

  it('given a connected call, when the app restarts, then the call goes on in the same status message, its Hang up ends it, and the final status comes once', async () => {
    await startWith({ statusEditIntervalMs: 100 });
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+12025550123') ? { kind: 'answer', ringMs: 50 } : undefined));
    await agent.send('/call +12025550123');
    const connected = await agent.waitFor(/🟢 Connected/);
    await waitFor(async () => (await callRow())?.statusMessageId === connected.messageId, { what: 'the status message recorded' });

    h = await h.restarted();
    agent = h.user(2001, 'Ann', 'ann');
    await waitFor(() => h.engine.liveCalls().length === 1, { what: 'the call resumed' });
    await h.engine.writesSettled();
    expect(h.sim.channels().filter((c) => c.state === 'Up')).toHaveLength(2);
    expect(await callRow()).toMatchObject({ stage: 'connected' });

    await agent.tap('⏹ Hang up');
    const ended = await agent.waitFor(/Call ended/);
    expect(ended.messageId).toBe(connected.messageId);
    await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, { what: 'no channel or bridge left' });
    expect(await callRow()).toMatchObject({ stage: 'ended', outcome: 'completed', statusMessageId: connected.messageId });
    await h.out.outbox.drained(2000);
    // One status message for the call, ended once; nothing sent about it besides.
    expect(agent.messages().filter((m) => /Call ended|interrupted/i.test(m.history.join('\n')))).toHaveLength(1);
    expect(ended.history.filter((t) => /Call ended/.test(t))).toHaveLength(1);
  });

  it('given a live call, when the agent sends /call again, then it is refused and points at the live call; /hangup ends it', async () => {
    await startWith({ statusEditIntervalMs: 100 });
    h.sim.setFarEnd(() => ({ kind: 'ring-forever' }));
    await agent.send('/call +12025550123');
    await agent.waitFor(/Calling your phone|is ringing/);
    await agent.send('/call +12025550124');
    await agent.waitFor(/already have a call in progress/);
    expect(invited()).toEqual(['PJSIP/+15551230001@trunk-main']);
    await agent.send('/hangup');
    await agent.waitFor(/⏹ Cancelled/);
    await waitFor(() => h.sim.channels().length === 0, { what: 'cleanup' });
  });

  it('given a live call, when the admin revokes the agent, then the call ends and the agent is told', async () => {
    await startWith({ statusEditIntervalMs: 100 });
    h.sim.setFarEnd(() => ({ kind: 'answer', ringMs: 20 }));
    await agent.send('/call +12025550123');
    await agent.waitFor(/🟢 Connected/);
    const admin = h.user(ADMIN_ID, 'Ada');
    await admin.send('/revoke 2001');
    await admin.waitFor(/Agent 2001 is revoked. Their live call was ended./);
    await agent.waitFor(/Call ended/);
    await agent.waitFor(/has been revoked/);
    await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, { what: 'cleanup' });
    const before = invited().length;
    await agent.send('/call +12025550123');
    await agent.waitFor(/You have no access/);
    expect(invited()).toHaveLength(before);
  });

  it('given the admin, when they list live calls and tap a hang-up button, then that call ends', async () => {
    await startWith({ statusEditIntervalMs: 100 });
    h.sim.setFarEnd(() => ({ kind: 'ring-forever' }));
    await agent.send('/call +12025550123');
    // The status moves on to "ringing" within the edit interval: either text means the call is live.
    await agent.waitFor(/Calling your phone|is ringing/);
    const admin = h.user(ADMIN_ID, 'Ada');
    await admin.send('/calls');
    const list = await admin.waitFor(/Live calls \(1\)/);
    expect(list.text).toContain('2001 → +1 202-555-0123 [M]');
    await admin.tap(/^⏹ 2001/);
    await agent.waitFor(/Cancelled/);
    await admin.send('/agents');
    await admin.waitFor(/Ann \(id 2001\) · active\n {2}phone \+15551230001 · Caller ID: \+15551234567 \[M\]/);
  });

  describe('never a dial from bad input', () => {
    beforeEach(() => startWith());

    it.each([
      ['an emergency number', '/call 911', /Emergency and service numbers/],
      ['a premium number', '/call 1-900-555-0123', /Premium-rate/],
      ['a look-alike country', '/call +1 876 555 0123', /not allowed/],
      ['letters', '/call call-me-maybe', /not a phone number/],
      ['no number', '/call', /Usage: \/call <number>/],
    ])('given %s, then the agent gets a clear reason and nothing is dialed', async (_what, text, reply) => {
      await agent.send(text);
      await agent.waitFor(reply);
      expect(legRequests()).toEqual([]);
    });

    it('given a stranger, when they try to call, tap a forged call button or a forged hang-up, then nothing is dialed', async () => {
      const stranger = h.user(6666, 'Mallory');
      await stranger.send('/call +12025550123');
      await stranger.waitFor(/You have no access/);
      await stranger.tapData('ca:+12025550123');
      await stranger.tapData('rc:M:+12025550123');
      await stranger.tapData('hu:00000000-0000-4000-8000-000000000000');
      await stranger.tapData('ap:6666');
      await stranger.send('/authorize 6666 +12025550123');
      await stranger.waitFor(/You have no access/);
      await waitFor(() => stranger.messages().length >= 2);
      expect(legRequests()).toEqual([]);
      expect(await h.stores.agents.activeAgentByTelegramId('6666')).toBeNull();
    });

    it('given forged or stale callback data from an agent, then nothing happens', async () => {
      for (const data of ['ca:911', 'ca:+1900', 'xx:1', '', 'hu:not-a-uuid', `ca:+1${'9'.repeat(80)}`, 'rp:Z', 'ap:2001']) {
        await agent.tapData(data);
      }
      await agent.send('/help');
      await agent.waitFor(/Commands:/);
      expect(legRequests()).toEqual([]);
      expect((await h.stores.agents.byTelegramId('2001'))?.route).toBe('M');
    });

    it.each([
      ['an unknown command', '/dance', /do not know that command.*\/help/],
      ['plain text', 'hello there', /Send me a command/],
      ['a huge message', `/call ${'9'.repeat(5000)}`, /too long/],
      ['odd Unicode', '/call ２０２５５５０１２３', /not a phone number/],
      ['right-to-left and zero-width marks', '/call \u202e+1202\u200b5550123', /not a phone number/],
      ['arguments where none are taken', '/history please', /Usage: \/history \(no arguments\)/],
    ])('given %s, then the agent gets a clear reply and nothing crashes', async (_what, text, reply) => {
      await agent.send(text);
      await agent.waitFor(reply);
      expect(legRequests()).toEqual([]);
    });

    it('given a message from a group chat, then the bot says it works in private chats only', async () => {
      const client = h.server.getClient('123456789:AAtest-token_for_the_local_bot_api', { userId: 2001, chatId: -500, type: 'group', firstName: 'Ann' });
      await client.sendCommand(client.makeCommand('/call +12025550123'));
      await waitFor(() => h.messagesTo(-500).some((m) => /private chats only/.test(m.text)), { what: 'private-only reply' });
      expect(legRequests()).toEqual([]);
    });
  });

  it('given telephony is offline, then /call says so and the bot still answers', async () => {
    await startWith();
    h.sim.refuseConnections(true);
    h.sim.dropWebSockets();
    await waitFor(() => !h.engine.isTelephonyOnline(), { what: 'offline' });
    await agent.send('/call +12025550123');
    await agent.waitFor(/Telephony is offline/);
    h.sim.refuseConnections(false);
    await waitFor(() => h.engine.isTelephonyOnline(), { what: 'back online', timeoutMs: 10000 });
  });

  describe('a call request is judged by what was true when it arrived', () => {
    /** Rings 1.5 s, then busy: the call ends within 2 s, long after twenty requests sent at once have all arrived. */
    const BUSY = '+12025550486';
    const startRinging = async () => {
      await startWith();
      h.sim.setFarEnd((endpoint) => (endpoint.includes(BUSY) ? { kind: 'busy', ringMs: 1500 } : undefined));
    };
    const agentLegs = () => invited().filter((endpoint) => endpoint.includes('+15551230001')).length;

    /** The agent's requests, placed and refused, once at least `count` have their Call row. */
    async function requests(count: number) {
      const a = await h.stores.agents.byTelegramId('2001');
      return waitFor(async () => {
        const rows = await h.stores.calls.recentRequestsOfAgent(a!.id, 100);
        return rows.length >= count ? rows : undefined;
      }, { timeoutMs: 45000, what: `${count} requests of the agent recorded` });
    }

    it('given 20 /calls sent at the same instant and a call that ends within 2 s, then exactly one call is placed', async () => {
      await startRinging();

      await Promise.all(Array.from({ length: 20 }, () => agent.send(`/call ${BUSY}`)));

      const rows = await requests(20);
      expect(rows.filter((r) => r.outcome !== 'refused')).toHaveLength(1);
      // The first ones handled came during the call; those the chat's replies held back past the limit are stale as well.
      expect(rows.filter((r) => r.outcome === 'refused').map((r) => r.detail))
        .toEqual(Array(19).fill(expect.stringMatching(/^(came_during_call|live_call_exists|stale \(ageS=\d+\))$/)));
      expect(agentLegs()).toBe(1);
      await agent.waitFor(/came while your previous call was still on/);
    }, 60000);

    it('given 20 taps on 🔁 Call again at the same instant and a call that ends within 2 s, then exactly one call is placed', async () => {
      await startRinging();
      await agent.send(`/call ${BUSY}`);
      await agent.waitFor(/❌ Busy/);
      await requests(1);

      await Promise.all(Array.from({ length: 20 }, () => agent.tap('🔁 Call again')));

      const rows = await requests(21);
      expect(rows.filter((r) => r.outcome !== 'refused')).toHaveLength(2);
      expect(agentLegs()).toBe(2);
    }, 60000);

    it('given a /call that reaches the bot long after it was sent, then it is refused as stale with a short reply, and nothing is dialed', async () => {
      await startWith();

      await agent.send('/call +12025550123', { date: Math.floor((Date.now() - 2 * CALL_REQUEST_MAX_AGE_MS) / 1000) });

      await agent.waitFor(/^❌ That call request reached me more than \d+ s after you sent it, so I did not place it\./);
      expect(invited()).toEqual([]);
      expect((await requests(1))[0]).toMatchObject({ outcome: 'refused', detail: expect.stringMatching(/^stale \(ageS=\d+\)$/) });
    });
  });
});
