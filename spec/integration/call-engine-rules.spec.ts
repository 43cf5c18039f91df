import { callRefusalText } from '../../app/texts';
import { createCallRules } from '../../rules';
import type { CallRule, RuleWait } from '../../rules/call-rule';
import type { PlaceCallResult } from '../../stasis/call-engine';
import { addAgent, type EngineHarness, startEngine } from '../support/engine-harness';
import { seedVerifiedCallerIds } from '../support/caller-id-pool';
import { FakeAri } from '../support/fake-ari';
import { ManualClock } from '../support/manual-clock';
import { testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

/** 22:14 in Chicago, 23:14 in New York: outside the default calling hours. */
const NIGHT = Date.parse('2026-06-11T03:14:00Z');
/** 11:00 in Chicago, noon in New York. */
const NOON = Date.parse('2026-06-10T16:00:00Z');
/** The caller ID addAgent gives every agent. */
const AGENT_CALLER_ID = '+15550001111';

describe(`the compliance rules in the call engine, on an in-memory ARI and ${testDatabaseKind()}`, () => {
  let ari: FakeAri;
  let h: EngineHarness;
  let now: number;
  let ruleClock: ManualClock;

  async function start(env: Record<string, string> = {}): Promise<void> {
    ari = new FakeAri();
    ruleClock = new ManualClock();
    // Every rule the service has, on this engine's own stores (the engine reads the list when a request comes).
    const rules: CallRule[] = [];
    h = await startEngine(ari, env, { now: () => now, rules });
    rules.push(...createCallRules(h.config, h.stores, ruleClock));
    // The engine harness's agents present this caller ID: a verified pool number, unless a spec says otherwise.
    await seedVerifiedCallerIds(h.stores, [AGENT_CALLER_ID]);
    await h.engine.start();
  }

  afterEach(() => h.close());

  const place = (telegramId: string, target: string, onWaiting?: (wait: RuleWait) => void): Promise<PlaceCallResult> =>
    h.engine.placeCall({ agentTelegramId: telegramId, targetInput: target, ...(onWaiting ? { onWaiting } : {}) });

  it('given the customer\'s local time is outside the calling hours, then nothing is dialed, the refusal is audited with its facts, and the agent reads why', async () => {
    now = NIGHT;
    await start();
    const agent = await addAgent(h.stores);

    const result = await place('2001', '(312) 555-0123');

    expect(result).toMatchObject({ ok: false, refusal: 'rule', rule: { rule: 'calling_hours', zones: ['America/Chicago'] } });
    expect(ari.commands()).toEqual([]);
    const detail = 'rule: calling_hours (zones=America/Chicago localTimes=22:14 weekday=Wednesday hours=08:00-21:00 opensInMinutes=586)';
    expect((await h.stores.audit.latest(1))[0]).toMatchObject({ action: 'call_refused', details: detail });
    expect((await h.stores.calls.recentRequestsOfAgent(agent.id))[0]).toMatchObject({ outcome: 'refused', detail, target: '+13125550123' });
    if (!result.ok) {
      expect(callRefusalText(result.refusal, result.number, result.rule))
        .toBe('⛔ It is 22:14 for this number (America/Chicago); calls are allowed 08:00–21:00, opening in 9 h 46 min.');
    }
  });

  it('given refused requests, then each is told on the refusals stream once it is audited, with its rule; an unknown user is not', async () => {
    now = NIGHT;
    await start();
    const agent = await addAgent(h.stores);
    const told: Array<{ refusal: string; rule?: string; at: number; auditedBefore: Promise<string | undefined> }> = [];
    const subscription = h.engine.refusals.subscribe((r) => {
      expect(r).toMatchObject({ agentId: agent.id, agentTelegramId: '2001' });
      // Read when told: the audit event must already be there.
      told.push({ refusal: r.refusal, ...(r.rule ? { rule: r.rule.rule } : {}), at: r.at, auditedBefore: h.stores.audit.latest(1).then((e) => e[0]?.details) });
    });

    // Each read is done before the next request writes its own audit event (on PostgreSQL they may run on two connections).
    const read = () => Promise.all(told.map((t) => t.auditedBefore));
    await place('2001', '(312) 555-0123');
    await read();
    await place('2001', 'not a number');
    await read();
    await place('9999', '(312) 555-0123');
    subscription.unsubscribe();

    expect(told.map(({ refusal, rule, at }) => ({ refusal, rule, at }))).toEqual([
      { refusal: 'rule', rule: 'calling_hours', at: NIGHT }, { refusal: 'invalid_number', rule: undefined, at: NIGHT },
    ]);
    expect(await Promise.all(told.map((t) => t.auditedBefore))).toEqual([expect.stringMatching(/^rule: calling_hours/), 'invalid_number: not_a_number']);
  });

  it('given a number already called its daily cap by other agents, then the next request dials nothing; refused requests never count', async () => {
    now = NOON;
    await start({ CAP_NUMBER_PER_DAY: '2' });
    for (const id of ['2001', '2002', '2003']) await addAgent(h.stores, id);
    await addAgent(h.stores, '2004', null);
    expect(await place('2001', '202-555-0123')).toMatchObject({ ok: true });
    // Refused (no route chosen), recorded with the number: not a call.
    expect(await place('2004', '202-555-0123')).toMatchObject({ ok: false, refusal: 'no_route', target: '+12025550123' });
    expect(await place('2002', '202-555-0123')).toMatchObject({ ok: true });
    const dialedBefore = ari.ops().filter((op) => op === 'originate').length;

    const third = await place('2003', '202-555-0123');

    expect(third).toMatchObject({ ok: false, rule: { rule: 'number_cap', period: 'day', limit: 2, placed: 2 } });
    expect(ari.ops().filter((op) => op === 'originate')).toHaveLength(dialedBefore);
    expect((await h.stores.audit.latest(1))[0]?.details).toBe('rule: number_cap (period=day limit=2 placed=2)');
  });

  it('given the route\'s channels are all in use, then a request on it is refused and one on the other route goes', async () => {
    now = NOON;
    await start({ ROUTE_MAIN_MAX_CALLS: '1' });
    await addAgent(h.stores, '2001', 'M');
    await addAgent(h.stores, '2002', 'M');
    await addAgent(h.stores, '2003', 'D');
    expect(await place('2001', '202-555-0123')).toMatchObject({ ok: true });
    expect(h.engine.liveCallsOnRoute('M')).toBe(1);

    expect(await place('2002', '202-555-0124')).toMatchObject({ ok: false, rule: { rule: 'route_busy', route: 'M', limit: 1, live: 1 } });
    expect(await place('2003', '202-555-0125')).toMatchObject({ ok: true });
    expect(ari.ops().filter((op) => op === 'originate')).toHaveLength(2);
  });

  it('given two requests at once over the route\'s set-up rate, then the second waits its turn, says so, and is placed after the wait', async () => {
    now = NOON;
    await start({ ROUTE_MAIN_CALLS_PER_S: '1' });
    await addAgent(h.stores, '2001');
    await addAgent(h.stores, '2002');
    const waits: RuleWait[] = [];
    // Which of the two reaches the rate first is the database's doing: whichever it is goes at once.
    const settled: string[] = [];
    const placing = ['2001', '2002'].map((id, i) => place(id, `202-555-012${i + 3}`, (wait) => waits.push(wait))
      .then((result) => { settled.push(id); return result; }));
    await waitFor(() => waits.length > 0 && settled.length === 1, { what: 'one request placed and the other waiting for its slot' });
    expect(waits).toEqual([{ rule: 'route_rate', route: 'M', waitMs: 1000 }]);
    await ruleClock.advance(999);
    expect(ari.ops().filter((op) => op === 'originate')).toHaveLength(1);
    expect(settled).toHaveLength(1);

    await ruleClock.advance(1);

    expect(await Promise.all(placing)).toMatchObject([{ ok: true }, { ok: true }]);
    expect(ari.ops().filter((op) => op === 'originate')).toHaveLength(2);
  });

  describe('the caller ID rule', () => {
    it('given a verified caller ID that is then removed from the pool, then the very next request is refused, audited with its facts, and nothing is dialed', async () => {
      now = NOON;
      await start();
      await addAgent(h.stores);
      expect(await place('2001', '202-555-0123')).toMatchObject({ ok: true });
      await waitFor(() => ari.commands().includes('originate'), { what: 'the first call dialed' });
      h.engine.cancelCall(h.engine.liveCalls()[0]!.context.callId, 'agent');
      await waitFor(() => h.engine.liveCalls().length === 0, { what: 'the first call ended' });
      const dialedBefore = ari.commands().filter((c) => c === 'originate').length;

      await h.stores.callerIds.remove(AGENT_CALLER_ID, 'M');
      const result = await place('2001', '202-555-0124');

      expect(result).toMatchObject({ ok: false, refusal: 'rule', rule: { rule: 'caller_id_not_verified', callerId: AGENT_CALLER_ID, route: 'M', verifiedOn: ['D'] } });
      expect(ari.commands().filter((c) => c === 'originate')).toHaveLength(dialedBefore);
      expect((await h.stores.audit.latest(1))[0]).toMatchObject({
        action: 'call_refused', details: `rule: caller_id_not_verified (callerId=${AGENT_CALLER_ID} route=M verifiedOn=D)`,
      });
      if (!result.ok) {
        expect(callRefusalText(result.refusal, result.number, result.rule)).toBe(`⛔ Your caller ID ${AGENT_CALLER_ID} is not a verified number of the Main route`
          + ' (it is verified for Development only), so it cannot be shown. Ask an admin to verify it for this route, or to give you another caller ID.');
      }
    });

    it('given a caller ID added to the pool but not verified, then calls with it are refused; an agent without one of their own calls with the default', async () => {
      now = NOON;
      await start({ DEFAULT_CALLER_ID: '+15559990000' });
      await addAgent(h.stores);
      await h.stores.callerIds.add('+12025550100', 'M', '1000');
      await h.stores.agents.setCallerId('2001', '+12025550100');
      expect(await place('2001', '202-555-0123')).toMatchObject({ ok: false, rule: { rule: 'caller_id_not_verified', verifiedOn: [] } });

      await h.stores.agents.setCallerId('2001', null);
      expect(await place('2001', '202-555-0123')).toMatchObject({ ok: true, context: { callerId: '+15559990000' } });
    });
  });
});
