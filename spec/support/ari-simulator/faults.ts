/**
 * Injected failures: a share of the requests that match a rule is answered with an error before
 * the simulator acts on it, as an overloaded or failing Asterisk would. Draws come from a seeded
 * generator, so a spec sees the same failures on every run.
 */

import { seededRandom as seeded } from '../seeded-random';

export interface FaultRule {
  /** HTTP methods it applies to; default POST and DELETE (the requests that change something). */
  methods?: readonly string[];
  /** Path (relative to /ari, e.g. `/channels/abc`) it applies to; default every path. */
  path?: RegExp;
  /** Share of matching requests that fail, 0 to 1. */
  share: number;
  /** Default 500. */
  status?: number;
}

export interface InjectedFault {
  method: string;
  path: string;
  status: number;
}

const DEFAULT_METHODS: readonly string[] = ['POST', 'DELETE'];

export class FaultInjector {
  private rules: readonly FaultRule[] = [];
  private random: () => number = seeded(1);
  /** Every request answered with an injected error, in order. */
  readonly injected: InjectedFault[] = [];

  set(rules: readonly FaultRule[], seed = 1): void {
    for (const rule of rules) {
      if (!(rule.share >= 0 && rule.share <= 1)) throw new Error(`fault share must be within 0..1, got ${rule.share}`);
    }
    this.rules = rules;
    this.random = seeded(seed);
  }

  clear(): void {
    this.rules = [];
  }

  /** The status to answer instead of handling the request, or undefined to handle it. */
  draw(method: string, path: string): number | undefined {
    for (const rule of this.rules) {
      if (!(rule.methods ?? DEFAULT_METHODS).includes(method)) continue;
      if (rule.path !== undefined && !rule.path.test(path)) continue;
      if (this.random() >= rule.share) return undefined;
      const status = rule.status ?? 500;
      this.injected.push({ method, path, status });
      return status;
    }
    return undefined;
  }
}
