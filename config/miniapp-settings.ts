/**
 * The environment variables of the Telegram Mini App (the public URL its menu button opens, how old
 * an `initData` may be, how long a session lasts) and what they become in the Config; config.ts
 * merges them into its schema. The app itself is served on the HTTP server of API_PORT.
 */
import { z } from 'zod';

export interface MiniAppSettings {
  /** The public HTTPS URL of the app (the proxy in front of callbot, ending in /app/); the bot sets its menu button to it. Absent: no menu button. */
  url?: string;
  /** An `initData` signed longer ago than this is refused: Telegram signs it when the app opens. */
  initDataMaxAgeS: number;
  /** How long a session token is good for; the app signs in again with its initData after. */
  sessionTtlS: number;
}

export const miniappEnv = {
  // Telegram opens Mini Apps over HTTPS only.
  MINIAPP_URL: z.string().trim().url('expects the public https:// URL of the Mini App, such as https://callbot.example.com/app/')
    .refine((v) => v.startsWith('https://'), 'expects an https:// URL: Telegram opens Mini Apps over HTTPS only').optional(),
  MINIAPP_INITDATA_MAX_AGE_S: z.coerce.number({ invalid_type_error: 'expects whole seconds' }).int('expects whole seconds').min(10).max(7 * 86400).default(3600),
  MINIAPP_SESSION_TTL_S: z.coerce.number({ invalid_type_error: 'expects whole seconds' }).int('expects whole seconds').min(30).max(86400).default(900),
};

type MiniAppEnv = z.infer<z.ZodObject<typeof miniappEnv>>;

export function miniappSettings(v: MiniAppEnv): MiniAppSettings {
  return { ...(v.MINIAPP_URL ? { url: v.MINIAPP_URL } : {}), initDataMaxAgeS: v.MINIAPP_INITDATA_MAX_AGE_S, sessionTtlS: v.MINIAPP_SESSION_TTL_S };
}
