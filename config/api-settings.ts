/**
 * The environment variables of the HTTP API (and the Mini App, which shares its server):
 * config.ts merges them into its schema.
 */
import { z } from 'zod';

export interface ApiSettings {
  host: string;
  port: number;
  /** Requests with a larger body are refused with 413 before they are parsed. */
  bodyLimitBytes: number;
  /** The default requests per minute of a key created without its own rate. */
  defaultRatePerMin: number;
  /** A call request's Telegram prompt can be tapped for this long; later taps are told it expired. */
  promptTtlS: number;
}

export const apiEnv = {
  // Loopback by default: the API is meant to sit behind a TLS-terminating reverse proxy.
  API_HOST: z.string().trim().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'expects an IP address or host name such as 127.0.0.1').default('127.0.0.1'),
  API_PORT: z.coerce.number({ invalid_type_error: 'expects a TCP port' }).int('expects a TCP port').min(1, 'expects a TCP port from 1 to 65535')
    .max(65535, 'expects a TCP port from 1 to 65535').optional(),
  API_BODY_LIMIT_BYTES: z.coerce.number({ invalid_type_error: 'expects a number of bytes' }).int('expects a whole number of bytes')
    .min(256, 'expects bytes from 256 to 1048576').max(1_048_576, 'expects bytes from 256 to 1048576').default(16_384),
  API_RATE_PER_MIN: z.coerce.number({ invalid_type_error: 'expects requests per minute' }).int('expects whole requests per minute')
    .min(1, 'expects requests per minute from 1 to 100000').max(100_000, 'expects requests per minute from 1 to 100000').default(60),
  API_PROMPT_TTL_S: z.coerce.number({ invalid_type_error: 'expects whole seconds' }).int('expects whole seconds')
    .min(10, 'expects seconds from 10 to 86400').max(86_400, 'expects seconds from 10 to 86400').default(600),
};

type ApiEnv = z.infer<z.ZodObject<typeof apiEnv>>;

/** The API's settings; the server is off (undefined) unless API_PORT is set, but keys and prompts work either way. */
export function apiSettings(v: ApiEnv): { server?: ApiSettings; defaultRatePerMin: number; promptTtlS: number } {
  const server = v.API_PORT !== undefined
    ? { host: v.API_HOST, port: v.API_PORT, bodyLimitBytes: v.API_BODY_LIMIT_BYTES, defaultRatePerMin: v.API_RATE_PER_MIN, promptTtlS: v.API_PROMPT_TTL_S }
    : undefined;
  return { ...(server ? { server } : {}), defaultRatePerMin: v.API_RATE_PER_MIN, promptTtlS: v.API_PROMPT_TTL_S };
}
