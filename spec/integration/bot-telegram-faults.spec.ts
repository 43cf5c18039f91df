import { ADMIN_ID, BotHarness, type BotMessage, type TestUser } from '../support/bot-harness';
import { seededRandom } from '../support/seeded-random';
import type { FaultAction } from '../support/telegram-fault-proxy';
import { waitFor } from '../support/wait-for';

const AGENTS = 40;
/** A final status carries the "Call again" button; live ones carry "Hang up". */
const isFinal = (m: BotMessage) => m.buttons.some((b) => b.text === '🔁 Call again');

/**
 * The agent learns how every call ended, exactly once, while the Bot API answers 429 with
 * retry_after, 502 before a request reaches it and 502 after it did (local Bot API server behind
 * a fault-injecting proxy, ARI simulator, the real bot).
 */
describe('bot: call status when Telegram fails', () => {
  let h: BotHarness;

  afterEach(() => h.stop());

  async function agents(count: number): Promise<TestUser[]> {
    const users: TestUser[] = [];
    for (let i = 0; i < count; i += 1) {
      const id = String(3001 + i);
      await h.stores.agents.authorize({ telegramId: id, phone: `+1555123${String(1000 + i)}`, callerId: '+15551234567', by: String(ADMIN_ID), displayName: `Agent ${id}` });
      await h.stores.agents.setRoute(id, 'M');
      users.push(h.user(3001 + i, `Agent ${id}`));
    }
    return users;
  }

  it(`given 429s, 502s before and 502s after delivery on a third of the messages, when ${AGENTS} agents each place a call, then every agent gets exactly one final status`, async () => {
    h = await BotHarness.start({ faultProxy: true, statusEditIntervalMs: 300 });
    await h.verifiedCallerIds(['+15551234567']);
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+1202555') ? { kind: 'answer', ringMs: 300, hangupAfterMs: 1000 } : undefined));
    const random = seededRandom(13);
    h.proxy.rule = (): FaultAction => {
      const r = random();
      if (r < 0.12) return { kind: 'too_many_requests', retryAfterS: 1 };
      if (r < 0.23) return { kind: 'bad_gateway_before' };
      if (r < 0.34) return { kind: 'bad_gateway_after' };
      return { kind: 'forward' };
    };
    const users = await agents(AGENTS);
    await Promise.all(users.map((u, i) => u.send(`/call +1202555${String(1000 + i)}`)));

    await waitFor(async () => (await h.stores.calls.liveCalls()).length === 0 && h.engine.liveCalls().length === 0, { timeoutMs: 60_000, what: 'every call ended' });
    await waitFor(() => users.every((u) => u.messages().some(isFinal)), { timeoutMs: 60_000, what: 'a final status for every agent' });
    // A retry still waiting could yet add a message: count only once nothing is left to send.
    await waitFor(() => h.out.outbox.pending === 0, { timeoutMs: 30_000, what: 'the outbox to drain' });

    const finals = users.map((u) => u.messages().filter(isFinal).length);
    expect(finals).toEqual(users.map(() => 1));
    const duplicates = users.reduce((n, u) => n + u.messages().length - 1, 0);
    const { tooManyRequests, badGatewayBefore, badGatewayAfter } = h.proxy.counts;
    process.stdout.write(`bot-telegram-faults: ${AGENTS} calls, 429 ${tooManyRequests}, 502 before ${badGatewayBefore}, 502 after ${badGatewayAfter}; `
      + `final statuses ${finals.reduce((a, b) => a + b, 0)}, duplicated messages ${duplicates} (first statuses re-sent after a 502 that was delivered)\n`);
    // Every duplicate is a live status whose retry was delivered twice, never a second final.
    for (const u of users) for (const m of u.messages().filter((x) => !isFinal(x))) expect(m.text).toMatch(/^📞 Calling your phone|^📞 Your phone|^✅ You answered|^🔔 Ringing|^🟢 Connected/);

    // Nothing crashed: the bot still answers at once.
    h.proxy.rule = () => ({ kind: 'forward' });
    const admin = h.user(ADMIN_ID, 'Ada');
    await admin.send('/help');
    await admin.waitFor(/Commands:/);
  }, 150_000);

  it('given every first sendMessage fails with 502 before delivery, then the call still completes and its final state arrives as one new message', async () => {
    h = await BotHarness.start({ faultProxy: true, statusEditIntervalMs: 300 });
    await h.verifiedCallerIds(['+15551234567']);
    h.sim.setFarEnd((endpoint) => (endpoint.includes('+1202555') ? { kind: 'answer', ringMs: 100, hangupAfterMs: 300 } : undefined));
    const [agent] = await agents(1);
    let blocking = true;
    h.proxy.rule = ({ method }) => (blocking && method === 'sendMessage' ? { kind: 'bad_gateway_before' } : { kind: 'forward' });
    await agent!.send('/call +12025551000');
    await waitFor(async () => (await h.stores.calls.liveCalls()).length === 0, { timeoutMs: 20_000, what: 'the call ended' });
    // The first message has given up by now (five attempts over 7.5 s); Telegram comes back.
    await waitFor(() => h.proxy.counts.badGatewayBefore >= 5, { timeoutMs: 20_000, what: 'the first status to give up' });
    blocking = false;
    const final = await agent!.waitFor(/Call ended/, 20_000);
    expect(final.history).toHaveLength(1);
    expect(agent!.messages()).toHaveLength(1);
    const a = await h.stores.agents.byTelegramId('3001');
    expect((await h.stores.calls.recentRequestsOfAgent(a!.id, 1))[0]).toMatchObject({ stage: 'ended', statusMessageId: null });
  }, 60_000);
});
