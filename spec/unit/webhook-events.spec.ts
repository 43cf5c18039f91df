import type { CallStage } from '../../call/call-types';
import type { CallContext, CallUpdate } from '../../call/call-update';
import { DEFAULT_RETRY_SCHEDULE, nextAttempt } from '../../webhooks/retry-schedule';
import { urlProblem } from '../../webhooks/webhook-endpoints';
import { CallEventTracker, endedEventId, eventIdOf, parseEventTypes } from '../../webhooks/webhook-events';
import { integrationEvent } from '../../webhooks/call-event-feed';
import { SecretRedactor } from '../../config/redact';
import { newWebhookSecret, signatureHeader, verifyWebhook } from '../../webhooks/webhook-signature';

const context: CallContext = { callId: 'c1', agentId: 7, agentTelegramId: '700', agentPhone: '+12025550100', target: '+12025550123', route: 'M', callerId: null };

function typesOf(stages: Array<CallStage | { stage: CallStage; owner: number }>, start = 1000): string[][] {
  const tracker = new CallEventTracker();
  return stages.map((s, i) => {
    const stage = typeof s === 'string' ? s : s.stage;
    const update: CallUpdate = { context, stage, at: start + i, final: stage === 'ended', ...(typeof s === 'string' ? {} : { ownerAgentId: s.owner }) };
    return tracker.eventsOf(update).map((d) => d.type.slice('call.'.length));
  });
}

describe('call events from a call\'s updates', () => {
  it.each<[string, Array<CallStage | { stage: CallStage; owner: number }>, string[][]]>([
    ['a call with confirmation, from request to end',
      ['requested', 'agent_dialing', 'agent_ringing', 'agent_answered', 'target_dialing', 'target_ringing', 'connected', 'ended'],
      [['requested'], [], ['agent_ringing'], ['agent_answered'], [], ['customer_ringing'], ['connected'], ['ended']]],
    ['a call without confirmation (the agent\'s answer dials the customer at once)',
      ['requested', 'agent_ringing', 'target_dialing', 'connected', 'ended'],
      [['requested'], ['agent_ringing'], ['agent_answered'], ['connected'], ['ended']]],
    ['a repeated update of the same stage', ['agent_dialing', 'agent_ringing', 'agent_ringing', 'ended'], [['requested'], ['agent_ringing'], [], ['ended']]],
    ['an agent who never answers', ['requested', 'agent_ringing', 'ended'], [['requested'], ['agent_ringing'], ['ended']]],
    ['a call first seen mid-way (taken over from another instance: the stage it is first seen at is told, under its fixed id)',
      ['connected', 'ended'], [['agent_answered', 'connected'], ['ended']]],
    ['a call first seen while its agent\'s phone rings', ['agent_ringing', 'target_ringing'], [['agent_ringing'], ['agent_answered', 'customer_ringing']]],
    ['a transfer to agent 9', ['requested', 'connected', { stage: 'connected', owner: 9 }, { stage: 'ended', owner: 9 }],
      [['requested'], ['agent_answered', 'connected'], ['transferred'], ['ended']]],
    ['a return call that nobody took passing from agent 7 to agent 9, who answers (no transfer: the call was never connected)',
      ['requested', 'agent_ringing', { stage: 'agent_ringing', owner: 9 }, { stage: 'connected', owner: 9 }, { stage: 'ended', owner: 9 }],
      [['requested'], ['agent_ringing'], [], ['agent_answered', 'connected'], ['ended']]],
  ])('given %s, then each update becomes its events', (_what, stages, expected) => {
    expect(typesOf(stages)).toEqual(expected);
  });

  it('given a transfer, then its event names both agents and the end names the agent who answers for the call', () => {
    const tracker = new CallEventTracker();
    tracker.eventsOf({ context, stage: 'connected', at: 1, final: false });
    expect(tracker.eventsOf({ context, stage: 'connected', at: 2, final: false, ownerAgentId: 9 })).toEqual([
      { type: 'call.transferred', callId: 'c1', at: 2, data: { fromAgentId: 7, toAgentId: 9 } },
    ]);
    const [ended] = tracker.eventsOf({ context, stage: 'ended', at: 3, final: true, ownerAgentId: 9, outcome: 'completed', talkSeconds: 30, endedBy: 'target', hangupCause: 16 });
    expect(ended!.data).toEqual({ outcome: 'completed', talkSeconds: 30, endedBy: 'target', hangupCause: 16, agentId: 9, customer: '+12025550123' });
  });

  it('given a transfer to the agent on leg p3, then its id is decided by the call and that leg (a restart re-derives the same one) and differs from another leg\'s', () => {
    const tracker = new CallEventTracker();
    tracker.eventsOf({ context, stage: 'connected', at: 1, final: false });
    const [transfer] = tracker.eventsOf({ context, stage: 'connected', at: 2, final: false, ownerAgentId: 9, ownerLegId: 'p3' });
    expect(transfer).toMatchObject({ type: 'call.transferred', legId: 'p3', data: { fromAgentId: 7, toAgentId: 9 } });
    const id = eventIdOf(transfer!);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(eventIdOf({ type: 'call.transferred', callId: 'c1', at: 999, legId: 'p3' })).toBe(id);
    expect(eventIdOf({ type: 'call.transferred', callId: 'c1', at: 2, legId: 'p4' })).not.toBe(id);
    expect(eventIdOf({ type: 'call.transferred', callId: 'c1', at: 2 })).toBeUndefined();
  });

  it.each([
    [['ended', 'disposition_set'], { ok: true, types: ['call.ended', 'call.disposition_set'] }],
    [['call.ended,connected', 'ENDED'], { ok: true, types: ['call.ended', 'call.connected'] }],
    [[], { ok: true, types: [] }],
    [['ended,sold', 'x'], { ok: false, unknown: ['sold', 'x'] }],
  ])('given the event words %j, then they read as %j', (words, expected) => {
    expect(parseEventTypes(words)).toEqual(expected);
  });
});

describe('retry schedule', () => {
  const HOUR = 3_600_000;
  const delays = (random: number) => Array.from({ length: 12 }, (_, i) => nextAttempt(DEFAULT_RETRY_SCHEDULE, i + 1, 0, HOUR, () => random));

  it('given failed attempts, then the waits double from 5 s, are capped at an hour, and are drawn from the upper half of each', () => {
    expect(delays(0).map((d) => (d.kind === 'retry' ? d.delayMs : d.kind))).toEqual([2500, 5000, 10000, 20000, 40000, 80000, 160000, 320000, 640000, 1280000, 1800000, 1800000]);
    expect(delays(0.999999).map((d) => (d.kind === 'retry' ? Math.round(d.delayMs / 1000) : d.kind))).toEqual([5, 10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600, 3600]);
  });

  it('given an event younger than a day, then it is retried; once a day old, it is given up', () => {
    expect(nextAttempt(DEFAULT_RETRY_SCHEDULE, 40, 0, 24 * HOUR - 1, () => 0.5).kind).toBe('retry');
    expect(nextAttempt(DEFAULT_RETRY_SCHEDULE, 40, 0, 24 * HOUR, () => 0.5).kind).toBe('give_up');
  });
});

describe('endpoint URLs and signatures', () => {
  it.each([
    ['https://crm.example.com/hooks?x=1', undefined],
    ['http://127.0.0.1:8080/', undefined],
    ['crm.example.com', 'not_a_url'],
    ['ftp://crm.example.com/', 'not_http'],
    ['javascript:alert(1)', 'not_http'],
    ['https://user:secret@crm.example.com/', 'has_credentials'],
    ['a URL of more than 2048 characters', 'too_long'],
  ])('given %s, then its problem is %s', (url, problem) => {
    const input = url.startsWith('a URL') ? `https://crm.example.com/${'a'.repeat(2048)}` : url;
    expect(urlProblem(input)).toBe(problem);
  });

  it('given a signed body, then it verifies with its secret within five minutes only, and not once changed', () => {
    const header = signatureHeader('whsec_a', 1_700_000_000, '{"id":"e1"}');
    expect(verifyWebhook('whsec_a', header, '{"id":"e1"}', 1_700_000_100)).toBe(true);
    expect(verifyWebhook('whsec_a', header, '{"id":"e1"}', 1_700_000_301)).toBe(false);
    expect(verifyWebhook('whsec_b', header, '{"id":"e1"}', 1_700_000_000)).toBe(false);
    expect(verifyWebhook('whsec_a', header, '{"id":"e2"}', 1_700_000_000)).toBe(false);
    expect(verifyWebhook('whsec_a', 'v1=00', '{"id":"e1"}', 1_700_000_000)).toBe(false);
  });

  it('given an endpoint\'s secret in a log line, then the line never shows it', () => {
    const secret = newWebhookSecret();
    expect(new SecretRedactor([]).redact(`adding failed: ${secret} was refused`)).toBe('adding failed: whsec_[redacted] was refused');
  });
});

describe('a call\'s ended event id', () => {
  it('given a call id, then the id is a UUID, the same every time, and another call\'s differs', () => {
    expect(endedEventId('c1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(endedEventId('c1')).toBe(endedEventId('c1'));
    expect(endedEventId('c2')).not.toBe(endedEventId('c1'));
  });
});

describe('the HTTP API\'s events as webhooks', () => {
  const at = new Date(5000);

  it('given a request\'s events, then they share the request\'s id, so they reach an endpoint in order', () => {
    const drafts = [
      integrationEvent({ kind: 'requested', requestId: 'r1', keyName: 'hubspot', agentTelegramId: '700', number: '+12025550123', requester: 'HubSpot', mode: 'prompt', at }),
      integrationEvent({ kind: 'placed', requestId: 'r1', agentTelegramId: '700', callId: 'c1', at }),
      integrationEvent({ kind: 'declined', requestId: 'r1', agentTelegramId: '700', at }),
    ];
    expect(drafts.map((d) => [d.type, d.callId])).toEqual([['call.api_requested', 'r1'], ['call.api_placed', 'r1'], ['call.api_declined', 'r1']]);
    expect(drafts[1]!.data).toEqual({ requestId: 'r1', agentTelegramId: '700', placedCallId: 'c1' });
  });

  it('given a request a rule refused before it was kept, then it is a call.refused with the rule and an id of its own', () => {
    const draft = integrationEvent({ kind: 'refused', keyName: 'hubspot', agentTelegramId: '700', code: 'rule', record: 'rule: do_not_call', rule: { rule: 'do_not_call', since: new Date('2026-01-01T00:00:00Z') }, at });
    expect(draft).toMatchObject({
      type: 'call.refused', at: 5000,
      data: { requestId: null, apiKey: 'hubspot', refusal: 'rule', rule: { rule: 'do_not_call', record: expect.any(String) } },
    });
    expect(draft.callId).toMatch(/^[0-9a-f-]{36}$/);
  });
});
