import { type CallEffect, type CallEvent, type CallPlan, type CallState, initialCallState, transition } from '../../call/call-machine';

/** Applies `events` to a new call in order, stamped one second apart: the end state, every effect, and the last event's. */
export function runMachine(plan: CallPlan, events: readonly CallEvent[]): { state: CallState; effects: CallEffect[]; last: CallEffect[] } {
  let state = initialCallState(plan, 0);
  const effects: CallEffect[] = [];
  let last: CallEffect[] = [];
  events.forEach((event, i) => {
    ({ state, effects: last } = transition(state, { ...event, at: (i + 1) * 1000 }));
    effects.push(...last);
  });
  return { state, effects, last };
}
