import type { PartyView, RouteCode } from '../../call/call-types';
import type { CallContext } from '../../call/call-update';
import { AgentCapsRule } from '../../compliance/rules/agent-caps-rule';
import { CallerIdRule } from '../../compliance/rules/caller-id-rule';
import { CallingHoursRule } from '../../compliance/rules/calling-hours-rule';
import { DoNotCallRule } from '../../compliance/rules/do-not-call-rule';
import { NumberCapsRule } from '../../compliance/rules/number-caps-rule';
import { RouteLimitsRule } from '../../compliance/rules/route-limits-rule';
import { CallIntake, type CallPlacement, type RefusedRequest } from '../../engine/call-intake';
import { dialChecksOf } from '../../engine/dial-checks';
import type { CallRule } from '../../compliance/rules/call-rule';
import { InMemoryRecords } from '../support/in-memory-records';
import {
  CallPartiesDesk, firstRunning, type PartyAgent, type PartyCore, type PartyEngine, type PartyRequestEvent,
} from '../../engine/call-parties-desk';
import type { PartyRequester } from '../../engine/call-parties';
import { loadConfig } from '../../config/config';
import { silentLogger } from '../../config/logger';
import { TEST_ENV } from '../support/engine-harness';

/** A call's state as the fake machine keeps it: enough for call/'s predicates to read. */
interface FakeState {
  stage: 'ringing' | 'connected' | 'consulting' | 'consult_ringing';
  owner: number;
  parties: PartyView[];
}

/** 11:00 in New York (open hours), and 23:14 the same night (closed). */
const DAYTIME = Date.parse('2026-06-10T15:00:00Z');
const NIGHT = Date.parse('2026-06-11T03:14:00Z');
const CUSTOMER = '+12025550123';

const core: PartyCore<FakeState> = {
  canTransfer: (s) => s.stage === 'connected',
  canAddParty: (s) => s.stage === 'connected',
  canFinishConsult: (s, how) => s.stage === 'consulting' || (s.stage === 'consult_ringing' && how === 'back'),
  ownerOf: (s) => s.owner,
  partiesOf: (s) => s.parties,
};

/** An engine that runs calls in memory; its machine takes a party as a new leg and nothing else. */
class FakeEngine implements PartyEngine<FakeState> {
  readonly calls = new Map<string, { context: CallContext; state: FakeState }>();
  readonly sent: { callId: string; event: PartyRequestEvent }[] = [];
  readonly onCall = new Set<number>();
  /** When false, the machine takes the event but adds no leg (it found the step not allowed). */
  takesParties = true;

  callState(callId: string): FakeState | undefined {
    return this.calls.get(callId)?.state;
  }

  callContext(callId: string): CallContext | undefined {
    return this.calls.get(callId)?.context;
  }

  sendPartyEvent(callId: string, event: PartyRequestEvent): boolean {
    const call = this.calls.get(callId);
    if (!call) return false;
    this.sent.push({ callId, event });
    if (event.type !== 'ConsultFinished' && this.takesParties) {
      const legId = `p${call.state.parties.length + 1}`;
      call.state = { ...call.state, parties: [...call.state.parties, { legId, role: 'consulted', label: event.party.label, status: 'dialing' }] };
    }
    return true;
  }

  liveCallsOnRoute(route: RouteCode): number {
    return [...this.calls.values()].filter((c) => c.context.route === route).length;
  }

  agentOnCall(agentId: number): boolean {
    return this.onCall.has(agentId);
  }

  run(callId: string, stage: FakeState['stage'] = 'connected', owner = 1): void {
    this.calls.set(callId, {
      context: { callId, agentId: owner, agentTelegramId: `200${owner}`, agentPhone: '+12025550101', target: CUSTOMER, route: 'M', callerId: '+15550001111' },
      state: {
        stage, owner,
        parties: [
          { legId: 'agent', role: 'agent', label: 'Ann', status: 'up' },
          { legId: 'target', role: 'customer', label: '+1 202-555-0123', status: 'up' },
        ],
      },
    });
  }
}

const agent = (id: number, over: Partial<PartyAgent> = {}): PartyAgent => ({
  id, telegramId: `200${id}`, phone: `+1202555010${id}`, callerId: null, route: 'M', displayName: `Agent ${id}`, ...over,
});

describe('the call parties desk: transfer, consultation and conference requests, checked as a /call is', () => {
  const config = loadConfig({ ...TEST_ENV, ROUTE_MAIN_MAX_CALLS: '3', ROUTE_MAIN_ENDPOINT: 'PJSIP/{number}@trunk-main' });
  let engine: FakeEngine;
  let agents: PartyAgent[];
  let liveInDatabase: Set<number>;
  let dnc: Map<string, Date>;
  let placed: { target: number; agent: number };
  let verifiedCallerIds: Set<string>;
  let audit: { actor: string; action: string; subject?: string | null; details?: string }[];
  let now: number;
  let beforeAgentRead: () => void;
  let desk: CallPartiesDesk<FakeState>;
  let refusals: RefusedRequest[];
  let rules: CallRule[];

  const owner: PartyRequester = { agentId: 1, isAdmin: false, telegramId: '2001' };
  const stranger: PartyRequester = { agentId: 5, isAdmin: false, telegramId: '2005' };
  const admin: PartyRequester = { agentId: null, isAdmin: true, telegramId: '1000' };

  beforeEach(() => {
    engine = new FakeEngine();
    engine.run('call-1');
    agents = [agent(1, { displayName: 'Ann' }), agent(2, { displayName: 'Bob' }), agent(3, { displayName: '' }), agent(4, { route: 'D' }), agent(5)];
    liveInDatabase = new Set();
    dnc = new Map();
    placed = { target: 0, agent: 0 };
    verifiedCallerIds = new Set();
    audit = [];
    now = DAYTIME;
    beforeAgentRead = () => undefined;
    refusals = [];
    rules = [
      new CallerIdRule({ routesOf: async (n) => (verifiedCallerIds.has(n) ? [{ route: 'M', status: 'verified' }] : []) as never }),
      new DoNotCallRule({ lookup: async (n) => (dnc.has(n) ? { since: dnc.get(n)! } as never : null) }),
      new CallingHoursRule(config.callingHours),
      new NumberCapsRule({ perDay: 2, per7Days: null }, { countPlacedCalls: async (of) => ('target' in of ? placed.target : placed.agent) }),
      new AgentCapsRule({ perHour: 5, perDay: null }, { countPlacedCalls: async (of) => ('target' in of ? placed.target : placed.agent) }),
      new RouteLimitsRule(config.routeLimits, config.routeRateMaxWaitMs),
    ];
    desk = new CallPartiesDesk({
      engine, core,
      agents: {
        activeAgentById: async (id) => {
          beforeAgentRead();
          return agents.find((a) => a.id === id) ?? null;
        },
        activeAgentsOnRoute: async (route) => agents.filter((a) => a.route === route),
      },
      calls: { latestPlacedCallOfAgent: async (id) => (liveInDatabase.has(id) ? { endedAt: null } : { endedAt: new Date(0) }) },
      audit: { record: async (entry) => { audit.push(entry); } },
      checks: dialChecksOf({ config, rules }),
      config,
      now: () => now,
    });
    desk.refusals.subscribe((r) => refusals.push(r));
  });

  describe('who asks, and whether the call allows it', () => {
    it('given a call of another agent, when a non-admin asks to transfer it, then it is refused as not_owner and nothing is dialed', async () => {
      expect(await desk.transfer('call-1', stranger, { kind: 'agent', agentId: 2 }, 'cold')).toEqual({ ok: false, refusal: 'not_owner' });
      expect(await desk.addParty('call-1', stranger, { kind: 'number', number: '202-555-0199' })).toEqual({ ok: false, refusal: 'not_owner' });
      expect(await desk.finishConsult('call-1', stranger, 'complete')).toEqual({ ok: false, refusal: 'not_owner' });
      expect(await desk.transferCandidates('call-1', stranger)).toEqual([]);
      expect(engine.sent).toEqual([]);
      expect(audit.map((a) => [a.actor, a.action, a.subject, a.details])).toEqual([
        ['2005', 'call_refused', 'call-1', 'transfer(cold) agent=2: not_owner'],
        ['2005', 'call_refused', 'call-1', 'add_party number=202-555-0199: not_owner'],
        ['2005', 'call_refused', 'call-1', 'consult_end(complete): not_owner'],
      ]);
    });

    it('given a call of another agent, when an admin asks, then it is taken and the event names the admin', async () => {
      expect(await desk.transfer('call-1', admin, { kind: 'agent', agentId: 2 }, 'warm')).toEqual({ ok: true, legId: 'p3', label: 'Bob' });
      expect(engine.sent[0]?.event).toMatchObject({ type: 'TransferRequested', mode: 'warm', by: '1000', at: DAYTIME });
    });

    it('given no call of that id running here, then every request is refused as no_such_call', async () => {
      expect(await desk.transfer('gone', owner, { kind: 'agent', agentId: 2 }, 'cold')).toEqual({ ok: false, refusal: 'no_such_call' });
      expect(await desk.addParty('gone', owner, { kind: 'number', number: '202-555-0199' })).toEqual({ ok: false, refusal: 'no_such_call' });
      expect(await desk.finishConsult('gone', owner, 'back')).toEqual({ ok: false, refusal: 'no_such_call' });
      expect(await desk.transferCandidates('gone', owner)).toEqual([]);
      expect(engine.sent).toEqual([]);
    });

    it('given a call still ringing, when its owner asks for a transfer, a party or the end of a consultation, then each is refused as not_now', async () => {
      engine.run('call-2', 'ringing');
      expect(await desk.transfer('call-2', owner, { kind: 'agent', agentId: 2 }, 'cold')).toEqual({ ok: false, refusal: 'not_now' });
      expect(await desk.addParty('call-2', owner, { kind: 'agent', agentId: 2 })).toEqual({ ok: false, refusal: 'not_now' });
      expect(await desk.finishConsult('call-1', owner, 'complete')).toEqual({ ok: false, refusal: 'not_now' });
      expect(engine.sent).toEqual([]);
    });

    it('given the call moved on while the party was being checked, then the request is refused as not_now and nothing is dialed', async () => {
      beforeAgentRead = () => { engine.calls.get('call-1')!.state.stage = 'consulting'; };
      expect(await desk.transfer('call-1', owner, { kind: 'agent', agentId: 2 }, 'cold')).toEqual({ ok: false, refusal: 'not_now' });
      expect(engine.sent).toEqual([]);
    });

    it('given the call ended while the party was being checked, then the request is refused as no_such_call', async () => {
      beforeAgentRead = () => { engine.calls.delete('call-1'); };
      expect(await desk.addParty('call-1', owner, { kind: 'agent', agentId: 2 })).toEqual({ ok: false, refusal: 'no_such_call' });
      expect(engine.sent).toEqual([]);
    });

    it('given the machine takes the request but adds no leg, then the answer is not_now', async () => {
      engine.takesParties = false;
      expect(await desk.addParty('call-1', owner, { kind: 'agent', agentId: 2 })).toEqual({ ok: false, refusal: 'not_now' });
    });

    it('given a consultation whose party has not answered, when its owner asks to complete it or to conference, then not_now and the machine hears nothing; Back is taken', async () => {
      engine.calls.get('call-1')!.state.stage = 'consult_ringing';
      expect(await desk.finishConsult('call-1', owner, 'complete')).toEqual({ ok: false, refusal: 'not_now' });
      expect(await desk.finishConsult('call-1', owner, 'conference')).toEqual({ ok: false, refusal: 'not_now' });
      expect(engine.sent).toEqual([]);
      expect(await desk.finishConsult('call-1', owner, 'back')).toEqual({ ok: true });
      expect(engine.sent).toEqual([{ callId: 'call-1', event: { type: 'ConsultFinished', how: 'back', by: '2001', at: DAYTIME } }]);
    });

    it('given a consultation, when its owner finishes it, then the machine hears how', async () => {
      engine.calls.get('call-1')!.state.stage = 'consulting';
      expect(await desk.finishConsult('call-1', owner, 'conference')).toEqual({ ok: true });
      expect(engine.sent).toEqual([{ callId: 'call-1', event: { type: 'ConsultFinished', how: 'conference', by: '2001', at: DAYTIME } }]);
    });
  });

  describe('an agent as the party', () => {
    it('given an active agent on the call\'s route with a phone and no call, then the plan rings their phone over the route, with the call\'s caller ID', async () => {
      expect(await desk.transfer('call-1', owner, { kind: 'agent', agentId: 2 }, 'cold')).toEqual({ ok: true, legId: 'p3', label: 'Bob' });
      expect(engine.sent).toEqual([{
        callId: 'call-1',
        event: {
          type: 'TransferRequested', mode: 'cold', by: '2001', at: DAYTIME,
          party: {
            target: { kind: 'agent', agentId: 2 }, label: 'Bob', endpoint: 'PJSIP/+12025550102@trunk-main', callerId: '+15550001111',
            ringTimeoutS: config.agentRingTimeoutS,
          },
        },
      }]);
    });

    it('given an agent without a name, then they are labelled by their phone', async () => {
      expect(await desk.addParty('call-1', owner, { kind: 'agent', agentId: 3 })).toEqual({ ok: true, legId: 'p3', label: '+1 202-555-0103' });
      expect(engine.sent[0]?.event.type).toBe('AddPartyRequested');
    });

    it.each([
      ['not active (revoked, suspended or unknown)', 9],
      ['on another route', 4],
      ['that is no id at all (a forged button)', Number.NaN],
      ['with a negative id', -2],
    ])('given an agent %s, then the request is refused as agent_unavailable and nothing is dialed', async (_what, agentId) => {
      expect(await desk.transfer('call-1', owner, { kind: 'agent', agentId }, 'cold')).toEqual({ ok: false, refusal: 'agent_unavailable' });
      expect(engine.sent).toEqual([]);
      expect(audit.at(-1)).toEqual({ actor: '2001', action: 'call_refused', subject: 'call-1', details: `transfer(cold) agent=${agentId}: agent_unavailable` });
    });

    it('given an agent with no phone, then the request is refused as agent_unavailable', async () => {
      agents[1] = agent(2, { phone: null });
      expect(await desk.addParty('call-1', owner, { kind: 'agent', agentId: 2 })).toEqual({ ok: false, refusal: 'agent_unavailable' });
      expect(engine.sent).toEqual([]);
    });

    it.each([
      ['on a call running here (placed, or as a party)', (e: FakeEngine, _db: Set<number>) => e.onCall.add(2)],
      ['with a live call the database holds (another process\'s)', (_e: FakeEngine, db: Set<number>) => db.add(2)],
    ])('given an agent %s, then the request is refused as agent_busy and nothing is dialed', async (_what, busy) => {
      busy(engine, liveInDatabase);
      expect(await desk.transfer('call-1', owner, { kind: 'agent', agentId: 2 }, 'warm')).toEqual({ ok: false, refusal: 'agent_busy' });
      expect(engine.sent).toEqual([]);
    });

    it('given the owner as the party, then the request is refused as same_party', async () => {
      expect(await desk.transfer('call-1', owner, { kind: 'agent', agentId: 1 }, 'cold')).toEqual({ ok: false, refusal: 'same_party' });
      expect(engine.sent).toEqual([]);
    });

    it('given agents on several routes, some busy, then the candidates are the free ones on the call\'s route with a phone, the owner excluded', async () => {
      agents.push(agent(6, { phone: null }), agent(7));
      engine.onCall.add(5);
      liveInDatabase.add(7);
      expect(await desk.transferCandidates('call-1', owner)).toEqual([{ agentId: 2, label: 'Bob' }, { agentId: 3, label: '+1 202-555-0103' }]);
      expect(await desk.transferCandidates('call-1', admin)).toHaveLength(2);
    });
  });

  describe('a typed number as the party: every check a /call passes', () => {
    it('given a dialable number that passes every rule, then the plan dials it over the call\'s route with the call\'s caller ID', async () => {
      expect(await desk.addParty('call-1', owner, { kind: 'number', number: '(202) 555-0199' })).toEqual({ ok: true, legId: 'p3', label: '+1 202-555-0199' });
      expect(engine.sent[0]?.event).toEqual({
        type: 'AddPartyRequested', by: '2001', at: DAYTIME,
        party: {
          target: { kind: 'number', number: '+12025550199' }, label: '+1 202-555-0199', endpoint: 'PJSIP/+12025550199@trunk-main',
          callerId: '+15550001111', ringTimeoutS: config.targetRingTimeoutS,
        },
      });
    });

    it.each([
      ['an emergency number', '911', 'emergency_or_service'],
      ['a service short code', '411', 'emergency_or_service'],
      ['a premium number', '1-900-555-1234', 'premium_or_shared_cost'],
      ['a short code', '2025', 'too_short'],
      ['no number at all', 'call Bob', 'not_a_number'],
    ])('given %s, then it is refused as invalid_number with the number\'s refusal, recorded, and nothing is dialed', async (_what, input, why) => {
      const answer = await desk.transfer('call-1', owner, { kind: 'number', number: input }, 'cold');
      expect(answer).toMatchObject({ ok: false, refusal: 'invalid_number', number: { ok: false, refusal: why } });
      expect(engine.sent).toEqual([]);
      expect(audit.at(-1)).toMatchObject({ actor: '2001', action: 'call_refused', subject: 'call-1' });
      expect(audit.at(-1)?.details).toMatch(new RegExp(`^transfer\\(cold\\) number=.*: invalid_number: ${why}`));
      expect(refusals).toMatchObject([{ agentId: 1, agentTelegramId: '2001', refusal: 'invalid_number', at: DAYTIME }]);
    });

    const ruleCases: [string, () => void, Record<string, unknown>][] = [
      ['on the do-not-call list', () => dnc.set('+12025550199', new Date('2026-01-01T00:00:00Z')), { rule: 'do_not_call', since: new Date('2026-01-01T00:00:00Z') }],
      ['outside its calling hours', () => { now = NIGHT; }, { rule: 'calling_hours', zones: ['America/New_York'], localTimes: ['23:14'] }],
      ['called as often as its cap allows today', () => { placed.target = 2; }, { rule: 'number_cap', period: 'day', limit: 2, placed: 2 }],
      ['asked by an owner at their hourly cap', () => { placed.agent = 5; }, { rule: 'agent_cap', period: 'hour', limit: 5, placed: 5 }],
      ['asked by an owner whose caller ID is not verified', () => { agents[0] = agent(1, { callerId: '+15559990000' }); },
        { rule: 'caller_id_not_verified', callerId: '+15559990000', route: 'M', verifiedOn: [] }],
      ['on a route whose channels are all in use', () => { engine.run('call-2'); engine.run('call-3'); }, { rule: 'route_busy', route: 'M', limit: 3, live: 3 }],
    ];
    it.each(ruleCases)('given a number %s, then it is refused by that rule with its facts, recorded as a /call refusal is, and nothing is dialed', async (_what, given, rule) => {
      given();
      const answer = await desk.addParty('call-1', owner, { kind: 'number', number: '202-555-0199' });
      expect(answer).toEqual({ ok: false, refusal: 'rule', target: '+12025550199', rule: expect.objectContaining(rule) });
      expect(engine.sent).toEqual([]);
      expect(audit.at(-1)).toMatchObject({ actor: '2001', action: 'call_refused', subject: 'call-1' });
      expect(audit.at(-1)?.details).toMatch(new RegExp(`^add_party number=202-555-0199: rule: ${String(rule.rule)} \\(`));
      expect(refusals).toMatchObject([{ agentId: 1, refusal: 'rule', rule: { rule: rule.rule } }]);
    });

    /** A /call of the same number by the call's owner, through the intake with the same rules: what it answers and records. */
    async function asACallWouldBe(input: string) {
      const records = new InMemoryRecords();
      const ann = agents[0]!;
      records.agents.set(ann.telegramId, ann);
      const placement: CallPlacement<object> = {
        liveCallOfAgent: () => undefined, reserveAgent: () => true, releaseAgent: () => undefined,
        liveCallsOnRoute: (route: RouteCode) => engine.liveCallsOnRoute(route), liveCallCount: async () => 0,
        whereFor: async () => ({}), endedCallsWritten: async () => undefined,
        start: () => Promise.reject(new Error('a refused request was started')),
      };
      const intake = new CallIntake({ config, agents: records, calls: records, audit: records, logger: silentLogger(), rules, now: () => now }, placement);
      // A refused /call names the row that records it; a refused party is recorded in the audit log only.
      const { callId: _row, ...answer } = await intake.placeCall({ agentTelegramId: ann.telegramId, targetInput: input });
      return { answer, recorded: records.audit.at(-1)?.details };
    }

    it.each([
      ['an emergency number', '911', () => undefined],
      ['a premium number', '+1 (900) 555-0123', () => undefined],
      ['a number on the do-not-call list', '202-555-0199', () => dnc.set('+12025550199', new Date('2026-01-01T00:00:00Z'))],
      ['a number outside its calling hours', '202-555-0199', () => { now = NIGHT; }],
      ['a number at its cap', '202-555-0199', () => { placed.target = 2; }],
    ])('given %s, then the refusal and its record are exactly those a /call of it gets', async (_what, input, given) => {
      given();
      const party = await desk.addParty('call-1', owner, { kind: 'number', number: input });
      const { answer, recorded } = await asACallWouldBe(input);
      expect(answer.ok).toBe(false);
      expect(party).toEqual(answer);
      expect(audit.at(-1)?.details).toBe(`add_party number=${input}: ${recorded}`);
    });

    it('given the owner\'s verified caller ID, then the caller ID rule lets the number through', async () => {
      agents[0] = agent(1, { callerId: '+15559990000' });
      verifiedCallerIds.add('+15559990000');
      expect(await desk.addParty('call-1', owner, { kind: 'number', number: '202-555-0199' })).toMatchObject({ ok: true });
    });

    it('given the customer\'s own number, then the request is refused as same_party', async () => {
      expect(await desk.transfer('call-1', owner, { kind: 'number', number: '202 555 0123' }, 'cold')).toEqual({ ok: false, refusal: 'same_party', target: CUSTOMER });
      expect(engine.sent).toEqual([]);
    });
  });

  describe('several engines (cluster mode: this instance\'s servers)', () => {
    it('given calls on two engines, then each request reaches the engine that runs its call, and a call run elsewhere is no_such_call', async () => {
      const other = new FakeEngine();
      other.run('call-9');
      const both = new CallPartiesDesk({
        engine: firstRunning(() => [engine, undefined, other]), core,
        agents: { activeAgentById: async (id) => agents.find((a) => a.id === id) ?? null, activeAgentsOnRoute: async () => agents },
        calls: { latestPlacedCallOfAgent: async () => null },
        audit: { record: async () => undefined },
        checks: dialChecksOf({ config, rules: [] }),
        config,
        now: () => now,
      });
      expect(await both.addParty('call-9', owner, { kind: 'agent', agentId: 2 })).toMatchObject({ ok: true });
      expect(other.sent).toHaveLength(1);
      expect(engine.sent).toHaveLength(0);
      expect(await both.addParty('call-on-another-instance', owner, { kind: 'agent', agentId: 2 })).toEqual({ ok: false, refusal: 'no_such_call' });
      other.onCall.add(3);
      expect(await both.transfer('call-1', owner, { kind: 'agent', agentId: 3 }, 'cold')).toEqual({ ok: false, refusal: 'agent_busy' });
    });
  });
});
