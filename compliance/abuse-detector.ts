/**
 * Abuse alerts as pure logic: what an agent did (calls placed, calls ended, calls refused) goes in,
 * alerts come out. No I/O and no timers; time comes from the injected clock, so a spec can slide
 * the windows by hand. The app decides who hears of an alert and how.
 */
import type { AlertThresholds } from '../config/alert-settings';
import type { RuleRefusal } from './rules/call-rule';

export type { AlertThresholds };

export type AlertKind = 'call_rate' | 'short_calls' | 'refusals';

/** Null turns that alert off. */
/** The rules whose refusals say an agent dials what they must not: do-not-call and calling hours. */
export const COUNTED_REFUSALS: ReadonlySet<RuleRefusal['rule']> = new Set(['do_not_call', 'calling_hours', 'calling_hours_unknown_zone']);

interface Who {
  agentId: number;
  agentTelegramId: string;
}

export type AbuseObservation =
  | (Who & { type: 'placed' })
  /** `talkSeconds` is null when the customer never answered. */
  | (Who & { type: 'ended'; talkSeconds: number | null })
  /** `rule` is the compliance rule that refused it, if one did. */
  | (Who & { type: 'refused'; rule?: RuleRefusal['rule'] });

export interface AbuseAlert extends Who {
  kind: AlertKind;
  /** `new`: the first alert of a storm; `repeat`: the storm already reported goes on. */
  storm: 'new' | 'repeat';
  /** What crossed the threshold: calls in the window, short calls in the run, or refusals in the window. */
  count: number;
  /** The threshold it is judged against, and the window for the kinds that have one. */
  limit: number;
  windowMs?: number;
  /** Short calls: the talk time under which a call is short. */
  underS?: number;
  /** How many times this storm has fired, this one included. */
  fired: number;
  firstAt: number;
  at: number;
}

interface Storm {
  fired: number;
  firstAt: number;
  lastAt: number;
}

interface AgentState {
  placedAt: number[];
  shortRun: number;
  refusedAt: number[];
  storms: Map<AlertKind, Storm>;
}

export interface DetectorClock {
  now(): number;
}

export class AbuseDetector {
  private readonly agents = new Map<number, AgentState>();

  constructor(private readonly thresholds: AlertThresholds, private readonly clock: DetectorClock = { now: Date.now }) {}

  /** The alert this observation raises, if any: at most one, since each observation feeds one measure. */
  observe(observation: AbuseObservation): AbuseAlert | undefined {
    const at = this.clock.now();
    const state = this.stateOf(observation.agentId);
    const { rate, shortCalls, refusals } = this.thresholds;
    switch (observation.type) {
      case 'placed': {
        if (!rate) return undefined;
        state.placedAt = withinWindow([...state.placedAt, at], at, rate.windowMs);
        const count = state.placedAt.length;
        return count > rate.calls ? this.fire(state, observation, 'call_rate', count, rate.calls, at, rate.windowMs) : undefined;
      }
      case 'ended': {
        if (!shortCalls) return undefined;
        const short = observation.talkSeconds === null || observation.talkSeconds < shortCalls.underS;
        state.shortRun = short ? state.shortRun + 1 : 0;
        return short && state.shortRun >= shortCalls.inARow
          ? { ...this.fire(state, observation, 'short_calls', state.shortRun, shortCalls.inARow, at), underS: shortCalls.underS } : undefined;
      }
      case 'refused': {
        if (!refusals || !observation.rule || !COUNTED_REFUSALS.has(observation.rule)) return undefined;
        state.refusedAt = withinWindow([...state.refusedAt, at], at, refusals.windowMs);
        const count = state.refusedAt.length;
        return count >= refusals.count ? this.fire(state, observation, 'refusals', count, refusals.count, at, refusals.windowMs) : undefined;
      }
    }
  }

  /** Starts the agent afresh (once suspended, what led to it is dealt with). */
  forget(agentId: number): void {
    this.agents.delete(agentId);
  }

  private fire(state: AgentState, who: Who, kind: AlertKind, count: number, limit: number, at: number, windowMs?: number): AbuseAlert {
    const previous = state.storms.get(kind);
    const goesOn = previous !== undefined && at - previous.lastAt <= this.thresholds.repeatWindowMs;
    const storm: Storm = goesOn ? { fired: previous.fired + 1, firstAt: previous.firstAt, lastAt: at } : { fired: 1, firstAt: at, lastAt: at };
    state.storms.set(kind, storm);
    return {
      agentId: who.agentId, agentTelegramId: who.agentTelegramId, kind, storm: goesOn ? 'repeat' : 'new',
      count, limit, ...(windowMs !== undefined ? { windowMs } : {}), fired: storm.fired, firstAt: storm.firstAt, at,
    };
  }

  private stateOf(agentId: number): AgentState {
    let state = this.agents.get(agentId);
    if (!state) {
      state = { placedAt: [], shortRun: 0, refusedAt: [], storms: new Map() };
      this.agents.set(agentId, state);
    }
    return state;
  }
}

/** The times still inside a window ending at `now`: one exactly a window ago has left it. */
function withinWindow(times: number[], now: number, windowMs: number): number[] {
  return times.filter((t) => t > now - windowMs);
}
