/**
 * The environment variables of supervision (listen, whisper, barge): which routes' calls may be
 * monitored, and whether the agent is told; config.ts merges them into its schema.
 */
import { z } from 'zod';
import type { RouteCode } from '../call/call-types';

export interface SupervisionSettings {
  /** The routes whose calls a supervisor may listen to, whisper into or barge in on (MONITOR_ROUTES). */
  monitorRoutes: readonly RouteCode[];
  /** Whether the agent's status message says a supervisor is on the call (MONITOR_NOTICE). */
  monitorNotice: boolean;
}

const ROUTE_CODES: readonly RouteCode[] = ['M', 'D'];

export const supervisionEnv = {
  MONITOR_ROUTES: z.string().trim().toUpperCase().default('M,D').transform((v, ctx) => {
    if (v === 'NONE') return [] as RouteCode[];
    const codes = v.split(',').map((c) => c.trim()).filter((c) => c !== '');
    if (codes.length === 0 || !codes.every((c) => (ROUTE_CODES as readonly string[]).includes(c))) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expects comma-separated route codes (M, D), or none' });
      return z.NEVER;
    }
    return [...new Set(codes)] as RouteCode[];
  }),
  MONITOR_NOTICE: z.string().trim().toLowerCase().default('true').refine((v) => v === 'true' || v === 'false', { message: 'expects true or false' })
    .transform((v) => v === 'true'),
};

type SupervisionEnv = z.infer<z.ZodObject<typeof supervisionEnv>>;

export function supervisionSettings(v: SupervisionEnv): SupervisionSettings {
  return { monitorRoutes: v.MONITOR_ROUTES, monitorNotice: v.MONITOR_NOTICE };
}
