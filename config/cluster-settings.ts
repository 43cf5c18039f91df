import { z } from 'zod';
import type { RouteCode } from '../call/call-types';

/** One Asterisk server calls can run on: where its ARI is, which routes (trunks) it carries, and its share of calls. */
export interface AsteriskServerConfig {
  /** Stable across restarts: leases, call rows and metrics name the server by it. */
  id: string;
  url: string;
  username: string;
  password: string;
  routes: readonly RouteCode[];
  /** Calls go to the server with the fewest live calls per unit of weight. */
  weight: number;
}

/** Several instances on one PostgreSQL database (CLUSTER=on). */
export interface ClusterSettings {
  /** Unique per running process: it names the holder of every lease this process takes. */
  instanceId: string;
  /** How long a lease lasts unless renewed; an owner stops acting a third of it before it lapses. */
  leaseTtlMs: number;
  /**
   * How long a server's ARI may stay unreachable, to its owners one after another, before the calls
   * on it are ended; only once every running instance has tried it.
   */
  serverDownAfterS: number;
  /**
   * How long an owner may go without a server's ARI before it hands the server to another instance
   * (one with a wrong password, or cut off from that server, may be the only one that cannot reach it).
   */
  handBackAfterS: number;
  /** How long an instance that handed a server back for that reason leaves it to the others. */
  stayAwayS: number;
}

/** A required string field of a server: its message names the field, whatever is wrong with it. */
const field = (message: string) => z.string({ required_error: message, invalid_type_error: message });

const server = z.object({
  id: field('each server needs an "id" of 1-64 characters A-Z a-z 0-9 _ -').regex(/^[A-Za-z0-9_-]{1,64}$/, 'each server needs an "id" of 1-64 characters A-Z a-z 0-9 _ -'),
  url: field('each server needs an http(s) "url" such as http://10.0.0.5:8088').refine((v) => /^https?:\/\/[^\s/]+/.test(v) && URL.canParse(v), 'each server needs an http(s) "url" such as http://10.0.0.5:8088'),
  username: field('each server needs the "username" of its ari.conf user').trim().min(1, 'each server needs the "username" of its ari.conf user'),
  password: field('each server needs the "password" of its ari.conf user').trim().min(1, 'each server needs the "password" of its ari.conf user'),
  routes: z.array(z.enum(['M', 'D'], { errorMap: () => ({ message: '"routes" lists M and/or D' }) })).min(1, '"routes" lists M and/or D').default(['M', 'D']),
  weight: z.number().int('"weight" is a whole number from 1 to 1000').min(1, '"weight" is a whole number from 1 to 1000').max(1000, '"weight" is a whole number from 1 to 1000').default(1),
}, { invalid_type_error: 'each server is an object with id, url, username, password' });

/**
 * ASTERISK_SERVERS: a JSON array of servers. Messages name the field that is wrong, never a value
 * (the passwords are in it).
 */
export const asteriskServersSchema = z.string().transform((text, ctx): AsteriskServerConfig[] => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expects a JSON array such as [{"id":"a1","url":"http://10.0.0.5:8088","username":"callbot","password":"…","routes":["M"]}]' });
    return z.NEVER;
  }
  const servers = z.array(server).min(1, 'expects at least one server').safeParse(parsed);
  if (!servers.success) {
    for (const message of new Set(servers.error.issues.map((i) => i.message))) ctx.addIssue({ code: z.ZodIssueCode.custom, message });
    return z.NEVER;
  }
  const ids = servers.data.map((s) => s.id);
  if (new Set(ids).size !== ids.length) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'each server needs an id of its own' });
    return z.NEVER;
  }
  return servers.data.map((s) => ({ ...s, url: s.url.replace(/\/+$/, '') }));
});
