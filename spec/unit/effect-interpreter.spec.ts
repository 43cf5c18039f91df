import { silentLogger } from '../../config/logger';
import { EffectInterpreter, type OwnEffect } from '../../engine/effect-interpreter';
import { waitFor } from '../support/wait-for';

/** A toy machine: it asks for a timer and a request, and ends when told to, hanging up on the way. */
interface ToyState { stage: 'live' | 'ended'; heard: string[] }
type ToyEvent = { type: 'Start' | 'Stop'; at: number } | { type: 'TimerExpired'; timer: 'tick'; at: number } | { type: 'RequestFailed'; error: string; at: number };
type ToyEffect =
  | { type: 'StartTimer'; timer: 'tick'; ms: number }
  | { type: 'CancelTimer'; timer: 'tick' }
  | { type: 'Request' }
  | { type: 'Hangup' };

function toyTransition(state: ToyState, event: ToyEvent): { state: ToyState; effects: ToyEffect[] } {
  if (state.stage === 'ended') return { state, effects: [] };
  const heard = [...state.heard, event.type === 'RequestFailed' ? `failed: ${event.error}` : event.type];
  switch (event.type) {
    case 'Start': return { state: { ...state, heard }, effects: [{ type: 'StartTimer', timer: 'tick', ms: 1 }, { type: 'Request' }] };
    case 'TimerExpired': return { state: { ...state, heard }, effects: [] };
    case 'RequestFailed':
    case 'Stop': return { state: { stage: 'ended', heard }, effects: [{ type: 'Hangup' }, { type: 'CancelTimer', timer: 'tick' }] };
  }
}

interface Toy { state: ToyState }

function interpreter(request: () => Promise<void>, hangup: () => Promise<void>) {
  const forgotten: Toy[] = [];
  const toys: EffectInterpreter<ToyState, ToyEvent, ToyEffect, 'tick', Toy, undefined> = new EffectInterpreter({
    machine: {
      transition: toyTransition,
      ended: (s: ToyState) => s.stage === 'ended',
      timerExpired: (timer: 'tick', at: number): ToyEvent => ({ type: 'TimerExpired', timer, at }),
    },
    execute: (toy: Toy, effect: OwnEffect<ToyEffect>, run) => {
      if (effect.type === 'Request') toys.failOnError(toy, request(), (err, at) => ({ type: 'RequestFailed', error: String(err), at }));
      else run.teardown.push(toys.tearDown(toy, 'hang up', hangup));
    },
    forget: (toy) => forgotten.push(toy),
    describe: () => ({}),
    logger: silentLogger(),
    now: Date.now,
    teardownRetry: { firstDelayMs: 1, maxDelayMs: 1, giveUpAfterMs: 5000 },
  });
  return { toys, forgotten };
}

describe('the effect interpreter shared by the call and verification runners', () => {
  it('given a run whose machine started a timer, when the timer expires, then the machine hears it', async () => {
    const { toys } = interpreter(() => Promise.resolve(), () => Promise.resolve());
    const toy: Toy = { state: { stage: 'live', heard: [] } };
    toys.begin(toy, undefined);
    toys.dispatch(toy, { type: 'Start', at: 0 });
    await waitFor(() => toy.state.heard.includes('TimerExpired'), { what: 'the timer to fire' });
    expect(toy.state.heard).toEqual(['Start', 'TimerExpired']);
  });

  it('given a request that fails, then the machine hears the event made of its failure', async () => {
    const { toys } = interpreter(() => Promise.reject(new Error('refused')), () => Promise.resolve());
    const toy: Toy = { state: { stage: 'live', heard: [] } };
    toys.begin(toy, undefined);
    toys.dispatch(toy, { type: 'Start', at: 0 });
    await waitFor(() => toy.state.stage === 'ended', { what: 'the run to end' });
    expect(toy.state.heard).toEqual(['Start', 'failed: Error: refused']);
  });

  it('given a request in flight, when the runner is asked whether it has settled, then it waits for the answer and for the teardown the failure started', async () => {
    let refuse!: (err: Error) => void;
    let hungUp = false;
    const { toys } = interpreter(() => new Promise((_, reject) => { refuse = reject; }), async () => { hungUp = true; });
    const toy: Toy = { state: { stage: 'live', heard: [] } };
    toys.begin(toy, undefined);
    toys.dispatch(toy, { type: 'Start', at: 0 });
    let settled = false;
    const settling = toys.settled().then(() => { settled = true; });
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);

    refuse(new Error('socket hang up'));
    await settling;
    expect(toy.state).toMatchObject({ stage: 'ended' });
    expect(toy.state.heard).toContain('failed: Error: socket hang up');
    expect(hungUp).toBe(true);
  });

  it('given a run that ended while its hang-up fails twice, then the hang-up is retried and the run is forgotten only once it went through', async () => {
    let tries = 0;
    const { toys, forgotten } = interpreter(() => new Promise(() => undefined), async () => {
      tries += 1;
      if (tries < 3) throw new Error('not connected');
    });
    const toy: Toy = { state: { stage: 'live', heard: [] } };
    toys.begin(toy, undefined);
    toys.dispatch(toy, { type: 'Stop', at: 0 });
    expect(forgotten).toEqual([]);
    await waitFor(() => forgotten.length === 1, { what: 'the run to be forgotten' });
    expect(tries).toBe(3);
    // An ended run stays ended: a late event changes nothing.
    toys.dispatch(toy, { type: 'Start', at: 1 });
    expect(toy.state.heard).toEqual(['Stop']);
  });
});
