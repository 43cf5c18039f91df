import fs from 'node:fs/promises';
import path from 'node:path';
import type { RouteCode } from '../call/call-types';
import type { AuditLog, SettingStore } from '../store';
import type { AudioConversion } from './audio-conversion';
import { wavDurationMs } from './audio-conversion';
import type { ConsentAnnouncements } from './recording-types';

const KEY = (route: RouteCode) => `announcement.${route}`;
/** A served file's name: the route, and the version that makes each new recording a new URL for Asterisk's media cache. */
const FILE_NAME = /^announcement-([MD])-([0-9a-z]{1,20})\.wav$/;

export type AnnouncementResult = { ok: true; durationMs: number } | { ok: false; reason: 'unreadable' | 'too-long' | 'timeout' };

/**
 * The consent announcement of each route: an admin's recording, converted to the WAV Asterisk
 * plays (8 kHz mono), kept in a folder of its own and served over HTTP (media-server.ts). Asterisk's
 * HTTP media cache keeps a fetched URL until it expires, so each new recording gets a new,
 * versioned name (`announcement-M-<version>.wav`): the next call plays the new one at once.
 */
export class StoredConsentAnnouncements implements ConsentAnnouncements {
  readonly dir: string;

  constructor(private readonly deps: {
    settings: SettingStore; audit: AuditLog; conversion: Pick<AudioConversion, 'toAnnouncement'>; dir: string;
    /** MEDIA_PUBLIC_URL: where Asterisk reaches the media endpoint. */
    publicUrl: string | undefined;
    /** ANNOUNCEMENT_SOUNDS_PATH: the folder under Asterisk's sounds directory where this one is shared, used without a media endpoint. */
    soundsPath?: string;
    now?: () => number;
  }) {
    this.dir = path.resolve(deps.dir);
  }

  async announcementFor(route: RouteCode): Promise<string | null> {
    const version = (await this.deps.settings.get(KEY(route)))?.value;
    if (!version) return null;
    if (this.deps.publicUrl) return `sound:${this.deps.publicUrl}/media/${fileName(route, version)}`;
    // Asterisk finds a sound by its name without the extension, in the formats it has files for.
    if (this.deps.soundsPath) return `sound:${this.deps.soundsPath}/${fileName(route, version).replace(/\.wav$/, '')}`;
    return null;
  }

  /** Whether each route has an announcement recorded. */
  async recorded(route: RouteCode): Promise<boolean> {
    return (await this.deps.settings.get(KEY(route))) !== null;
  }

  /**
   * Converts an admin's audio and makes it the route's announcement, audited. Nothing is written
   * unless the conversion succeeded: a file that is not audio leaves the previous announcement in place.
   */
  async replace(route: RouteCode, audio: Buffer, by: string): Promise<AnnouncementResult> {
    let wav: Buffer;
    try {
      wav = await this.deps.conversion.toAnnouncement(audio);
    } catch (err) {
      const reason = (err as { reason?: string }).reason;
      if (reason === 'too-large') return { ok: false, reason: 'too-long' };
      if (reason === 'timeout') return { ok: false, reason: 'timeout' };
      if (reason === 'unreadable') return { ok: false, reason: 'unreadable' };
      throw err;
    }
    const version = (this.deps.now ?? Date.now)().toString(36);
    await fs.mkdir(this.dir, { recursive: true });
    const file = path.join(this.dir, fileName(route, version));
    await fs.writeFile(`${file}.part`, wav);
    await fs.rename(`${file}.part`, file);
    const previous = await this.deps.settings.set(KEY(route), version, by);
    // The previous version's file goes: Asterisk fetches only the URL it is given, and that is the new one now.
    if (previous && previous !== version) await fs.rm(path.join(this.dir, fileName(route, previous)), { force: true });
    const durationMs = wavDurationMs(wav);
    await this.deps.audit.record({ actor: by, action: 'announcement_set', subject: route, details: `${durationMs} ms, version ${version}` });
    return { ok: true, durationMs };
  }

  /** The file behind a served name, or null for any name that is not a current announcement's. */
  async fileFor(name: string): Promise<string | null> {
    const match = FILE_NAME.exec(name);
    if (!match) return null;
    const [, route, version] = match as unknown as [string, RouteCode, string];
    if ((await this.deps.settings.get(KEY(route)))?.value !== version) return null;
    return path.join(this.dir, name);
  }
}

function fileName(route: RouteCode, version: string): string {
  return `announcement-${route}-${version}.wav`;
}
