/**
 * Telegram output under load: 200 agents each place one call within 10 s while 50 other agents
 * type commands, through the real bot, the ARI simulator and the local Bot API server behind a
 * proxy that answers 429 as Telegram does at its limits (about 1 message/s per chat with a short
 * burst, about 30/s overall).
 *
 *   npm run bench:telegram
 *
 * Loopback only; bounded in time; stops by itself. Figures are printed, never asserted.
 */
import { ADMIN_ID, BotHarness, type TestUser } from '../spec/support/bot-harness';
import { seededRandom } from '../spec/support/seeded-random';
import { ms, summarize, table } from './stats';

const CALLERS = Number(process.env.BENCH_CALLERS ?? 200);
const TYPISTS = Number(process.env.BENCH_TYPISTS ?? 50);
const PLACE_WINDOW_MS = 10_000;
/** A typist reads the answer, then types the next command after this long (uniform). */
const THINK_MS: [number, number] = [Number(process.env.BENCH_THINK_MIN_MS ?? 3000), Number(process.env.BENCH_THINK_MAX_MS ?? 8000)];
const COMMANDS = ['/help', '/settings', '/history', '/route'];
/** Whatever is not delivered by then is reported as missing. */
const DEADLINE_MS = 90_000;
/** The window over which a chat's rate counts as sustained. */
const SUSTAINED_WINDOW_MS = 5000;

const random = seededRandom(4);
const between = ([lo, hi]: [number, number]) => lo + random() * (hi - lo);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const h = await BotHarness.start({
    faultProxy: true,
    env: { MAX_CONCURRENT_CALLS: '10000', AGENT_RING_TIMEOUT_S: '20', TARGET_RING_TIMEOUT_S: '20' },
  });
  h.proxy.enforceLimits();
  // Agents answer after 0.5-2 s; customers ring 1-3 s, then talk 1-4 s and hang up.
  h.sim.setFarEnd((endpoint) => (endpoint.includes('+1202')
    ? { kind: 'answer', ringMs: between([1000, 3000]), hangupAfterMs: between([1000, 4000]), ringingAfterMs: 50 }
    : { kind: 'answer', ringMs: between([500, 2000]) }));

  const callers: TestUser[] = [];
  const typists: TestUser[] = [];
  await h.verifiedCallerIds(['+15551234567'], ['M']);
  for (let i = 0; i < CALLERS + TYPISTS; i += 1) {
    const id = 10_000 + i;
    await h.stores.agents.authorize({ telegramId: String(id), phone: `+1555${String(2000000 + i)}`, callerId: '+15551234567', by: String(ADMIN_ID), displayName: `Agent ${id}` });
    await h.stores.agents.setRoute(String(id), 'M');
    (i < CALLERS ? callers : typists).push(h.user(id, `Agent ${id}`));
  }

  // What each chat is waiting for, and when each wait ended (the Bot API server's own hooks).
  const callPlacedAt = new Map<number, number>();
  const firstStatusAt = new Map<number, number>();
  const callEndedAt = new Map<number, number>();
  const finalAt = new Map<number, number>();
  const finals = new Map<number, number>();
  const commandWaiting = new Map<number, { at: number; resolve: () => void }>();
  const replyLatencies: number[] = [];
  h.onTranscript(({ kind, chatId, buttons }) => {
    const now = Date.now();
    const waiting = commandWaiting.get(chatId);
    if (waiting && kind === 'sent') {
      commandWaiting.delete(chatId);
      replyLatencies.push(now - waiting.at);
      waiting.resolve();
      return;
    }
    if (!callPlacedAt.has(chatId)) return;
    if (kind === 'sent' && !firstStatusAt.has(chatId)) firstStatusAt.set(chatId, now);
    if (buttons.includes('🔁 Call again')) {
      finals.set(chatId, (finals.get(chatId) ?? 0) + 1);
      if (!finalAt.has(chatId)) finalAt.set(chatId, now);
    }
  });
  h.engine.updates.subscribe((u) => {
    if (u.final) callEndedAt.set(Number(u.context.agentTelegramId), Date.now());
  });

  const started = Date.now();
  const placing = callers.map(async (caller, i) => {
    await sleep(random() * PLACE_WINDOW_MS);
    callPlacedAt.set(caller.id, Date.now());
    await caller.send(`/call +1202555${String(1000 + (i % 9000)).padStart(4, '0')}`);
  });
  let typing = true;
  const typed = typists.map(async (typist) => {
    await sleep(random() * 2000);
    while (typing && Date.now() - started < DEADLINE_MS) {
      const replied = new Promise<void>((resolve) => commandWaiting.set(typist.id, { at: Date.now(), resolve }));
      await typist.send(COMMANDS[Math.floor(random() * COMMANDS.length)]!);
      await Promise.race([replied, sleep(30_000)]);
      await sleep(between(THINK_MS));
    }
  });
  await Promise.all(placing);
  while (Date.now() - started < DEADLINE_MS && (finalAt.size < CALLERS || h.engine.liveCalls().length > 0)) await sleep(200);
  typing = false;
  await Promise.all(typed);
  const elapsed = Date.now() - started;

  const finalDelays = [...finalAt].map(([chat, at]) => at - (callEndedAt.get(chat) ?? at));
  const firstDelays = [...firstStatusAt].map(([chat, at]) => at - (callPlacedAt.get(chat) ?? at));
  const reply = summarize(replyLatencies);
  const final = summarize(finalDelays);
  const first = summarize(firstDelays);
  const { sustained, burst } = chatRates(h.proxy.deliveries);
  const lastFinal = Math.max(...finalAt.values()) - started;
  const lastEnd = Math.max(...callEndedAt.values()) - started;

  const row = (name: string, s: { n: number; p50: number; p99: number; max: number }, target: string) => [name, String(s.n), ms(s.p50, 0), ms(s.p99, 0), ms(s.max, 0), target];
  process.stdout.write(`\nTelegram output: ${CALLERS} agents placing a call within ${PLACE_WINDOW_MS / 1000} s, ${TYPISTS} agents typing commands; Bot API behind a proxy at Telegram's limits\n\n`);
  process.stdout.write(`${table(['ms', 'n', 'p50', 'p99', 'max', 'target'], [
    row('command → reply', reply, 'p99 < 1000'),
    row('call ended → final status', final, 'p99 < 2000'),
    row('/call → first status', first, '-'),
  ])}\n\n`);
  const duplicatedFinals = [...finals.values()].filter((n) => n > 1).length;
  process.stdout.write([
    `calls ended: ${callEndedAt.size} of ${CALLERS}; final statuses: ${finalAt.size} (chats with more than one: ${duplicatedFinals})`,
    `last call ended at ${ms(lastEnd / 1000, 1)} s, last final status at ${ms(lastFinal / 1000, 1)} s (run ${ms(elapsed / 1000, 1)} s)`,
    `max per-chat rate: ${ms(sustained, 2)} messages/s over any ${SUSTAINED_WINDOW_MS / 1000} s (target <= 1 sustained), ${burst} in the busiest second`,
    `429 from the limits proxy: ${h.proxy.counts.limitsTooManyRequests} (target 0); requests forwarded: ${h.proxy.counts.forwarded}`,
    `outbox: ${h.out.outbox.counters.requests} requests, ${h.out.outbox.counters.retried} retried, ${h.out.outbox.counters.tooManyRequests} answered 429`,
    '',
  ].join('\n'));
  await h.stop();
}

/** The highest rate any one chat got: over a sliding window, and in its busiest single second. */
function chatRates(deliveries: ReadonlyMap<string, number[]>): { sustained: number; burst: number } {
  let sustained = 0;
  let burst = 0;
  for (const times of deliveries.values()) {
    for (let i = 0; i < times.length; i += 1) {
      let inWindow = 0;
      let inSecond = 0;
      for (let j = i; j < times.length && times[j]! - times[i]! < SUSTAINED_WINDOW_MS; j += 1) {
        inWindow += 1;
        if (times[j]! - times[i]! < 1000) inSecond += 1;
      }
      sustained = Math.max(sustained, inWindow / (SUSTAINED_WINDOW_MS / 1000));
      burst = Math.max(burst, inSecond);
    }
  }
  return { sustained, burst };
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`telegram bench failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
