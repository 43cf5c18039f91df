/**
 * The HTTP API's keys: made and revoked by super admins (/apikeys), each with its scopes and rate.
 * A token is `cb.<name>.<43 characters>`: the name finds the key, and the SHA-256 of the whole token
 * is compared in constant time. The token is returned once, by `create`, and never stored.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKey } from '../entities';
import type { ApiKeyStore, AuditLog } from '../store';

export const API_SCOPES = ['calls:place', 'calls:read', 'dnc:manage'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

const NAME = /^[a-z0-9][a-z0-9_-]{0,15}$/;
const TOKEN = /^cb\.([a-z0-9][a-z0-9_-]{0,15})\.([A-Za-z0-9_-]{43})$/;
export const MAX_RATE_PER_MIN = 100_000;

/** A key as a request carries it, once its token is checked. */
export interface ApiCaller {
  id: number;
  name: string;
  scopes: ReadonlySet<ApiScope>;
  ratePerMin: number;
}

export type CreateRefusal = 'bad_name' | 'no_scopes' | 'unknown_scope' | 'bad_rate' | 'name_taken';

export interface ApiKeysDeps {
  keys: ApiKeyStore;
  audit: AuditLog;
  defaultRatePerMin: number;
  now?: () => number;
}

export class ApiKeys {
  private readonly now: () => number;

  constructor(private readonly deps: ApiKeysDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Makes a key: its token (to show once) or why not; audited with its scopes and rate, never its token. */
  async create(by: string, name: string, scopes: readonly string[], ratePerMin?: number): Promise<{ ok: true; token: string; key: ApiKey } | { ok: false; refusal: CreateRefusal; unknown?: string[] }> {
    if (!NAME.test(name)) return { ok: false, refusal: 'bad_name' };
    if (scopes.length === 0) return { ok: false, refusal: 'no_scopes' };
    const unknown = scopes.filter((s) => !(API_SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0) return { ok: false, refusal: 'unknown_scope', unknown };
    const rate = ratePerMin ?? this.deps.defaultRatePerMin;
    if (!Number.isInteger(rate) || rate < 1 || rate > MAX_RATE_PER_MIN) return { ok: false, refusal: 'bad_rate' };
    const token = `cb.${name}.${randomBytes(32).toString('base64url')}`;
    const sorted = API_SCOPES.filter((s) => scopes.includes(s));
    const key = await this.deps.keys.add({ name, tokenHash: tokenHash(token), scopes: sorted.join(' '), ratePerMin: rate, createdBy: by });
    if (key === 'name_taken') return { ok: false, refusal: 'name_taken' };
    await this.deps.audit.record({ actor: by, action: 'api_key_created', subject: name, details: `scopes=${sorted.join(',')} rate=${rate}/min` });
    return { ok: true, token, key };
  }

  /** Revokes a live key; false (nothing audited) when there is none of that name. */
  async revoke(by: string, name: string): Promise<boolean> {
    const revoked = await this.deps.keys.revoke(name, new Date(this.now()));
    if (revoked) await this.deps.audit.record({ actor: by, action: 'api_key_revoked', subject: name });
    return revoked;
  }

  list(): Promise<ApiKey[]> {
    return this.deps.keys.list();
  }

  /** The live key a bearer token names, or undefined for anything else (malformed, unknown, revoked, wrong secret). */
  async authenticate(token: string | undefined): Promise<ApiCaller | undefined> {
    const match = token ? TOKEN.exec(token) : null;
    if (!match || !token) return undefined;
    const key = await this.deps.keys.byName(match[1]!);
    if (!key || key.revokedAt) return undefined;
    const given = Buffer.from(tokenHash(token), 'hex');
    const stored = Buffer.from(key.tokenHash, 'hex');
    if (given.length !== stored.length || !timingSafeEqual(given, stored)) return undefined;
    return { id: key.id, name: key.name, scopes: scopesOf(key), ratePerMin: key.ratePerMin };
  }
}

export function scopesOf(key: Pick<ApiKey, 'scopes'>): ReadonlySet<ApiScope> {
  return new Set(key.scopes.split(' ').filter((s): s is ApiScope => (API_SCOPES as readonly string[]).includes(s)));
}

function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
