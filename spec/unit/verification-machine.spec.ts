import { codeMatches, digestOf, randomCode } from '../../verification/verification-code';
import {
  type VerificationEffect, type VerificationEvent, type VerificationPlan, type VerificationResult, type VerificationState,
  RING_GRACE_MS, initialVerificationState, verificationTransition,
} from '../../verification/verification-machine';

const CODE = '482193';
const plan: VerificationPlan = {
  verificationId: 'v1', number: '+12025550100', route: 'M', channelId: 'verify-v1', endpoint: 'PJSIP/+12025550100@trunk-main',
  callerId: '+15550001111', ringTimeoutS: 30, entryTimeoutS: 20, codeLength: 6, isCode: (entered) => codeMatches(entered, digestOf(CODE)), attemptsLeft: 3, expiresAt: 600_000,
};

const ev = {
  started: (): VerificationEvent => ({ type: 'Started', at: 0 }),
  ringing: (): VerificationEvent => ({ type: 'Ringing', at: 0 }),
  answered: (): VerificationEvent => ({ type: 'Answered', at: 0 }),
  ended: (cause: number | null = 16): VerificationEvent => ({ type: 'Ended', cause, at: 0 }),
  timer: (timer: 'ring' | 'entry' | 'expiry'): VerificationEvent => ({ type: 'TimerExpired', timer, at: 0 }),
  cancel: (): VerificationEvent => ({ type: 'Cancel', at: 0 }),
  failed: (): VerificationEvent => ({ type: 'RequestFailed', request: 'originate', error: 'Allocation failed', at: 0 }),
};
const keys = (digits: string): VerificationEvent[] => digits.split('').map((digit) => ({ type: 'Dtmf', digit, at: 0 }));

/** Applies events one second apart (unless an event says when), from a plan's initial state. */
function run(events: VerificationEvent[], p: VerificationPlan = plan): { state: VerificationState; effects: VerificationEffect[] } {
  let state = initialVerificationState(p);
  const effects: VerificationEffect[] = [];
  events.forEach((event, i) => {
    const next = verificationTransition(state, { ...event, at: event.at || (i + 1) * 1000 });
    state = next.state;
    effects.push(...next.effects);
  });
  return { state, effects };
}

const reports = (effects: VerificationEffect[]) => effects.flatMap((e) => (e.type === 'Report' ? [e.report] : []));
const hangups = (effects: VerificationEffect[]) => effects.filter((e) => e.type === 'Hangup').length;
const answeredCall = [ev.started(), ev.ringing(), ev.answered()];

describe('caller-ID verification machine', () => {
  it('given a requested verification, when started, then the number is originated into the app with the ring timer and the code expiry set', () => {
    const { state, effects } = run([ev.started()]);
    expect(state.stage).toBe('dialing');
    expect(effects).toEqual([
      { type: 'Originate', channelId: 'verify-v1', endpoint: plan.endpoint, callerId: '+15550001111', timeoutS: 30, appArgs: 'verify,v1' },
      { type: 'StartTimer', timer: 'ring', ms: 30_000 + RING_GRACE_MS },
      { type: 'StartTimer', timer: 'expiry', ms: 599_000 },
    ]);
  });

  it('given an answered call, then digits are collected with the entry timer running', () => {
    const { state, effects } = run([...answeredCall, ...keys('48')]);
    expect(state.stage).toBe('collecting');
    expect(state.entered).toBe('48');
    expect(effects).toContainEqual({ type: 'StartTimer', timer: 'entry', ms: 20_000 });
  });

  type Row = [string, VerificationEvent[], VerificationResult, { wrongEntries: number; hangsUp: boolean }];
  const table: Row[] = [
    ['the right code', [...answeredCall, ...keys(CODE)], 'verified', { wrongEntries: 0, hangsUp: true }],
    ['a wrong code, then the right one', [...answeredCall, ...keys('111111'), ...keys(CODE)], 'verified', { wrongEntries: 1, hangsUp: true }],
    ['a wrong code as many times as the code allows', [...answeredCall, ...keys('111111'), ...keys('222222'), ...keys('333333')], 'wrong_code', { wrongEntries: 3, hangsUp: true }],
    ['a wrong code, then the far end hangs up', [...answeredCall, ...keys('111111'), ev.ended()], 'hung_up', { wrongEntries: 1, hangsUp: false }],
    ['the entry timing out with part of the code keyed', [...answeredCall, ...keys('482'), ev.timer('entry')], 'no_code', { wrongEntries: 0, hangsUp: true }],
    ['a hang-up before anything is keyed', [...answeredCall, ev.ended()], 'hung_up', { wrongEntries: 0, hangsUp: false }],
    ['busy before answering', [ev.started(), ev.ended(17)], 'unanswered', { wrongEntries: 0, hangsUp: false }],
    ['ringing past the ring timer', [ev.started(), ev.ringing(), ev.timer('ring')], 'unanswered', { wrongEntries: 0, hangsUp: true }],
    ['the code expiring while the call is up', [...answeredCall, ...keys('48'), ev.timer('expiry')], 'expired', { wrongEntries: 0, hangsUp: true }],
    ['the code keyed after it expired', [...answeredCall, ...keys('48219'), { type: 'Dtmf', digit: '3', at: 600_000 }], 'expired', { wrongEntries: 0, hangsUp: true }],
    ['a cancel', [...answeredCall, ev.cancel()], 'cancelled', { wrongEntries: 0, hangsUp: true }],
    ['the originate failing', [ev.started(), ev.failed()], 'failed', { wrongEntries: 0, hangsUp: true }],
  ];

  it.each(table)('given %s, then it ends as its result, reports once and hangs up only a channel still there', (_what, events, result, expected) => {
    const { state, effects } = run(events);
    expect(state.stage).toBe('ended');
    expect(reports(effects)).toEqual([expect.objectContaining({ verificationId: 'v1', number: plan.number, route: 'M', result, wrongEntries: expected.wrongEntries })]);
    expect(hangups(effects)).toBe(expected.hangsUp ? 1 : 0);
  });

  it('given a code already expired when the verification starts, then nothing is dialed and it ends expired', () => {
    const { state, effects } = run([{ type: 'Started', at: 600_000 }]);
    expect(state.result).toBe('expired');
    expect(effects.map((e) => e.type)).toEqual(['Report']);
  });

  it('given a code with one wrong entry left (an earlier call used the others), when it is keyed wrong, then it is spent', () => {
    const { state } = run([...answeredCall, ...keys('000000')], { ...plan, attemptsLeft: 1 });
    expect(state.result).toBe('wrong_code');
  });

  it('given a wrong entry, then the entry starts over with a fresh entry timer and nothing of it is kept', () => {
    const { state, effects } = run([...answeredCall, ...keys('111111')]);
    expect(state).toMatchObject({ stage: 'collecting', entered: '', wrongEntries: 1 });
    expect(effects.filter((e) => e.type === 'StartTimer' && e.timer === 'entry')).toHaveLength(2);
  });

  it('given digits before the answer, or keys that are not digits, then they are ignored', () => {
    const { state } = run([ev.started(), ...keys('48'), ev.answered(), ...keys('*#'), ...keys(CODE)]);
    expect(state.result).toBe('verified');
  });

  it('given an ended verification, when anything more happens, then nothing changes', () => {
    const ended = run([...answeredCall, ...keys(CODE)]).state;
    for (const event of [ev.ended(), ev.cancel(), ...keys('1'), ev.timer('entry')]) {
      expect(verificationTransition(ended, event)).toEqual({ state: ended, effects: [] });
    }
  });

  it('given the report, then it carries the result and counts, never the digits keyed', () => {
    const { effects } = run([...answeredCall, ...keys('111111'), ...keys(CODE)]);
    expect(JSON.stringify(reports(effects))).not.toMatch(/111111|482193/);
  });
});

describe('verification codes', () => {
  it('given the random generator, then a code has the digits asked for', () => {
    for (let i = 0; i < 50; i += 1) expect(randomCode(6)).toMatch(/^\d{6}$/);
  });

  it('given a code\'s digest, then only the code matches it, and the digest does not contain the code', () => {
    const digest = digestOf('004711');
    expect(codeMatches('004711', digest)).toBe(true);
    expect(codeMatches('004712', digest)).toBe(false);
    expect(JSON.stringify(digest)).not.toContain('004711');
  });
});
