import { firstValueFrom, toArray } from 'rxjs';
import { addAgent, type EngineHarness, startEngine } from '../support/engine-harness';
import { FakeAri } from '../support/fake-ari';
import { testDatabaseKind } from '../support/test-database';

/**
 * Two callbot processes on one database, each with its own Asterisk connection: the database, not
 * either engine's memory, keeps an agent to one live call.
 */
describe(`two call engines on one ${testDatabaseKind()} database`, () => {
  let aris: [FakeAri, FakeAri];
  let engines: [EngineHarness, EngineHarness];

  beforeEach(async () => {
    aris = [new FakeAri(), new FakeAri()];
    const first = await startEngine(aris[0]);
    const second = await startEngine(aris[1], {}, { databaseUrl: first.databaseUrl });
    engines = [first, second];
    for (const h of engines) await h.engine.start();
    await addAgent(first.stores, '2001');
  });

  afterEach(async () => {
    for (const h of engines) await h.close();
  });

  const ask = (h: EngineHarness, targetInput = '2025550123') => h.engine.placeCall({ agentTelegramId: '2001', targetInput, telegramChatId: '2001' });
  const originates = (ari: FakeAri) => ari.ops().filter((op) => op === 'originate').length;

  it('given the same agent\'s request arrives at both at the same instant, then exactly one call is placed and the other is refused as live_call_exists with nothing dialed', async () => {
    const results = await Promise.all([ask(engines[0], '2025550123'), ask(engines[1], '2025550124')]);

    expect(results.map((r) => r.ok).sort()).toEqual([false, true]);
    const refusedAt = results.findIndex((r) => !r.ok);
    const placedAt = 1 - refusedAt;
    expect(results[refusedAt]).toMatchObject({ ok: false, refusal: 'live_call_exists' });
    expect(aris[refusedAt]!.commands()).toEqual([]);
    expect(originates(aris[placedAt]!)).toBe(1);
    const [audit] = await engines[0].stores.audit.latest(1);
    expect(audit).toMatchObject({ action: 'call_refused', actor: '2001', details: 'live_call_exists' });
    const agent = await engines[0].stores.agents.byTelegramId('2001');
    const rows = await engines[0].stores.calls.recentRequestsOfAgent(agent!.id);
    expect(rows.filter((r) => r.outcome === 'refused')).toHaveLength(1);
    expect(rows.filter((r) => r.stage !== 'ended').map((r) => r.id)).toEqual([(results[placedAt] as { callId: string }).callId]);
  });

  it('given the agent\'s call is live on one engine, when they ask the other, then it is refused as live_call_exists with nothing dialed', async () => {
    const placed = await ask(engines[0]);
    expect(placed.ok).toBe(true);

    expect(await ask(engines[1], '2025550124')).toMatchObject({ ok: false, refusal: 'live_call_exists' });
    expect(aris[1].commands()).toEqual([]);
  });

  it('given the placed call has ended, then the agent can call again from the other engine', async () => {
    const placed = await ask(engines[0]);
    if (!placed.ok) throw new Error(`refused: ${placed.refusal}`);
    aris[0].emit({ type: 'ChannelDestroyed', channelId: `${placed.callId}-agent`, cause: 17, causeText: 'User busy' });
    expect((await firstValueFrom(placed.updates.pipe(toArray()))).at(-1)).toMatchObject({ outcome: 'agent_busy' });
    await engines[0].engine.settled();

    expect((await ask(engines[1], '2025550124')).ok).toBe(true);
    expect(originates(aris[1])).toBe(1);
  });
});
