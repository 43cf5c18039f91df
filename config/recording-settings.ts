/**
 * The environment variables of call recording (policy per route, where recordings are kept and for
 * how long, the encoder) and of the media endpoint Asterisk fetches the consent announcement from;
 * config.ts merges them into its schema.
 */
import { z } from 'zod';
import { RECORDING_POLICIES, type RecordingPolicy, type RouteCode } from '../call/call-types';

export interface RecordingSettings {
  /** The default policy of each route; a super admin's choice in Telegram (stored) overrides it. */
  policies: Record<RouteCode, RecordingPolicy>;
  /** Where the converted recordings (OGG/Opus) and the consent announcements (WAV) are kept. */
  dir: string;
  /** A recording is deleted this many days after its call. */
  retentionDays: number;
  /** Whether every super admin also gets each recording as a voice message. */
  sendToAdmins: boolean;
  /** The ffmpeg binary the conversions run (Debian's `ffmpeg` by default, found on PATH). */
  ffmpegPath: string;
  /**
   * Where RECORDING_DIR/announcements is mounted under Asterisk's sounds directory (a shared
   * directory instead of the media endpoint): the announcement plays as `sound:<this>/announcement-M-…`.
   */
  announcementSoundsPath?: string;
}

/**
 * The HTTP endpoint serving the consent announcements to Asterisk (its HTTP media cache fetches
 * `sound:http://…` URIs); absent unless MEDIA_PORT is set.
 */
export interface MediaSettings {
  host: string;
  port: number;
  /** The URL Asterisk reaches this endpoint at (another host, a proxy): the announcements' URIs start with it. */
  publicUrl: string;
}

const policy = z.string().trim().toLowerCase().default('off').refine((v): v is RecordingPolicy => (RECORDING_POLICIES as readonly string[]).includes(v), {
  message: `expects one of ${RECORDING_POLICIES.join(', ')}`,
});

export const recordingEnv = {
  RECORDING_POLICY_M: policy,
  RECORDING_POLICY_D: policy,
  RECORDING_DIR: z.string().trim().min(1).default('data/recordings'),
  RECORDING_RETENTION_DAYS: z.coerce.number({ invalid_type_error: 'expects whole days' })
    .int('expects whole days').min(1, 'expects whole days from 1 to 3650').max(3650, 'expects whole days from 1 to 3650').default(90),
  RECORDING_SEND_TO_ADMINS: z.string().trim().toLowerCase().default('false').refine((v) => v === 'true' || v === 'false', { message: 'expects true or false' })
    .transform((v) => v === 'true'),
  FFMPEG_PATH: z.string().trim().min(1).default('ffmpeg'),
  ANNOUNCEMENT_SOUNDS_PATH: z.string().trim().regex(/^[A-Za-z0-9_-]+(?:\/[A-Za-z0-9_-]+)*$/, 'expects a folder under Asterisk\'s sounds directory, such as callbot or custom/callbot')
    .optional(),
  MEDIA_HOST: z.string().trim().regex(/^[A-Za-z0-9.:-]{1,253}$/, 'expects an IP address or host name such as 127.0.0.1').default('127.0.0.1'),
  MEDIA_PORT: z.coerce.number({ invalid_type_error: 'expects a TCP port' }).int('expects a TCP port').min(1, 'expects a TCP port from 1 to 65535')
    .max(65535, 'expects a TCP port from 1 to 65535').optional(),
  MEDIA_PUBLIC_URL: z.string().trim().refine((v) => /^https?:\/\/[^\s/]+/.test(v) && URL.canParse(v), { message: 'expects an http(s) URL such as http://10.0.0.2:8090' })
    .optional(),
};

type RecordingEnv = z.infer<z.ZodObject<typeof recordingEnv>>;

export function recordingSettings(v: RecordingEnv): RecordingSettings {
  return {
    policies: { M: v.RECORDING_POLICY_M as RecordingPolicy, D: v.RECORDING_POLICY_D as RecordingPolicy },
    dir: v.RECORDING_DIR,
    retentionDays: v.RECORDING_RETENTION_DAYS,
    sendToAdmins: v.RECORDING_SEND_TO_ADMINS,
    ffmpegPath: v.FFMPEG_PATH,
    ...(v.ANNOUNCEMENT_SOUNDS_PATH ? { announcementSoundsPath: v.ANNOUNCEMENT_SOUNDS_PATH } : {}),
  };
}

export function mediaSettings(v: RecordingEnv): MediaSettings | undefined {
  if (v.MEDIA_PORT === undefined) return undefined;
  // Without a public URL, the endpoint's own address: right when Asterisk runs on this host.
  const publicUrl = (v.MEDIA_PUBLIC_URL ?? `http://${v.MEDIA_HOST.includes(':') ? `[${v.MEDIA_HOST}]` : v.MEDIA_HOST}:${v.MEDIA_PORT}`).replace(/\/+$/, '');
  return { host: v.MEDIA_HOST, port: v.MEDIA_PORT, publicUrl };
}
