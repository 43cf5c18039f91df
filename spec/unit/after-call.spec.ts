import { AfterCallWork, type AfterCallDeps } from '../../after-call/after-call-work';
import { afterCallRefusal, checkNote, codesFor, effectOf, type WorkedCall } from '../../after-call/dispositions';
import { DEFAULT_DISPOSITION_CODES, parseDispositionCodes, type DispositionCode } from '../../config/after-call-settings';
import { loadConfig } from '../../config/config';
import { DispositionRule } from '../../compliance/rules/disposition-rule';
import type { Call } from '../../entities';
import { maskedForDisplay } from '../../phone/number-policy';
import type { AuditEntry } from '../../store/audit-log';
import { decodeCallback, encodeCallback } from '../../telegram/menus/callback-data';

const CALL_ID = '0b7f4f5e-8a51-4c1e-9d55-7d2f3a9c1e01';
const DEFAULTS = (parseDispositionCodes(DEFAULT_DISPOSITION_CODES) as { ok: true; codes: DispositionCode[] }).codes;

function call(overrides: Partial<Call> = {}): Call {
  return {
    id: CALL_ID, agentId: 7, onCallAgentId: 7, stage: 'ended', outcome: 'completed', target: '+12025550123', disposition: null, dispositionAt: null,
    note: null, targetRingingAt: new Date(0), connectedAt: new Date(0), endedAt: new Date(60_000), telegramChatId: '7007', statusMessageId: 42,
    ...overrides,
  } as Call;
}

const ENV = { TELEGRAM_BOT_TOKEN: '1:x', SUPER_ADMIN_IDS: '1', ARI_USERNAME: 'u', ARI_PASSWORD: 'p' };

describe('after-call settings', () => {
  it('given no DISPOSITION_CODES, then the six default codes are offered in order, REQUIRE_DISPOSITION is off and a note holds 2000 characters', () => {
    const { afterCall } = loadConfig(ENV);
    expect(afterCall.dispositions.map((c) => c.label)).toEqual(['Interested', 'Call back', 'Not interested', 'Wrong number', 'Voicemail', 'Asked not to be called']);
    expect(afterCall).toMatchObject({ requireDisposition: false, noteMaxChars: 2000 });
  });

  it('given codes with labels, then they are read with the labels trimmed; REQUIRE_DISPOSITION=true turns the requirement on', () => {
    const { afterCall } = loadConfig({ ...ENV, DISPOSITION_CODES: ' sale:Sale 💰 , callback : Later ', REQUIRE_DISPOSITION: 'true', NOTE_MAX_CHARS: '500' });
    expect(afterCall).toEqual({ dispositions: [{ code: 'sale', label: 'Sale 💰' }, { code: 'callback', label: 'Later' }], requireDisposition: true, noteMaxChars: 500 });
  });

  it.each([
    ['Interested', /DISPOSITION_CODES: expects comma-separated code:Label pairs/],
    ['Sale:Sale', /DISPOSITION_CODES: code "Sale": expects 1-16 characters of a-z 0-9 _/],
    ['a_code_longer_than_16:x', /expects 1-16 characters/],
    ['a:x,a:y', /DISPOSITION_CODES: code a is listed twice/],
    [`a:${'x'.repeat(33)}`, /the label of a: expects at most 32 characters/],
    [Array.from({ length: 13 }, (_, i) => `c${i}:C`).join(','), /at most 12 codes/],
  ])('given DISPOSITION_CODES=%s, then the service refuses to start and says why', (value, problem) => {
    expect(() => loadConfig({ ...ENV, DISPOSITION_CODES: value })).toThrow(problem);
  });

  it.each([['maybe'], ['0.5']])('given REQUIRE_DISPOSITION=%s, then it is refused', (value) => {
    expect(() => loadConfig({ ...ENV, REQUIRE_DISPOSITION: value })).toThrow(/REQUIRE_DISPOSITION: expects true or false/);
  });

  it('given the longest code, then its button\'s callback data fits Telegram\'s 64 bytes and decodes back', () => {
    const data = encodeCallback({ kind: 'dispose', code: 'a'.repeat(16), callId: CALL_ID });
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(decodeCallback(data)).toEqual({ kind: 'dispose', code: 'a'.repeat(16), callId: CALL_ID });
    expect(decodeCallback(`dp:Bad Code:${CALL_ID}`)).toBeUndefined();
    expect(decodeCallback('dp:interested:+12025550123')).toBeUndefined();
  });
});

describe('who may work on a call after it', () => {
  it.each<[string, WorkedCall | null, number | null, ReturnType<typeof afterCallRefusal>]>([
    ['its agent, once ended', call(), 7, undefined],
    ['the agent who took it by transfer', call({ onCallAgentId: 9 }), 9, undefined],
    ['the agent who placed it and handed it on', call({ onCallAgentId: 9 }), 7, undefined],
    ['another agent', call(), 8, 'not_your_call'],
    ['someone who is no active agent', call(), null, 'not_your_call'],
    ['its agent while it is live', call({ stage: 'connected' }), 7, 'not_ended'],
    ['an unknown call', null, 7, 'unknown_call'],
    ['a refused request', call({ outcome: 'refused' }), 7, 'unknown_call'],
  ])('given %s, then the answer is %s', (_what, worked, agentId, refusal) => {
    expect(afterCallRefusal(worked, agentId)).toBe(refusal);
  });

  it('given the codes, then only callback and dnc act, and "Asked not to be called" is offered only after a call someone answered', () => {
    expect(DEFAULTS.map((c) => effectOf(c.code))).toEqual(['none', 'callback', 'none', 'none', 'none', 'do_not_call']);
    expect(codesFor(DEFAULTS, 'completed')).toHaveLength(6);
    expect(codesFor(DEFAULTS, 'target_no_answer').map((c) => c.code)).not.toContain('dnc');
  });
});

describe('a note', () => {
  it('given 10,000 characters, then it is refused with the count and the limit', () => {
    expect(checkNote('ж'.repeat(10_000), 2000)).toEqual({ ok: false, problem: 'too_long', chars: 10_000, max: 2000 });
  });

  it('given emoji, then each counts as one character, not as its two UTF-16 units', () => {
    expect(checkNote('👍'.repeat(2000), 2000)).toMatchObject({ ok: true, chars: 2000 });
    expect(checkNote('👍'.repeat(2001), 2000)).toMatchObject({ ok: false, problem: 'too_long', chars: 2001 });
  });

  it('given a NUL, other control characters and a lone surrogate, then they are removed or replaced and the rest is kept', () => {
    expect(checkNote('  call\u0000 back\u0007 \ud800 after 5\n(رقم) \u200f ', 100)).toEqual({ ok: true, note: 'call back \ufffd after 5\n(رقم) \u200f', chars: 27 });
  });

  it('given only blanks and control characters, then it is empty', () => {
    expect(checkNote(' \u0000\n\t ', 100)).toEqual({ ok: false, problem: 'empty' });
  });
});

describe('a number named in a refusal', () => {
  it.each([['+12025550123', '+1 •••-•••-0123'], ['+442079460958', '+44 •• •••• 0958'], ['12345678', '••••5678']])('given %s, then it reads %s', (e164, shown) => {
    expect(maskedForDisplay(e164)).toBe(shown);
  });
});

/** The work with its stores as plain values: every write and audit entry recorded. */
function workOn(row: Call | null, extra: Partial<AfterCallDeps> = {}) {
  const audit: AuditEntry[] = [];
  const writes: Array<[string, ...unknown[]]> = [];
  const marked: string[] = [];
  const work = new AfterCallWork({
    calls: {
      byId: async (id) => (row && row.id === id ? row : null),
      callWithStatusMessage: async (chatId, messageId) => (row && row.telegramChatId === chatId && row.statusMessageId === messageId ? row : null),
      recordDisposition: async (id, code, at) => { writes.push(['disposition', id, code, at.getTime()]); },
      recordNote: async (id, note) => { writes.push(['note', id, note]); },
    },
    audit: { record: async (entry) => { audit.push(entry); } },
    doNotCall: {
      markFromCall: async (by, callId) => {
        marked.push(callId);
        return { number: '+12025550123', added: marked.length === 1, entry: { number: '+12025550123', since: new Date(0), kind: 'agent', addedBy: by, reason: 'r', callId } };
      },
    },
    doNotCallReason: 'asked not to be called',
    settings: { dispositions: DEFAULTS, noteMaxChars: 2000 },
    now: () => 1000,
    ...extra,
  });
  return { work, audit, writes, marked };
}

const ANN = { agentId: 7, telegramId: '7007', chatId: '7007' };

describe('choosing a disposition', () => {
  it('given the agent\'s ended call, when they choose and then choose again, then each change is written and audited, and the same choice again writes nothing', async () => {
    const { work, audit, writes } = workOn(call());
    expect(await work.choose(ANN, CALL_ID, 'interested')).toMatchObject({ ok: true, chosen: { label: 'Interested' }, previous: null, followUp: { kind: 'none' } });
    expect(await work.choose(ANN, CALL_ID, 'voicemail')).toMatchObject({ ok: true, previous: 'interested' });
    expect(await work.choose(ANN, CALL_ID, 'voicemail')).toMatchObject({ ok: true, previous: 'voicemail' });
    expect(writes).toEqual([['disposition', CALL_ID, 'interested', 1000], ['disposition', CALL_ID, 'voicemail', 1000]]);
    expect(audit).toEqual([
      { actor: '7007', action: 'call_disposition', subject: CALL_ID, details: 'interested' },
      { actor: '7007', action: 'call_disposition', subject: CALL_ID, details: 'voicemail (was interested)' },
    ]);
  });

  it.each([
    ['another agent', { ...ANN, agentId: 8 }, 'interested', 'not_your_call'],
    ['a code no longer configured', ANN, 'sale', 'unknown_code'],
  ] as const)('given %s, then nothing is written', async (_what, by, code, refusal) => {
    const { work, audit, writes } = workOn(call());
    expect(await work.choose(by, CALL_ID, code)).toEqual({ ok: false, refusal });
    expect([...writes, ...audit]).toEqual([]);
  });

  it('given an unanswered call, then "Asked not to be called" was never offered and is refused as stale', async () => {
    const { work, marked } = workOn(call({ outcome: 'target_no_answer', connectedAt: null }));
    expect(await work.choose(ANN, CALL_ID, 'dnc')).toEqual({ ok: false, refusal: 'unknown_code' });
    expect(marked).toEqual([]);
  });

  it('given "Asked not to be called", then the number is listed through the do-not-call service, once', async () => {
    const { work, marked } = workOn(call());
    expect(await work.choose(ANN, CALL_ID, 'dnc')).toMatchObject({ ok: true, followUp: { kind: 'do_not_call', number: '+12025550123', added: true } });
    expect(await work.choose(ANN, CALL_ID, 'dnc')).toMatchObject({ ok: true, followUp: { kind: 'do_not_call', added: false } });
    expect(marked).toEqual([CALL_ID, CALL_ID]);
  });

  it('given "Call back" and a callback offer, then the disposition is written before the offer is made, with the chat, agent, call and message', async () => {
    const order: string[] = [];
    const offers: unknown[] = [];
    const { work, writes } = workOn(call(), {
      callbackOffer: { offer: async (request) => { order.push(`offer after ${writes.length} write`); offers.push(request); } },
    });
    expect(await work.choose(ANN, CALL_ID, 'callback', 42)).toMatchObject({ ok: true, followUp: { kind: 'callback', offer: 'offered' } });
    expect(order).toEqual(['offer after 1 write']);
    expect(offers).toEqual([{ chatId: '7007', agentTelegramId: '7007', callId: CALL_ID, statusMessageId: 42 }]);
  });

  it('given "Call back" and no callback offer, or one that fails, then the disposition stays and the answer says which', async () => {
    expect(await workOn(call()).work.choose(ANN, CALL_ID, 'callback')).toMatchObject({ ok: true, followUp: { kind: 'callback', offer: 'not_set_up' } });
    const failing = workOn(call(), { callbackOffer: { offer: async () => { throw new Error('down'); } } });
    expect(await failing.work.choose(ANN, CALL_ID, 'callback')).toMatchObject({ ok: true, followUp: { kind: 'callback', offer: 'failed' } });
    expect(failing.writes).toHaveLength(1);
  });
});

describe('keeping a note', () => {
  it('given a reply to the status message of the agent\'s ended call, then it is kept and audited by its length; a second one replaces it', async () => {
    const row = call();
    const { work, audit, writes } = workOn(row);
    expect(await work.note(ANN, 42, 'wants the annual plan')).toMatchObject({ ok: true, replaced: false, chars: 21 });
    expect(await work.note(ANN, 42, 'no: monthly')).toMatchObject({ ok: true, replaced: true });
    expect(writes).toEqual([['note', CALL_ID, 'wants the annual plan'], ['note', CALL_ID, 'no: monthly']]);
    expect(audit.map((e) => e.details)).toEqual(['21 characters', '11 characters, replacing the last note']);
  });

  it.each([
    ['a note of 10,000 characters', call(), ANN, 42, 'x'.repeat(10_000), { ok: false, refusal: 'too_long', chars: 10_000, max: 2000 }],
    ['a reply to another message', call(), ANN, 41, 'hello', { ok: false, refusal: 'not_a_status' }],
    ['a reply in another chat', call(), { ...ANN, chatId: '8008' }, 42, 'hello', { ok: false, refusal: 'not_a_status' }],
    ['a live call', call({ stage: 'connected' }), ANN, 42, 'hello', { ok: false, refusal: 'not_ended' }],
    ['another agent\'s call', call(), { ...ANN, agentId: 8 }, 42, 'hello', { ok: false, refusal: 'not_your_call' }],
  ])('given %s, then nothing is written', async (_what, row, by, repliedTo, text, answer) => {
    const { work, audit, writes } = workOn(row);
    expect(await work.note(by, repliedTo, text)).toMatchObject(answer);
    expect([...writes, ...audit]).toEqual([]);
  });
});

describe('REQUIRE_DISPOSITION', () => {
  const attempt = { agentId: 7, agentTelegramId: '7007', target: '+12025550199', route: 'M' as const, at: 0 };
  const rule = (last: Call | null) => new DispositionRule({ lastCallEndedWithAgent: async () => last });

  it('given the agent\'s last call without a disposition, then the next call is refused naming that call', async () => {
    expect(await rule(call()).check(attempt)).toEqual({ rule: 'disposition_required', callId: CALL_ID, target: '+12025550123', endedAt: new Date(60_000), outcome: 'completed' });
  });

  it.each([
    ['no call yet', null],
    ['a disposition chosen', call({ disposition: 'interested' })],
    ['a call that ended at the agent\'s own phone', call({ outcome: 'agent_no_answer', targetRingingAt: null, connectedAt: null })],
  ])('given %s, then the call may go ahead', async (_what, last) => {
    expect(await rule(last).check(attempt)).toBeUndefined();
  });

  it('given a customer who did not answer, then an outcome is still required', async () => {
    expect(await rule(call({ outcome: 'target_no_answer', connectedAt: null })).check(attempt)).toMatchObject({ rule: 'disposition_required' });
  });
});
