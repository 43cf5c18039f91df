import { callRefusalText } from '../../telegram/texts';
import { createCallRules } from '../../compliance/rules';
import type { CallRule, RuleWait } from '../../compliance/rules/call-rule';
import type { PlaceCallResult } from '../../engine/call-engine';
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

  describe('every rule is checked again when the call is placed, after any wait', () => {
    /** Agent 2001's call takes Main's only set-up slot of the second; 2002's request then waits for the next. */
    async function secondRequestWaiting(): Promise<{ waiting: Promise<PlaceCallResult>; settled: () => boolean }> {
      now = NOON;
      await start({ ROUTE_MAIN_CALLS_PER_S: '1' });
      await addAgent(h.stores, '2001');
      await addAgent(h.stores, '2002');
      expect(await place('2001', '202-555-0123')).toMatchObject({ ok: true });
      const waits: RuleWait[] = [];
      let done = false;
      const waiting = place('2002', '202-555-0124', (wait) => waits.push(wait)).finally(() => { done = true; });
      await waitFor(() => waits.length === 1, { what: 'the second request waiting for its set-up slot' });
      return { waiting, settled: () => done };
    }

    const originates = () => ari.ops().filter((op) => op === 'originate').length;

    it('given a request waiting for its slot, when the number is put on the do-not-call list, then after the wait it is refused and nothing more is dialed', async () => {
      const { waiting } = await secondRequestWaiting();
      await h.stores.dnc.add('+12025550124', { kind: 'admin', addedBy: '1000' });

      await ruleClock.advance(1000);

      expect(await waiting).toMatchObject({ ok: false, refusal: 'rule', rule: { rule: 'do_not_call' } });
      expect(originates()).toBe(1);
    });

    it('given a request waiting for its slot, when its caller ID leaves the pool, then after the wait it is refused and nothing more is dialed', async () => {
      const { waiting } = await secondRequestWaiting();
      await h.stores.callerIds.remove(AGENT_CALLER_ID, 'M');

      await ruleClock.advance(1000);

      expect(await waiting).toMatchObject({ ok: false, refusal: 'rule', rule: { rule: 'caller_id_not_verified' } });
      expect(originates()).toBe(1);
    });

    it('given a request waiting for its slot, when the agent is revoked, then it ends at once, before its slot, as stopped, with nothing dialed', async () => {
      const { waiting, settled } = await secondRequestWaiting();
      await h.stores.agents.revoke('2002');

      await h.engine.stopRequestsOf('2002', 'revoked');

      expect(settled()).toBe(true);
      expect(await waiting).toMatchObject({ ok: false, refusal: 'stopped', stopped: 'revoked' });
      expect((await h.stores.audit.latest(1))[0]).toMatchObject({ action: 'call_refused', actor: '2002', details: 'stopped (revoked)' });
      await ruleClock.advance(1000);
      expect(originates()).toBe(1);
    });

    it('given a request waiting for its slot, when the agent is suspended where the engine is not told (another instance), then the wait ends once the agent is read again, with nothing dialed', async () => {
      const { waiting } = await secondRequestWaiting();

      await h.stores.agents.suspend('2002');

      // The rule's clock stands still: only reading the agent again can end the wait.
      expect(await waiting).toMatchObject({ ok: false, refusal: 'stopped', stopped: 'access_ended' });
      await ruleClock.advance(1000);
      expect(originates()).toBe(1);
    });
  });

  describe('one decision at a time: requests at the same instant never both pass a limit', () => {
    const AGENTS = ['2001', '2002', '2003'];

    it.each([
      ['CAP_NUMBER_PER_DAY=1, all three calling one number', { CAP_NUMBER_PER_DAY: '1' }, true, { refusal: 'rule', rule: { rule: 'number_cap', period: 'day', limit: 1, placed: 1 } }],
      ['ROUTE_MAIN_MAX_CALLS=1', { ROUTE_MAIN_MAX_CALLS: '1' }, false, { refusal: 'rule', rule: { rule: 'route_busy', route: 'M', limit: 1, live: 1 } }],
      ['MAX_CONCURRENT_CALLS=1', { MAX_CONCURRENT_CALLS: '1' }, false, { refusal: 'capacity' }],
    ])('given %s, when three agents ask at the same instant, then exactly one call is placed, round after round', async (_what, env, oneNumber, refused) => {
      now = NOON;
      await start(env);
      for (const id of AGENTS) await addAgent(h.stores, id);
      for (let round = 0; round < 6; round += 1) {
        // A new number every round: the capped one has had no call yet.
        const numberOf = (i: number) => `+1202555${String(1000 + round * 3 + (oneNumber ? 0 : i))}`;
        const results = await Promise.all(AGENTS.map((id, i) => place(id, numberOf(i))));

        expect(results.filter((r) => r.ok)).toHaveLength(1);
        expect(results.filter((r) => !r.ok)).toEqual([expect.objectContaining(refused), expect.objectContaining(refused)]);
        // The round's call ends before the next round asks.
        for (const call of h.engine.liveCalls()) h.engine.cancelCall(call.context.callId, 'agent');
        await waitFor(() => h.engine.callsInFlight() === 0, { what: `round ${round}'s call ended` });
        await h.engine.settled();
      }
      expect(ari.ops().filter((op) => op === 'originate')).toHaveLength(6);
    });
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
