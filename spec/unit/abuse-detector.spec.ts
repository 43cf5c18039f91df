import { type AbuseAlert, AbuseDetector, type AbuseObservation, type AlertThresholds } from '../../compliance/abuse-detector';
import { ManualClock } from '../support/manual-clock';

const MIN = 60_000;
const ann = { agentId: 1, agentTelegramId: '2001' };
const bob = { agentId: 2, agentTelegramId: '2002' };

const OFF: AlertThresholds = { rate: null, shortCalls: null, refusals: null, repeatWindowMs: 30 * MIN };

const placed = (who = ann): AbuseObservation => ({ ...who, type: 'placed' });
const ended = (talkSeconds: number | null, who = ann): AbuseObservation => ({ ...who, type: 'ended', talkSeconds });
const refused = (rule?: 'do_not_call' | 'calling_hours' | 'calling_hours_unknown_zone' | 'number_cap' | 'agent_cap', who = ann): AbuseObservation =>
  ({ ...who, type: 'refused', ...(rule ? { rule } : {}) });

/** Feeds observations one after another, `stepMs` apart, and returns what each raised. */
async function feed(detector: AbuseDetector, clock: ManualClock, observations: AbuseObservation[], stepMs = 0): Promise<Array<AbuseAlert | undefined>> {
  const raised: Array<AbuseAlert | undefined> = [];
  for (const observation of observations) {
    raised.push(detector.observe(observation));
    await clock.advance(stepMs);
  }
  return raised;
}

const times = <T>(n: number, make: () => T): T[] => Array.from({ length: n }, make);

describe('abuse detector', () => {
  let clock: ManualClock;
  beforeEach(() => { clock = new ManualClock(); });

  describe('call rate: more than N calls placed in the window', () => {
    const thresholds: AlertThresholds = { ...OFF, rate: { calls: 3, windowMs: 10 * MIN } };

    it.each([
      { placed: 3, raised: undefined },
      { placed: 4, raised: { kind: 'call_rate', storm: 'new', count: 4, limit: 3, windowMs: 10 * MIN, fired: 1 } },
      { placed: 5, raised: { kind: 'call_rate', storm: 'repeat', count: 5, limit: 3, windowMs: 10 * MIN, fired: 2 } },
    ])('given $placed calls a minute apart, then the last raises $raised', async ({ placed: n, raised }) => {
      const detector = new AbuseDetector(thresholds, clock);
      const alerts = await feed(detector, clock, times(n, () => placed()), MIN);
      expect(alerts.at(-1)).toEqual(raised === undefined ? undefined : expect.objectContaining({ ...ann, ...raised }));
      expect(alerts.slice(0, 3)).toEqual([undefined, undefined, undefined]);
    });

    it.each([
      // Four calls 3 min 20 s apart span exactly 10 min: the first has left the window.
      { apartMs: 10 * MIN / 3, raised: false },
      { apartMs: 10 * MIN / 3 - 1, raised: true },
    ])('given four calls $apartMs ms apart, then the window holds them all: $raised', async ({ apartMs, raised }) => {
      const detector = new AbuseDetector(thresholds, clock);
      const alerts = await feed(detector, clock, times(4, () => placed()), apartMs);
      expect(alerts.at(-1) !== undefined).toBe(raised);
    });

    it('counts each agent on their own', async () => {
      const detector = new AbuseDetector(thresholds, clock);
      const alerts = await feed(detector, clock, [placed(ann), placed(bob), placed(ann), placed(bob), placed(ann), placed(bob)]);
      expect(alerts.every((a) => a === undefined)).toBe(true);
    });
  });

  describe('short calls: N in a row under the talk time, or unanswered', () => {
    const thresholds: AlertThresholds = { ...OFF, shortCalls: { inARow: 3, underS: 10 } };

    it.each([
      { talk: [5, null], raised: false },
      { talk: [5, null, 9], raised: true },
      { talk: [5, null, 9, 0], raised: true },
      { talk: [5, null, 10], raised: false },
      { talk: [5, 60, null, 9], raised: false },
      { talk: [5, 60, null, 9, 3], raised: true },
    ])('given calls with talk times $talk, then the last raises: $raised', async ({ talk, raised }) => {
      const detector = new AbuseDetector(thresholds, clock);
      const alerts = await feed(detector, clock, talk.map((t) => ended(t)));
      expect(alerts.at(-1) !== undefined).toBe(raised);
    });

    it('says how long the run is', async () => {
      const detector = new AbuseDetector(thresholds, clock);
      const alerts = await feed(detector, clock, times(4, () => ended(null)));
      expect(alerts.slice(2)).toEqual([
        expect.objectContaining({ kind: 'short_calls', storm: 'new', count: 3, limit: 3, fired: 1 }),
        expect.objectContaining({ kind: 'short_calls', storm: 'repeat', count: 4, limit: 3, fired: 2 }),
      ]);
      expect(alerts[2]).not.toHaveProperty('windowMs');
    });
  });

  describe('refusals: N do-not-call or calling-hours refusals in the window', () => {
    const thresholds: AlertThresholds = { ...OFF, refusals: { count: 3, windowMs: 60 * MIN } };

    it.each([
      { rules: ['do_not_call', 'calling_hours'] as const, raised: false },
      { rules: ['do_not_call', 'calling_hours', 'calling_hours_unknown_zone'] as const, raised: true },
      { rules: ['do_not_call', 'do_not_call', 'do_not_call', 'do_not_call'] as const, raised: true },
      // Caps and refusals without a rule (no route, live call…) are not what this alert is about.
      { rules: ['do_not_call', 'number_cap', 'agent_cap', undefined, 'calling_hours'] as const, raised: false },
    ])('given refusals by $rules, then the last raises: $raised', async ({ rules, raised }) => {
      const detector = new AbuseDetector(thresholds, clock);
      const alerts = await feed(detector, clock, rules.map((r) => refused(r)));
      expect(alerts.at(-1) !== undefined).toBe(raised);
    });

    it.each([
      { apartMs: 30 * MIN, raised: false },
      { apartMs: 30 * MIN - 1, raised: true },
    ])('given three refusals $apartMs ms apart, then the hour holds them all: $raised', async ({ apartMs, raised }) => {
      const detector = new AbuseDetector(thresholds, clock);
      const alerts = await feed(detector, clock, times(3, () => refused('do_not_call')), apartMs);
      expect(alerts.at(-1) !== undefined).toBe(raised);
    });
  });

  describe('storms: repeats close together are one alert', () => {
    const thresholds: AlertThresholds = { ...OFF, rate: { calls: 1, windowMs: 60 * MIN }, repeatWindowMs: 5 * MIN };

    it('given an alert firing every minute, then it is one storm that counts its repeats from the first', async () => {
      const detector = new AbuseDetector(thresholds, clock);
      const alerts = await feed(detector, clock, times(6, () => placed()), MIN);
      expect(alerts.map((a) => a && [a.storm, a.fired, a.firstAt])).toEqual([
        undefined, ['new', 1, MIN], ['repeat', 2, MIN], ['repeat', 3, MIN], ['repeat', 4, MIN], ['repeat', 5, MIN],
      ]);
    });

    it.each([
      { quietMs: 5 * MIN, storm: 'repeat' },
      { quietMs: 5 * MIN + 1, storm: 'new' },
    ])('given $quietMs ms after the last firing, then the next is a $storm storm', async ({ quietMs, storm }) => {
      const detector = new AbuseDetector(thresholds, clock);
      await feed(detector, clock, [placed(), placed()]);
      await clock.advance(quietMs);
      expect(detector.observe(placed())).toEqual(expect.objectContaining({ storm, fired: storm === 'new' ? 1 : 2 }));
    });

    it('keeps one storm per agent and kind', async () => {
      const detector = new AbuseDetector({ ...thresholds, shortCalls: { inARow: 1, underS: 10 } }, clock);
      const alerts = await feed(detector, clock, [placed(ann), placed(ann), ended(1, ann), placed(bob), placed(bob)]);
      expect(alerts.map((a) => a && `${a.agentTelegramId} ${a.kind} ${a.storm}`)).toEqual([
        undefined, '2001 call_rate new', '2001 short_calls new', undefined, '2002 call_rate new',
      ]);
    });

    it('given the agent forgotten (suspended), then they start afresh', async () => {
      const detector = new AbuseDetector(thresholds, clock);
      await feed(detector, clock, [placed(), placed()]);
      detector.forget(ann.agentId);
      expect(detector.observe(placed())).toBeUndefined();
      expect(detector.observe(placed())).toEqual(expect.objectContaining({ storm: 'new', count: 2 }));
    });
  });

  it('given every alert off, then nothing is raised', async () => {
    const detector = new AbuseDetector(OFF, clock);
    const alerts = await feed(detector, clock, [...times(50, () => placed()), ...times(50, () => ended(null)), ...times(50, () => refused('do_not_call'))]);
    expect(alerts.every((a) => a === undefined)).toBe(true);
  });
});
