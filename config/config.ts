import os from 'node:os';
import { z } from 'zod';
import type { CountryCode } from 'libphonenumber-js';
import { isSupportedCountry } from 'libphonenumber-js';
import { databaseKind, databaseUrlProblem } from './database-url';
import { databasePassword } from './redact';
import { type ComplianceSettings, complianceEnv, complianceSettings } from './compliance-settings';
import { alertEnv, alertSettings } from './alert-settings';
import { type AfterCallSettings, afterCallEnv, afterCallSettings } from './after-call-settings';
import { type ReportSettings, reportEnv, reportSettings } from './report-settings';
import type { AlertThresholds } from './alert-settings';
import { type MediaSettings, type RecordingSettings, mediaSettings, recordingEnv, recordingSettings } from './recording-settings';
import { type SupervisionSettings, supervisionEnv, supervisionSettings } from './supervision-settings';
import { type WebhookSettings, webhookEnv, webhookSettings } from './webhook-settings';
import { type AsteriskServerConfig, type ClusterSettings, asteriskServersSchema } from './cluster-settings';
import { type ReturnCallConfig, returnCallEnv, returnCallSettings } from './return-call-settings';
import { type ApiSettings, apiEnv, apiSettings } from './api-settings';
import { type MiniAppSettings, miniappEnv, miniappSettings } from './miniapp-settings';

export type { RouteCode } from '../call/call-types';
import type { RouteCode } from '../call/call-types';

/** The compliance rules' settings (calling hours, caps, route limits) are in compliance-settings.ts. */
export interface Config extends ComplianceSettings {
  telegram: {
    botToken: string;
    apiRoot: string;
    superAdminIds: readonly string[];
    webhook?: { url: string; secret: string; host: string; port: number };
  };
  databaseUrl: string;
  ari: {
    url: string;
    username: string;
    password: string;
    app: string;
    requestTimeoutMs: number;
    /** How often channels and bridges of the app that no live call owns are cleaned up (also on every connect). */
    orphanSweepIntervalS: number;
  };
  routes: Record<RouteCode, { endpointTemplate: string }>;
  /**
   * The Asterisk servers calls run on. A single instance has one, made of the ARI_* variables (id
   * `default`); cluster mode lists them in ASTERISK_SERVERS.
   */
  asteriskServers: readonly AsteriskServerConfig[];
  /** Several instances on one PostgreSQL database (CLUSTER=on); absent on a single instance. */
  cluster?: ClusterSettings;
  defaultCallerId?: string;
  defaultRegion: CountryCode;
  allowedCountries: readonly CountryCode[];
  agentRingTimeoutS: number;
  targetRingTimeoutS: number;
  agentConfirmDigit?: string;
  agentConfirmTimeoutS: number;
  /** Asterisk's music on hold class a customer hears while the agent consults (HOLD_MUSIC_CLASS). */
  holdMusicClass: string;
  /** What a customer on hold hears: that music on hold, or a tone where the server has no music (HOLD_SOUND). */
  holdSound: HoldSound;
  maxConcurrentCalls: number;
  log: { level: string; format: 'json' | 'pretty' };
  /** The operators' HTTP endpoint (/healthz, /readyz, /metrics); absent unless METRICS_PORT is set. */
  metrics?: { host: string; port: number };
  /** The abuse alerts to super admins (alert-settings.ts). */
  alerts: AlertThresholds;
  /** Dispositions and notes after a call (after-call-settings.ts). */
  afterCall: AfterCallSettings;
  /** A callback reminded but not called back this many minutes after its time is shown to admins as missed (CALLBACK_MISSED_AFTER_MIN). */
  callbackMissedAfterMin: number;
  /** /stats, /export and the daily report (report-settings.ts). */
  reports: ReportSettings;
  /** Call recording: policies, where and how long recordings are kept (recording-settings.ts). */
  recording: RecordingSettings;
  /** Supervision: which routes' calls may be monitored (MONITOR_ROUTES), and whether agents are told (MONITOR_NOTICE). */
  monitorRoutes: SupervisionSettings['monitorRoutes'];
  monitorNotice: SupervisionSettings['monitorNotice'];
  /** The endpoint serving the consent announcements to Asterisk; absent unless MEDIA_PORT is set. */
  media?: MediaSettings;
  /** Signed webhooks out: timeouts, retries, how long finished deliveries are kept (webhook-settings.ts). */
  webhooks: WebhookSettings;
  /** The HTTP API (api-settings.ts): its server is absent unless API_PORT is set. */
  api: { server?: ApiSettings; defaultRatePerMin: number; promptTtlS: number };
  /** The Telegram Mini App (miniapp-settings.ts). */
  miniapp: MiniAppSettings;
  /** Every secret value the environment holds, used or not in this mode, for the log scrubber. */
  secrets: readonly string[];
  /** Customers calling a pool number back (return-call-settings.ts). */
  returnCalls: ReturnCallConfig;
}

/** Thrown (never printed with values) when the environment does not describe a runnable service. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** moh: Asterisk's music on hold of HOLD_MUSIC_CLASS; tone: a hold tone, for a server without music files. */
export const HOLD_SOUNDS = ['moh', 'tone'] as const;
export type HoldSound = (typeof HOLD_SOUNDS)[number];

const E164 = /^\+[1-9]\d{6,14}$/;
const TELEGRAM_ID = /^[1-9]\d{0,19}$/;

const required = (what: string) =>
  z.string({ required_error: `required: ${what}` }).trim().min(1, `required: ${what}`);
const countryCode = (v: string) => isSupportedCountry(v);
const httpUrl = (example: string) =>
  z.string().trim().refine((v) => /^https?:\/\/[^\s/]+/.test(v) && URL.canParse(v), { message: `expects an http(s) URL such as ${example}` });
const oneOf = <T extends string>(values: readonly [T, ...T[]]) =>
  z.enum(values, { errorMap: () => ({ message: `expects one of ${values.join(', ')}` }) });
const wholeNumber = (min: number, max: number, what: string) =>
  z.coerce.number({ invalid_type_error: `expects ${what}` })
    .int(`expects ${what}`).min(min, `expects ${what} from ${min} to ${max}`).max(max, `expects ${what} from ${min} to ${max}`);
const seconds = (dflt: number, max: number) => wholeNumber(1, max, 'a whole number of seconds').default(dflt);
const dialTemplate = (dflt: string) =>
  z.string().trim().default(dflt).refine((v) => v.includes('{number}') && /^[A-Za-z]+\//.test(v), {
    message: 'expects a dial string template such as PJSIP/{number}@trunk-main',
  });

const schema = z.object({
  TELEGRAM_BOT_TOKEN: required('the bot token from @BotFather').regex(/^\d+:[\w-]+$/, 'expects a token like 123456:ABC-def'),
  TELEGRAM_API_ROOT: httpUrl('https://api.telegram.org').default('https://api.telegram.org'),
  SUPER_ADMIN_IDS: required('comma-separated Telegram user ids of super admins').transform((v, ctx) => {
    const ids = v.split(',').map((s) => s.trim()).filter(Boolean);
    const bad = ids.filter((id) => !TELEGRAM_ID.test(id));
    if (ids.length === 0 || bad.length > 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expects comma-separated numeric Telegram user ids' });
      return z.NEVER;
    }
    return ids;
  }),
  TELEGRAM_WEBHOOK_URL: httpUrl('https://bot.example.com/telegram').optional(),
  TELEGRAM_WEBHOOK_SECRET: z.string().trim().regex(/^[A-Za-z0-9_-]{16,256}$/, 'expects 16-256 characters of A-Z a-z 0-9 _ -').optional(),
  // Loopback by default: the webhook is meant to sit behind a TLS-terminating reverse proxy.
  WEBHOOK_HOST: z.string().trim().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'expects an IP address or host name such as 127.0.0.1').default('127.0.0.1'),
  WEBHOOK_PORT: wholeNumber(1, 65535, 'a TCP port').default(8443),
  DATABASE_URL: z.string().trim().default('sqlite:data/callbot.sqlite').superRefine((v, ctx) => {
    const problem = databaseUrlProblem(v);
    if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  }),
  ARI_URL: httpUrl('http://127.0.0.1:8088').default('http://127.0.0.1:8088'),
  // Required unless ASTERISK_SERVERS names every server with its own credentials (checked below).
  ARI_USERNAME: z.string().trim().optional(),
  ARI_PASSWORD: z.string().trim().optional(),
  ARI_APP: z.string().trim().regex(/^[A-Za-z0-9_-]{1,64}$/, 'expects a Stasis application name').default('callbot'),
  ARI_REQUEST_TIMEOUT_MS: wholeNumber(100, 60000, 'milliseconds').default(5000),
  ORPHAN_SWEEP_INTERVAL_S: seconds(60, 86400),
  ROUTE_MAIN_ENDPOINT: dialTemplate('PJSIP/{number}@trunk-main'),
  ROUTE_DEV_ENDPOINT: dialTemplate('PJSIP/{number}@trunk-dev'),
  DEFAULT_CALLER_ID: z.string().trim().regex(E164, 'expects an E.164 number such as +15551234567').optional(),
  DEFAULT_REGION: z.string().trim().toUpperCase().default('US').refine(countryCode, 'expects an ISO region code such as US'),
  ALLOWED_COUNTRIES: z.string().trim().default('US,CA').transform((v, ctx) => {
    const codes = v.split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
    if (codes.length === 0 || !codes.every(countryCode)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'expects comma-separated ISO region codes such as US,CA' });
      return z.NEVER;
    }
    return codes as CountryCode[];
  }),
  AGENT_RING_TIMEOUT_S: seconds(30, 300),
  TARGET_RING_TIMEOUT_S: seconds(45, 300),
  AGENT_CONFIRM_DIGIT: z.string().trim().regex(/^[0-9*#]$/, 'expects one DTMF digit (0-9, * or #)').optional(),
  AGENT_CONFIRM_TIMEOUT_S: seconds(5, 60),
  HOLD_SOUND: oneOf(HOLD_SOUNDS).default('moh'),
  HOLD_MUSIC_CLASS: z.string().trim().regex(/^[A-Za-z0-9_-]{1,80}$/, 'expects the name of a music on hold class in Asterisk\'s musiconhold.conf, such as default').default('default'),
  MAX_CONCURRENT_CALLS: wholeNumber(1, 100000, 'a number of calls').default(50),
  LOG_LEVEL: oneOf(['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly']).default('info'),
  LOG_FORMAT: oneOf(['json', 'pretty']).default('json'),
  // Loopback by default: the endpoint tells anyone who can reach it how busy the service is.
  METRICS_HOST: z.string().trim().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'expects an IP address or host name such as 127.0.0.1').default('127.0.0.1'),
  METRICS_PORT: wholeNumber(1, 65535, 'a TCP port').optional(),
  CLUSTER: oneOf(['on', 'off']).default('off'),
  INSTANCE_ID: z.string().trim().regex(/^[A-Za-z0-9._:-]{1,100}$/, 'expects 1-100 characters of A-Z a-z 0-9 . _ : -').optional(),
  ASTERISK_SERVERS: asteriskServersSchema.optional(),
  CLUSTER_LEASE_TTL_MS: wholeNumber(1000, 60000, 'milliseconds').default(6000),
  ASTERISK_DOWN_AFTER_S: seconds(10, 3600),
  ASTERISK_HAND_BACK_AFTER_S: seconds(3, 3600),
  ASTERISK_STAY_AWAY_S: seconds(30, 3600),
  CALLBACK_MISSED_AFTER_MIN: wholeNumber(1, 10080, 'whole minutes').default(30),
  ...complianceEnv,
  ...alertEnv,
  ...afterCallEnv,
  ...reportEnv,
  ...recordingEnv,
  ...returnCallEnv,
  ...supervisionEnv,
  ...webhookEnv,
  ...apiEnv,
  ...miniappEnv,
}).superRefine((v, ctx) => {
  if (v.ASTERISK_SERVERS && v.CLUSTER !== 'on') {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['ASTERISK_SERVERS'], message: 'needs CLUSTER=on (several servers are coordinated through PostgreSQL)' });
  }
  if (v.CLUSTER === 'on' && databaseKind(v.DATABASE_URL).kind !== 'postgres') {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['CLUSTER'], message: 'CLUSTER=on needs a postgres:// DATABASE_URL: instances coordinate through PostgreSQL' });
  }
  if (v.TELEGRAM_WEBHOOK_URL && !v.TELEGRAM_WEBHOOK_SECRET) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['TELEGRAM_WEBHOOK_SECRET'], message: 'required when TELEGRAM_WEBHOOK_URL is set' });
  }
  if (v.TELEGRAM_WEBHOOK_URL && v.METRICS_PORT === v.WEBHOOK_PORT) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['METRICS_PORT'], message: 'must differ from WEBHOOK_PORT' });
  }
  if (v.MEDIA_PORT !== undefined && (v.MEDIA_PORT === v.METRICS_PORT || (v.TELEGRAM_WEBHOOK_URL && v.MEDIA_PORT === v.WEBHOOK_PORT))) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['MEDIA_PORT'], message: 'must differ from METRICS_PORT and WEBHOOK_PORT' });
  }
  if (v.API_PORT !== undefined && (v.API_PORT === v.METRICS_PORT || v.API_PORT === v.MEDIA_PORT || (v.TELEGRAM_WEBHOOK_URL && v.API_PORT === v.WEBHOOK_PORT))) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['API_PORT'], message: 'must differ from METRICS_PORT, MEDIA_PORT and WEBHOOK_PORT' });
  }
});

type Env = Record<string, string | undefined>;

/** Empty strings mean "not set", as they do in a .env file with `NAME=`. */
function withoutBlanks(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''));
}

/** Builds the typed configuration or throws a ConfigError naming every bad variable (never its value). */
export function loadConfig(env: Env): Config {
  const given = withoutBlanks(env);
  const parsed = schema.safeParse(given);
  const problems = parsed.success ? [] : parsed.error.issues.map((i) => `${String(i.path[0] ?? '?')}: ${i.message}`);
  // Checked beside the schema, not in a refinement, so that they are named even when other variables are wrong too.
  if (!given.ASTERISK_SERVERS) {
    if (!given.ARI_USERNAME) problems.push('ARI_USERNAME: required: the ARI user from ari.conf');
    if (!given.ARI_PASSWORD) problems.push('ARI_PASSWORD: required: the ARI password from ari.conf');
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError([...new Set(problems)]);
  const v = parsed.data;
  const servers: AsteriskServerConfig[] = v.ASTERISK_SERVERS ?? [{
    id: 'default', url: v.ARI_URL.replace(/\/+$/, ''), username: v.ARI_USERNAME ?? '', password: v.ARI_PASSWORD ?? '', routes: ['M', 'D'], weight: 1,
  }];
  return {
    telegram: {
      botToken: v.TELEGRAM_BOT_TOKEN,
      apiRoot: v.TELEGRAM_API_ROOT.replace(/\/+$/, ''),
      superAdminIds: v.SUPER_ADMIN_IDS,
      webhook: v.TELEGRAM_WEBHOOK_URL && v.TELEGRAM_WEBHOOK_SECRET
        ? { url: v.TELEGRAM_WEBHOOK_URL, secret: v.TELEGRAM_WEBHOOK_SECRET, host: v.WEBHOOK_HOST, port: v.WEBHOOK_PORT }
        : undefined,
    },
    databaseUrl: v.DATABASE_URL,
    ari: {
      url: servers[0]!.url,
      username: servers[0]!.username,
      password: servers[0]!.password,
      app: v.ARI_APP,
      requestTimeoutMs: v.ARI_REQUEST_TIMEOUT_MS,
      orphanSweepIntervalS: v.ORPHAN_SWEEP_INTERVAL_S,
    },
    routes: { M: { endpointTemplate: v.ROUTE_MAIN_ENDPOINT }, D: { endpointTemplate: v.ROUTE_DEV_ENDPOINT } },
    asteriskServers: servers,
    cluster: v.CLUSTER === 'on'
      ? { instanceId: v.INSTANCE_ID ?? `${os.hostname()}-${process.pid}`, leaseTtlMs: v.CLUSTER_LEASE_TTL_MS, serverDownAfterS: v.ASTERISK_DOWN_AFTER_S,
        handBackAfterS: v.ASTERISK_HAND_BACK_AFTER_S, stayAwayS: v.ASTERISK_STAY_AWAY_S }
      : undefined,
    defaultCallerId: v.DEFAULT_CALLER_ID,
    defaultRegion: v.DEFAULT_REGION as CountryCode,
    allowedCountries: v.ALLOWED_COUNTRIES,
    agentRingTimeoutS: v.AGENT_RING_TIMEOUT_S,
    targetRingTimeoutS: v.TARGET_RING_TIMEOUT_S,
    agentConfirmDigit: v.AGENT_CONFIRM_DIGIT,
    agentConfirmTimeoutS: v.AGENT_CONFIRM_TIMEOUT_S,
    holdMusicClass: v.HOLD_MUSIC_CLASS,
    holdSound: v.HOLD_SOUND,
    maxConcurrentCalls: v.MAX_CONCURRENT_CALLS,
    log: { level: v.LOG_LEVEL, format: v.LOG_FORMAT },
    metrics: v.METRICS_PORT !== undefined ? { host: v.METRICS_HOST, port: v.METRICS_PORT } : undefined,
    ...complianceSettings(v),
    alerts: alertSettings(v),
    afterCall: afterCallSettings(v),
    callbackMissedAfterMin: v.CALLBACK_MISSED_AFTER_MIN,
    reports: reportSettings(v),
    recording: recordingSettings(v),
    ...supervisionSettings(v),
    media: mediaSettings(v),
    webhooks: webhookSettings(v),
    api: apiSettings(v),
    miniapp: miniappSettings(v),
    secrets: [v.TELEGRAM_BOT_TOKEN, v.ARI_PASSWORD, ...servers.map((s) => s.password), databasePassword(v.DATABASE_URL), v.TELEGRAM_WEBHOOK_SECRET]
      .filter((secret): secret is string => secret !== undefined && secret !== ''),
    returnCalls: returnCallSettings(v),
  };
}
