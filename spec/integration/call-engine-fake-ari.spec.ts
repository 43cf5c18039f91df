import { firstValueFrom, toArray } from 'rxjs';
import { callRefusalText } from '../../telegram/texts';
import type { CallUpdate } from '../../call/call-update';
import { DIAL_HOLD_MS } from '../../call/call-machine';
import { addAgent, type EngineHarness, startEngine } from '../support/engine-harness';
import { FakeAri } from '../support/fake-ari';
import { waitFor } from '../support/wait-for';
import type { CallAttempt, CallRule } from '../../compliance/rules/call-rule';
import type { NewCall } from '../../store/call-store';

describe('call engine on an in-memory ARI', () => {
  let ari: FakeAri;
  let h: EngineHarness;

  beforeEach(async () => {
    ari = new FakeAri();
    h = await startEngine(ari);
    await h.engine.start();
  });

  afterEach(() => h.close());

  const send = (event: Parameters<FakeAri['emit']>[0]) => ari.deliver(event);

  /** The target's channel, made at the call's start, has entered Stasis (Down, not dialed). */
  async function targetReady(call: { callId: string }): Promise<void> {
    await send({ type: 'StasisStart', channelId: `${call.callId}-target`, channelState: 'Down', args: ['target', call.callId] });
  }

  /** A leg answers and enters Stasis (the moment the engine adds it to the bridge). */
  async function legUp(call: { callId: string }, leg: 'agent' | 'target'): Promise<void> {
    await send({ type: 'ChannelStateChange', channelId: `${call.callId}-${leg}`, channelState: 'Up' });
    await send({ type: 'StasisStart', channelId: `${call.callId}-${leg}`, channelState: 'Up', args: [leg, call.callId] });
  }

  async function place(target = '202-555-0123', telegramId = '2001') {
    const result = await h.engine.placeCall({ agentTelegramId: telegramId, targetInput: target, telegramChatId: telegramId });
    if (!result.ok) throw new Error(`refused: ${result.refusal}`);
    return result;
  }

  describe('checks before anything is dialed', () => {
    it.each([
      ['an unknown user', null, '202-555-0123', 'not_authorized'],
      ['an agent with no route', 'none', '202-555-0123', 'no_route'],
      ['an emergency number', 'M', '911', 'invalid_number'],
      ['a premium number', 'M', '+1 900 555 0123', 'invalid_number'],
      ['a look-alike country', 'M', '+1 876 555 0123', 'invalid_number'],
    ] as const)('given %s, then the request is refused, recorded and nothing is dialed', async (_what, route, target, refusal) => {
      if (route) await addAgent(h.stores, '2001', route === 'none' ? null : route);
      const result = await h.engine.placeCall({ agentTelegramId: '2001', targetInput: target });
      expect(result).toMatchObject({ ok: false, refusal });
      expect(ari.commands()).toEqual([]);
      const audit = await h.stores.audit.latest(1);
      expect(audit[0]).toMatchObject({ action: 'call_refused', actor: '2001' });
      expect(audit[0]?.details).toContain(refusal);
      if (route) {
        const agent = await h.stores.agents.byTelegramId('2001');
        const [row] = await h.stores.calls.recentRequestsOfAgent(agent!.id);
        expect(row).toMatchObject({ stage: 'ended', outcome: 'refused', targetInput: target });
      }
    });

    it('given a compliance rule that refuses the number, then the request is refused with the rule and its facts, recorded, and nothing is dialed', async () => {
      const since = new Date('2026-03-04T10:00:00Z');
      const seen: CallAttempt[] = [];
      const dnc: CallRule = { check: async (attempt) => { seen.push(attempt); return { rule: 'do_not_call', since }; } };
      const never: CallRule = { check: async () => { throw new Error('a later rule must not run once one has refused'); } };
      await h.close();
      h = await startEngine(ari, {}, { rules: [dnc, never] });
      await h.engine.start();
      const agent = await addAgent(h.stores);

      const result = await h.engine.placeCall({ agentTelegramId: '2001', targetInput: '(202) 555-0123' });

      expect(result).toMatchObject({ ok: false, refusal: 'rule', rule: { rule: 'do_not_call', since }, target: '+12025550123' });
      expect(seen).toEqual([{ agentId: agent.id, agentTelegramId: '2001', target: '+12025550123', route: 'M', callerId: '+15550001111', at: expect.any(Number) }]);
      expect(ari.commands()).toEqual([]);
      const [audit] = await h.stores.audit.latest(1);
      expect(audit).toMatchObject({ action: 'call_refused', details: 'rule: do_not_call (since=2026-03-04T10:00:00.000Z)' });
      const [row] = await h.stores.calls.recentRequestsOfAgent(agent.id);
      expect(row).toMatchObject({ stage: 'ended', outcome: 'refused', detail: 'rule: do_not_call (since=2026-03-04T10:00:00.000Z)' });
      if (!result.ok) expect(callRefusalText(result.refusal, result.number, result.rule)).toBe('⛔ This number is on the do-not-call list (since 2026-03-04).');
    });

    it('given telephony is offline, then the request is refused as offline', async () => {
      await addAgent(h.stores);
      ari.setConnection('disconnected');
      const result = await h.engine.placeCall({ agentTelegramId: '2001', targetInput: '2025550123' });
      expect(result).toMatchObject({ ok: false, refusal: 'telephony_offline' });
      if (!result.ok) expect(callRefusalText(result.refusal)).toMatch(/offline/);
    });

    it('given a live call, when the agent asks for another (even at the same instant), then only one is placed', async () => {
      await addAgent(h.stores);
      const [a, b] = await Promise.all([
        h.engine.placeCall({ agentTelegramId: '2001', targetInput: '2025550123' }),
        h.engine.placeCall({ agentTelegramId: '2001', targetInput: '2025550124' }),
      ]);
      expect([a.ok, b.ok].sort()).toEqual([false, true]);
      const refused = a.ok ? b : a;
      expect(refused).toMatchObject({ refusal: 'live_call_exists' });
      expect(ari.ops().filter((op) => op === 'originate')).toHaveLength(1);
    });

    it('given MAX_CONCURRENT_CALLS calls live, then the next agent is refused for capacity', async () => {
      await h.close();
      ari = new FakeAri();
      h = await startEngine(ari, { MAX_CONCURRENT_CALLS: '1' });
      await h.engine.start();
      await addAgent(h.stores, '2001');
      await addAgent(h.stores, '2002');
      await place('2025550123', '2001');
      expect(await h.engine.placeCall({ agentTelegramId: '2002', targetInput: '2025550124' })).toMatchObject({ ok: false, refusal: 'capacity' });
    });
  });

  describe('a call', () => {
    it('given an agent on the Development route, when the call connects and the target hangs up, then every stage is streamed and recorded', async () => {
      await addAgent(h.stores, '2001', 'D');
      const call = await place('(202) 555-0123');
      const updates = firstValueFrom(call.updates.pipe(toArray()));
      const agentId = `${call.callId}-agent`;
      const targetId = `${call.callId}-target`;

      expect(ari.commandRequests().slice(0, 3)).toEqual([
        {
          op: 'originate',
          args: {
            channelId: agentId, endpoint: 'PJSIP/+15551230001@trunk-dev', app: 'callbot', appArgs: `agent,${call.callId}`,
            callerId: '+15550001111', timeoutS: 20,
          },
        },
        { op: 'createBridge', args: { bridgeId: `${call.callId}-bridge`, name: call.callId } },
        { op: 'createChannel', args: { channelId: targetId, endpoint: 'PJSIP/+12025550123@trunk-dev', app: 'callbot', appArgs: `target,${call.callId}` } },
      ]);
      await targetReady(call);
      expect(ari.commandRequests()[3]).toEqual({ op: 'addToBridge', args: { bridgeId: `${call.callId}-bridge`, channelId: targetId } });
      await send({ type: 'ChannelStateChange', channelId: agentId, channelState: 'Ringing' });
      await send({ type: 'ChannelStateChange', channelId: agentId, channelState: 'Up' });
      // Dialed with the agent as the caller: Asterisk gives the target the agent's Caller ID.
      expect(ari.commandRequests()[4]).toEqual({ op: 'dial', args: { channelId: targetId, timeoutS: 20, callerChannelId: agentId } });
      await send({ type: 'StasisStart', channelId: agentId, channelState: 'Up', args: ['agent', call.callId] });
      await send({ type: 'Dial', channelId: targetId, dialstatus: 'RINGING' });
      await send({ type: 'ChannelStateChange', channelId: targetId, channelState: 'Up' });
      await send({ type: 'ChannelDestroyed', channelId: targetId, cause: 16, causeText: 'Normal Clearing' });

      const stages = (await updates).map((u: CallUpdate) => u.stage);
      expect(stages).toEqual(['requested', 'agent_dialing', 'agent_ringing', 'target_dialing', 'target_ringing', 'connected', 'ended']);
      await h.engine.settled();
      await waitFor(() => ari.ops().includes('destroyBridge'));
      expect(ari.commands()).toEqual([
        'originate', 'createBridge', 'createChannel', 'addToBridge', 'dial', 'addToBridge', 'play', 'stopPlayback', 'hangup', 'destroyBridge',
      ]);
      expect(ari.requests.find((r) => r.op === 'hangup')?.args).toEqual({ channelId: agentId });
      const row = await waitFor(async () => {
        const r = await h.stores.calls.byId(call.callId);
        return r?.stage === 'ended' ? r : null;
      });
      expect(row).toMatchObject({ route: 'D', target: '+12025550123', outcome: 'completed', endedBy: 'target', hangupCause: 16, hangupCauseText: 'Normal Clearing' });
      for (const stamp of ['requestedAt', 'agentRingingAt', 'agentAnsweredAt', 'targetRingingAt', 'connectedAt', 'endedAt'] as const) {
        expect(row[stamp]).toBeInstanceOf(Date);
      }
    });

    it('given a slow database, when transitions come while a write is in flight, then they go in one write after it and the row misses nothing', async () => {
      await addAgent(h.stores);
      const calls = h.stores.calls;
      const real = calls.recordCallTransition.bind(calls);
      const writes: string[][] = [];
      let release!: () => void;
      const slow = new Promise<void>((r) => { release = r; });
      calls.recordCallTransition = async (id, patch) => {
        writes.push(Object.keys(patch));
        if (writes.length === 1) await slow;
        return real(id, patch);
      };
      const call = await place();
      await waitFor(() => writes.length === 1);
      await targetReady(call);
      await send({ type: 'ChannelStateChange', channelId: `${call.callId}-agent`, channelState: 'Ringing' });
      await legUp(call, 'agent');
      await send({ type: 'Dial', channelId: `${call.callId}-target`, dialstatus: 'RINGING' });
      await send({ type: 'ChannelStateChange', channelId: `${call.callId}-target`, channelState: 'Up' });
      expect(writes).toHaveLength(1);

      release();
      await h.engine.settled();
      expect(writes).toEqual([
        ['stage'],
        ['stage', 'agentRingingAt', 'agentAnsweredAt', 'targetRingingAt', 'connectedAt'],
      ]);
      const row = await h.stores.calls.byId(call.callId);
      expect(row).toMatchObject({ stage: 'connected' });
      for (const stamp of ['agentRingingAt', 'agentAnsweredAt', 'targetRingingAt', 'connectedAt'] as const) expect(row?.[stamp]).toBeInstanceOf(Date);

      // With the database keeping up, each transition is its own write again.
      await send({ type: 'ChannelDestroyed', channelId: `${call.callId}-target`, cause: 16, causeText: 'Normal Clearing' });
      await h.engine.settled();
      expect(writes).toHaveLength(3);
      expect(await h.stores.calls.byId(call.callId)).toMatchObject({ stage: 'ended', outcome: 'completed', endedBy: 'target' });
    });

    it('given the agent answers before the target channel is in Stasis, then the target is dialed once it has joined the bridge', async () => {
      await addAgent(h.stores);
      const call = await place();
      await send({ type: 'ChannelStateChange', channelId: `${call.callId}-agent`, channelState: 'Up' });
      expect(ari.ops()).not.toContain('dial');
      await targetReady(call);
      expect(ari.commands().slice(-2)).toEqual(['addToBridge', 'dial']);
    });

    it('given a live call, when cancelled from outside, then both legs are hung up and the stream completes with cancelled', async () => {
      await addAgent(h.stores);
      const call = await place();
      const last = firstValueFrom(call.updates.pipe(toArray()));
      ari.emit({ type: 'ChannelStateChange', channelId: `${call.callId}-agent`, channelState: 'Up' });
      expect(h.engine.cancelCall(call.callId, 'admin')).toBe(true);
      const updates = await last;
      expect(updates.at(-1)).toMatchObject({ final: true, outcome: 'cancelled' });
      await h.engine.settled();
      expect(ari.requests.filter((r) => r.op === 'hangup').map((r) => r.args.channelId).sort())
        .toEqual([`${call.callId}-agent`, `${call.callId}-target`]);
      expect(h.engine.cancelCall(call.callId, 'admin')).toBe(false);
    });

    it.each([
      ['its own agent', 'cancelled', { isAdmin: false, own: true }, 'agent'],
      ['an admin', 'cancelled', { isAdmin: true, own: false }, 'app'],
      ['another agent', 'not_yours', { isAdmin: false, own: false }, undefined],
    ] as const)('given a live call, when %s asks to end it, then the engine answers %s', async (_who, answer, who, endedBy) => {
      const agent = await addAgent(h.stores);
      const call = await place();
      const updates = firstValueFrom(call.updates.pipe(toArray()));
      expect(h.engine.cancelCallAs(call.callId, { agentId: who.own ? agent.id : agent.id + 1, isAdmin: who.isAdmin })).toBe(answer);
      if (endedBy === undefined) {
        expect(h.engine.liveCall(call.callId)?.stage).toBe('agent_dialing');
        return;
      }
      expect((await updates).at(-1)).toMatchObject({ final: true, endedBy });
      expect(h.engine.cancelCallAs(call.callId, { agentId: agent.id, isAdmin: true })).toBe('no_such_call');
    });

    it.each([
      ['createChannel', 'making the target channel'],
      ['dial', 'dialing the target'],
    ])('given %s fails (%s), then the call ends as failed with the error and every leg is hung up', async (op) => {
      await addAgent(h.stores);
      ari.failNext(op, 'Allocation failed', 500);
      const call = await place();
      const updates = firstValueFrom(call.updates.pipe(toArray()));
      if (op === 'dial') {
        await targetReady(call);
        await send({ type: 'ChannelStateChange', channelId: `${call.callId}-agent`, channelState: 'Up' });
      }
      expect((await updates).at(-1)).toMatchObject({ outcome: 'failed', failure: { kind: 'request', error: expect.stringContaining('Allocation failed') } });
      await h.engine.settled();
      expect(ari.requests.filter((r) => r.op === 'hangup').map((r) => r.args.channelId).sort()).toEqual([`${call.callId}-agent`, `${call.callId}-target`]);
      expect(ari.ops()).toContain('destroyBridge');
    });

    it('given joining the target to the bridge fails, then it is never dialed', async () => {
      await addAgent(h.stores);
      const call = await place();
      const updates = firstValueFrom(call.updates.pipe(toArray()));
      ari.failNext('addToBridge', 'Bridge not in Stasis application', 409);
      await send({ type: 'ChannelStateChange', channelId: `${call.callId}-agent`, channelState: 'Up' });
      await targetReady(call);
      expect((await updates).at(-1)).toMatchObject({ outcome: 'failed', failure: { kind: 'request', error: expect.stringContaining('Bridge not in Stasis application') } });
      await h.engine.settled();
      expect(ari.ops()).not.toContain('dial');
    });

    it('given the target channel is destroyed before it was dialed, then the call fails and says so', async () => {
      await addAgent(h.stores);
      const call = await place();
      const updates = firstValueFrom(call.updates.pipe(toArray()));
      await targetReady(call);
      await send({ type: 'ChannelDestroyed', channelId: `${call.callId}-target`, cause: 16, causeText: 'Normal Clearing' });
      expect((await updates).at(-1)).toMatchObject({ outcome: 'failed', failure: { kind: 'target_lost_before_dial' } });
      await h.engine.settled();
      expect(ari.requests.filter((r) => r.op === 'hangup').map((r) => r.args.channelId)).toEqual([`${call.callId}-agent`]);
    });

    it.each([
      [400, 'Channel not found'],
      [422, 'Channel not in Stasis application'],
    ])('given adding the agent answers %i %s and its ChannelDestroyed follows, then the hang-up decides the outcome, not the error', async (status, message) => {
      await addAgent(h.stores);
      const call = await place();
      const updates = firstValueFrom(call.updates.pipe(toArray()));
      ari.failNext('addToBridge', message, status);
      await legUp(call, 'agent');
      await send({ type: 'ChannelDestroyed', channelId: `${call.callId}-agent`, cause: 16, causeText: 'Normal Clearing' });
      expect((await updates).at(-1)).toMatchObject({ outcome: 'agent_hung_up', endedBy: 'agent', hangupCause: 16 });
    });

    it('given dialing the target answers 404 and its ChannelDestroyed follows, then the hang-up decides the outcome, not the error', async () => {
      await addAgent(h.stores);
      const call = await place();
      const updates = firstValueFrom(call.updates.pipe(toArray()));
      await targetReady(call);
      ari.failNext('dial', 'Channel not found', 404);
      await legUp(call, 'agent');
      await send({ type: 'ChannelDestroyed', channelId: `${call.callId}-target`, cause: 34, causeText: 'Circuit/channel congestion' });
      expect((await updates).at(-1)).toMatchObject({ outcome: 'target_unreachable', endedBy: 'target', hangupCause: 34 });
    });

    it('given adding the agent answers 400 Channel not found and no ChannelDestroyed ever comes, then after a grace the agent counts as gone (not "failed")', async () => {
      await addAgent(h.stores);
      const call = await place();
      const updates = firstValueFrom(call.updates.pipe(toArray()));
      ari.failNext('addToBridge', 'Channel not found', 400);
      await legUp(call, 'agent');
      const last = (await updates).at(-1);
      expect(last).toMatchObject({ outcome: 'agent_hung_up', endedBy: 'agent', hangupCause: null });
      await h.engine.settled();
      expect(ari.requests.filter((r) => r.op === 'hangup').map((r) => r.args.channelId)).toContain(`${call.callId}-target`);
    });

    it.each([
      [409, 'Bridge not in Stasis application'],
      [404, 'Bridge not found'],
    ])('given adding to the bridge answers %i %s, then the call ends as failed at once, with the error', async (status, message) => {
      await addAgent(h.stores);
      const call = await place();
      const updates = firstValueFrom(call.updates.pipe(toArray()));
      ari.failNext('addToBridge', message, status);
      await legUp(call, 'agent');
      expect((await updates).at(-1)).toMatchObject({ outcome: 'failed', failure: { kind: 'request', error: expect.stringContaining(message) } });
    });

    it('given the call ended, then the agent can place the next call at once', async () => {
      await addAgent(h.stores);
      const first = await place();
      ari.emit({ type: 'ChannelDestroyed', channelId: `${first.callId}-agent`, cause: 17, causeText: 'User busy' });
      expect((await firstValueFrom(first.updates.pipe(toArray()))).at(-1)).toMatchObject({ outcome: 'agent_busy' });
      expect((await h.engine.placeCall({ agentTelegramId: '2001', targetInput: '2025550123' })).ok).toBe(true);
    });

    it('given the call ended but a slow database is still writing its end, then the agent\'s next call waits for that write and is placed, not refused', async () => {
      await addAgent(h.stores);
      const calls = h.stores.calls;
      const real = calls.recordCallTransition.bind(calls);
      let release!: () => void;
      const slow = new Promise<void>((r) => { release = r; });
      calls.recordCallTransition = async (id, patch) => {
        if (patch.stage === 'ended') await slow;
        return real(id, patch);
      };
      const first = await place();
      ari.emit({ type: 'ChannelDestroyed', channelId: `${first.callId}-agent`, cause: 17, causeText: 'User busy' });
      await firstValueFrom(first.updates.pipe(toArray()));

      const waiting = jest.spyOn(h.engine as unknown as { endedCallsWritten(agentId: number): Promise<void> }, 'endedCallsWritten');
      const next = h.engine.placeCall({ agentTelegramId: '2001', targetInput: '2025550123' });
      await waitFor(() => waiting.mock.calls.length > 0, { what: 'the next request waiting for the ended call\'s write' });
      expect(ari.ops().filter((op) => op === 'originate')).toHaveLength(1);
      release();
      expect((await next).ok).toBe(true);
      expect(ari.ops().filter((op) => op === 'originate')).toHaveLength(2);
    });
  });

  describe('the dial goes out alone', () => {
    /** The hold's own timer stays still, so a slow machine cannot end it before the test looks. */
    const stillClock = () => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'performance', 'Date'] });
    afterEach(() => jest.useRealTimers());

    /** A call whose target is in the bridge and whose agent has just answered and entered Stasis. */
    async function answered() {
      await addAgent(h.stores);
      const call = await place();
      const stages: string[] = [];
      call.updates.subscribe((u) => stages.push(u.stage));
      await targetReady(call);
      await legUp(call, 'agent');
      return { call, stages };
    }

    it('given the agent answers, then nothing else of the call goes to Asterisk or the database or its stream until the target rings', async () => {
      stillClock();
      const { call, stages } = await answered();
      expect(ari.commands().slice(3)).toEqual(['addToBridge', 'dial']);
      expect(stages).toEqual(['requested', 'agent_dialing']);
      // Writes already asked for land; the held ones are not asked for yet, so settling does not wait on them.
      await h.engine.settled();
      expect(await h.stores.calls.byId(call.callId)).toMatchObject({ stage: 'agent_dialing' });

      // Asterisk's first Dial event comes when the INVITE is only queued: it does not end the hold.
      await send({ type: 'Dial', channelId: `${call.callId}-target`, dialstatus: '' });
      expect(ari.commands().slice(5)).toEqual([]);
      expect(stages).toEqual(['requested', 'agent_dialing']);
      await h.engine.settled();
      expect(await h.stores.calls.byId(call.callId)).toMatchObject({ stage: 'agent_dialing' });
      await send({ type: 'Dial', channelId: `${call.callId}-target`, dialstatus: 'RINGING' });
      expect(ari.commandRequests().slice(5)).toEqual([
        { op: 'addToBridge', args: { bridgeId: `${call.callId}-bridge`, channelId: `${call.callId}-agent` } },
        { op: 'play', args: { channelId: `${call.callId}-agent`, playbackId: `${call.callId}-ringback`, media: 'tone:ring' } },
      ]);
      expect(stages).toEqual(['requested', 'agent_dialing', 'target_dialing', 'target_ringing']);
      await h.engine.settled();
      expect(await h.stores.calls.byId(call.callId)).toMatchObject({ stage: 'target_ringing' });
    });

    it('given the target does not ring at once, then what was held goes out 8 ms after the dial', async () => {
      const at: Record<string, number> = {};
      for (const op of ['dial', 'play'] as const) {
        const real = ari[op].bind(ari) as (...args: unknown[]) => Promise<void>;
        (ari[op] as unknown) = (...args: unknown[]) => { at[op] = performance.now(); return real(...args); };
      }
      const { stages } = await answered();
      await waitFor(() => at.play, { timeoutMs: 1000, what: 'the ringback' });
      expect(at.play! - at.dial!).toBeGreaterThanOrEqual(DIAL_HOLD_MS - 1);
      expect(ari.commands().slice(5)).toEqual(['addToBridge', 'play']);
      expect(stages).toEqual(['requested', 'agent_dialing', 'target_dialing']);
    });

    it('given the customer is busy while the dial is starting, then the agent is hung up without first being joined or played ringback', async () => {
      stillClock();
      const { call } = await answered();
      const last = firstValueFrom(call.updates.pipe(toArray()));
      await send({ type: 'ChannelDestroyed', channelId: `${call.callId}-target`, cause: 17, causeText: 'User busy' });
      expect(ari.commandRequests().slice(5)).toEqual([
        { op: 'hangup', args: { channelId: `${call.callId}-agent` } },
        { op: 'destroyBridge', args: { bridgeId: `${call.callId}-bridge` } },
      ]);
      expect((await last).at(-1)).toMatchObject({ stage: 'ended', outcome: 'target_busy' });
    });

    it('given the agent hangs up while the dial is starting, then the target is hung up and the bridge destroyed at once', async () => {
      stillClock();
      const { call } = await answered();
      const last = firstValueFrom(call.updates.pipe(toArray()));
      await send({ type: 'ChannelDestroyed', channelId: `${call.callId}-agent`, cause: 16, causeText: 'Normal Clearing' });
      expect(ari.commands()).toEqual(expect.arrayContaining(['hangup', 'destroyBridge']));
      expect(ari.requests.filter((r) => r.op === 'hangup').map((r) => r.args.channelId)).toEqual([`${call.callId}-target`]);
      expect((await last).map((u) => u.stage)).toEqual(['requested', 'agent_dialing', 'target_dialing', 'ended']);
    });
  });

  describe('a call ending while its agent joins the bridge', () => {
    it('given the agent\'s join is still in flight when the customer hangs up, then the agent is hung up only once the join is answered', async () => {
      await addAgent(h.stores);
      const call = await place();
      await targetReady(call);
      await send({ type: 'ChannelStateChange', channelId: `${call.callId}-agent`, channelState: 'Up' });
      await send({ type: 'Dial', channelId: `${call.callId}-target`, dialstatus: 'RINGING' });
      const releaseJoin = ari.holdNextJoin();
      await send({ type: 'StasisStart', channelId: `${call.callId}-agent`, channelState: 'Up', args: ['agent', call.callId] });
      await waitFor(() => ari.requests.some((r) => r.op === 'addToBridge' && r.args.channelId === `${call.callId}-agent`), { what: 'the agent\'s join' });

      await send({ type: 'ChannelDestroyed', channelId: `${call.callId}-target`, cause: 21, causeText: 'Call Rejected' });
      expect(ari.requests.filter((r) => r.op === 'hangup')).toEqual([]);

      releaseJoin();
      await waitFor(() => ari.requests.some((r) => r.op === 'hangup'), { what: 'the agent\'s hangup' });
      const ops = ari.commands();
      expect(ops.indexOf('hangup')).toBeGreaterThan(ops.lastIndexOf('addToBridge'));
      expect(ari.requests.filter((r) => r.op === 'hangup').map((r) => r.args.channelId)).toEqual([`${call.callId}-agent`]);
    });
  });

  describe('reconciliation', () => {
    /** A connected call's row as a crashed process left it: live, with both legs' endpoints recorded. */
    async function leftLiveRow(callId: string, more: Partial<NewCall> = {}): Promise<void> {
      const agent = await addAgent(h.stores);
      await h.stores.calls.recordCallRequest({
        id: callId, agentId: agent.id, targetInput: '+12025550123', target: '+12025550123', agentPhone: '+15551230001', route: 'M',
        agentEndpoint: 'PJSIP/+15551230001@trunk', targetEndpoint: 'PJSIP/+12025550123@trunk', stage: 'connected',
        requestedAt: new Date(), connectedAt: new Date(), ...more,
      });
    }

    it('given rows a crashed process left live that never reached Asterisk (no endpoints recorded), when the engine starts, then they end as interrupted at once', async () => {
      const agent = await addAgent(h.stores);
      await h.stores.calls.recordCallRequest({
        id: 'stale-1', agentId: agent.id, targetInput: 'x', stage: 'connected', requestedAt: new Date(), telegramChatId: '2001', statusMessageId: 41,
      });
      await h.engine.stop();
      expect(await h.engine.start()).toEqual([{ callId: 'stale-1', telegramChatId: '2001', statusMessageId: 41 }]);
      expect(await h.stores.calls.byId('stale-1')).toMatchObject({ stage: 'ended', outcome: 'interrupted' });
      expect(await h.stores.calls.liveCalls()).toEqual([]);
    });

    it('given a placed call a crashed process left live, when the engine starts while ARI is down, then its row stays live until ARI connects, and then the call is read back and ends as Asterisk shows it', async () => {
      const callId = '0b5ad9c3-2222-4222-8333-944445555666';
      await leftLiveRow(callId, { telegramChatId: '2001', statusMessageId: 41 });
      await h.engine.stop();
      ari.setConnection('disconnected');
      expect(await h.engine.start()).toEqual([]);
      await h.engine.writesSettled();
      expect(await h.stores.calls.byId(callId)).toMatchObject({ stage: 'connected' });
      expect(ari.ops()).not.toContain('getChannel');

      // Neither leg is left in Asterisk: the machine ends the call as a connected call whose legs are gone.
      ari.setConnection('connected');
      await waitFor(async () => (await h.stores.calls.byId(callId))?.stage === 'ended', { what: 'the call row ended' });
      expect(await h.stores.calls.byId(callId)).toMatchObject({ outcome: 'completed' });
      expect(ari.requests.filter((r) => r.op === 'getChannel').map((r) => r.args.channelId).sort()).toEqual([`${callId}-agent`, `${callId}-target`]);
    });

    it('given reading a call left live back fails, when ARI connects, then nothing is swept (its channels are not orphans), and the next connect resumes it, connected', async () => {
      const callId = '0b5ad9c3-3333-4222-8333-944445555666';
      await leftLiveRow(callId, { agentAnsweredAt: new Date() });
      for (const leg of ['agent', 'target']) {
        ari.channels.set(`${callId}-${leg}`, { id: `${callId}-${leg}`, state: 'Up', appName: 'Stasis', appData: `callbot,${leg},${callId}` });
      }
      ari.bridges.set(`${callId}-bridge`, { id: `${callId}-bridge`, channelIds: [`${callId}-agent`, `${callId}-target`] });
      await h.engine.stop();
      const before = h.engine.sweepCounts();
      ari.setConnection('disconnected');
      await h.engine.start();
      ari.failNext('getChannel', 'Internal Server Error', 500);
      ari.setConnection('connected');
      await waitFor(() => ari.ops().includes('getChannel'), { what: 'the read-back asked' });
      ari.setConnection('disconnected');
      ari.setConnection('connected');
      await waitFor(() => h.engine.liveCall(callId)?.stage === 'connected', { what: 'the call resumed' });
      await waitFor(() => h.engine.sweepCounts().sweeps > before.sweeps, { what: 'the sweep after the resume' });
      expect(h.engine.sweepCounts()).toEqual({ ...before, sweeps: before.sweeps + 1 });
      expect(ari.commands()).not.toContain('hangup');
    });

    it('given channels and bridges of ours that no live call owns, when ARI connects, then they are hung up and destroyed', async () => {
      await addAgent(h.stores);
      const live = await place();
      const orphan = '0b5ad9c3-1111-4222-8333-944445555666';
      ari.channels.set(`${orphan}-target`, { id: `${orphan}-target`, state: 'Up', appName: 'Stasis', appData: `callbot,target,${orphan}` });
      ari.channels.set('someone-else', { id: 'someone-else', state: 'Up', appName: 'Dial', appData: '' });
      ari.bridges.set(`${orphan}-bridge`, { id: `${orphan}-bridge`, channelIds: [] });
      ari.setConnection('disconnected');
      ari.setConnection('connected');
      await waitFor(() => ari.ops().includes('destroyBridge'));
      expect(ari.requests.filter((r) => r.op === 'hangup').map((r) => r.args.channelId)).toEqual([`${orphan}-target`]);
      expect(ari.channels.has('someone-else')).toBe(true);
      expect(ari.channels.has(`${live.callId}-agent`)).toBe(true);
    });

    it('given a supervision a crash cut off, when ARI connects, then its legs and bridge are cleared and the supervision is audited as ended by the restart', async () => {
      const supervision = '0b5ad9c3-2222-4222-8333-944445555666';
      const call = '0b5ad9c3-4444-4222-8333-944445555666';
      for (const leg of ['supervisor', 'snoop1']) {
        ari.channels.set(`${supervision}-${leg}`, { id: `${supervision}-${leg}`, state: 'Up', appName: 'Stasis', appData: `callbot,supervision,${supervision},${call},3001` });
      }
      ari.bridges.set(`${supervision}-listen`, { id: `${supervision}-listen`, channelIds: [] });
      ari.setConnection('disconnected');
      ari.setConnection('connected');
      await waitFor(() => ari.ops().includes('destroyBridge'), { what: 'the supervision\'s bridge destroyed' });
      expect(ari.requests.filter((r) => r.op === 'hangup').map((r) => r.args.channelId).sort()).toEqual([`${supervision}-snoop1`, `${supervision}-supervisor`]);
      const audited = async () => (await h.stores.audit.latest(10)).filter((e) => e.action === 'call_supervised');
      await waitFor(async () => (await audited()).length === 1, { what: 'the cut-off supervision audited' });
      expect((await audited())[0]).toMatchObject({ actor: '3001', subject: call, details: 'modes=unknown seconds=unknown end=restart' });
    });

    it('given the agent leg vanished while ARI was disconnected, when it reconnects, then the call ends', async () => {
      await addAgent(h.stores);
      const call = await place();
      ari.setConnection('disconnected');
      ari.channels.delete(`${call.callId}-agent`);
      ari.setConnection('connected');
      const updates = await firstValueFrom(call.updates.pipe(toArray()));
      expect(updates.at(-1)).toMatchObject({ final: true, outcome: 'agent_unreachable' });
    });

    it('given the bridge vanished while ARI was disconnected and the customer\'s phone rings, when it reconnects, then the call ends failed instead of connecting into nothing', async () => {
      await addAgent(h.stores);
      const call = await place();
      await targetReady(call);
      await legUp(call, 'agent');
      await send({ type: 'Dial', channelId: `${call.callId}-target`, dialstatus: 'RINGING' });
      ari.setConnection('disconnected');
      ari.bridges.delete(`${call.callId}-bridge`);
      ari.setConnection('connected');
      const updates = await firstValueFrom(call.updates.pipe(toArray()));
      expect(updates.at(-1)).toMatchObject({ final: true, outcome: 'failed', failure: { kind: 'request', request: 'bridge' } });
      expect(ari.channels.has(`${call.callId}-agent`)).toBe(false);
      expect(ari.channels.has(`${call.callId}-target`)).toBe(false);
    });
  });
});
