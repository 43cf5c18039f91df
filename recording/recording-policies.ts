import type { RecordingPolicy, RouteCode } from '../call/call-types';
import type { AuditLog, SettingStore } from '../store';
import type { RecordingPolicies } from './recording-types';

export const RECORDING_ROUTES: readonly RouteCode[] = ['M', 'D'];

const KEY = (route: RouteCode) => `recording_policy.${route}`;

export interface RoutePolicy {
  policy: RecordingPolicy;
  /** Set by a super admin in Telegram, or configuration's default (RECORDING_POLICY_M / _D). */
  source: 'admin' | 'config';
}

/**
 * Each route's recording policy: what a super admin set in Telegram (the settings table, so every
 * instance reads the same), else configuration's default. Read at every dial: a change applies to
 * the next call.
 */
export class StoredRecordingPolicies implements RecordingPolicies {
  constructor(private readonly deps: { settings: SettingStore; audit: AuditLog; defaults: Record<RouteCode, RecordingPolicy> }) {}

  async policyFor(route: RouteCode): Promise<RecordingPolicy> {
    return (await this.routePolicy(route)).policy;
  }

  async all(): Promise<Record<RouteCode, RoutePolicy>> {
    const entries = await Promise.all(RECORDING_ROUTES.map(async (route) => [route, await this.routePolicy(route)] as const));
    return Object.fromEntries(entries) as Record<RouteCode, RoutePolicy>;
  }

  /** Whether any route records now (the start-up check of ffmpeg). */
  async anyRecording(): Promise<boolean> {
    return Object.values(await this.all()).some((p) => p.policy !== 'off');
  }

  /** Sets a route's policy, audited; the previous one. */
  async set(route: RouteCode, policy: RecordingPolicy, by: string): Promise<RecordingPolicy> {
    const previous = await this.policyFor(route);
    await this.deps.settings.set(KEY(route), policy, by);
    await this.deps.audit.record({ actor: by, action: 'recording_policy', subject: route, details: `${previous} -> ${policy}` });
    return previous;
  }

  private async routePolicy(route: RouteCode): Promise<RoutePolicy> {
    const stored = await this.deps.settings.get(KEY(route));
    if (stored && isPolicy(stored.value)) return { policy: stored.value, source: 'admin' };
    return { policy: this.deps.defaults[route], source: 'config' };
  }
}

function isPolicy(value: string): value is RecordingPolicy {
  return value === 'off' || value === 'on' || value === 'consent';
}
