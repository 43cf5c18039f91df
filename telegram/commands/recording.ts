import type { Message } from 'node-telegram-bot-api/types';
import type { RecordingPolicy, RouteCode } from '../../call/call-types';
import { RECORDING_ROUTES } from '../../recording/recording-policies';
import { DownloadTooLarge, downloadFile } from '../file-download';
import type { Incoming } from '../handler-context';
import { recordingCaption, voiceFile } from '../recording-delivery';
import { RECORDING_TEXT } from '../texts';

/**
 * What an admin may send as an announcement: Telegram's cloud Bot API lets a bot download files up
 * to 20 MB, so that is the cap (checked from file_size before anything is downloaded).
 */
export const ANNOUNCEMENT_UPLOAD_MAX_BYTES = 20 * 1024 * 1024;
const CALL_ID = /^[A-Za-z0-9_-]{1,64}$/;
const ANNOUNCEMENT_CAPTION = /^\/announcement(?:@\w+)?(?:\s+(\S+))?\s*$/i;

function routeOf(word: string | undefined): RouteCode | null {
  const route = word?.toUpperCase();
  return route && (RECORDING_ROUTES as readonly string[]).includes(route) ? route as RouteCode : null;
}

function policyOf(word: string | undefined): RecordingPolicy | null {
  const policy = word?.toLowerCase();
  return policy === 'off' || policy === 'on' || policy === 'consent' ? policy : null;
}

/** /recording <call id>: the kept recording of a call, sent again as a voice message. */
export async function onRecording(m: Incoming): Promise<void> {
  const recording = m.deps.recording;
  if (!recording) return void (await m.reply(RECORDING_TEXT.notConfigured));
  const callId = m.args.trim();
  if (!CALL_ID.test(callId)) return void (await m.reply(RECORDING_TEXT.usage));
  const found = await recording.kept.find(callId);
  switch (found.kind) {
    case 'unknown': return void (await m.reply(RECORDING_TEXT.unknown(callId)));
    case 'not-ready': return void (await m.reply(RECORDING_TEXT.notReady(callId)));
    case 'failed': return void (await m.reply(RECORDING_TEXT.failedKept(callId)));
    case 'deleted': return void (await m.reply(RECORDING_TEXT.deleted(callId, found.at, recording.retentionDays)));
    case 'ready': {
      await m.deps.stores.audit.record({ actor: m.userId, action: 'recording_sent', subject: callId, details: 'sent again with /recording' });
      await m.deps.out.sendVoice(m.chatId, voiceFile(found.ogg, callId), {
        caption: recordingCaption({ durationMs: found.durationMs, callId, pausedMs: found.pausedMs, copy: 'agent' }), durationS: Math.round(found.durationMs / 1000),
      });
    }
  }
}

/** /recording_policy · /recording_policy M · /recording_policy M off|on|consent */
export async function onRecordingPolicy(m: Incoming): Promise<void> {
  const recording = m.deps.recording;
  if (!recording) return void (await m.reply(RECORDING_TEXT.notConfigured));
  const words = m.args.split(/\s+/).filter(Boolean);
  const all = await recording.policies.all();
  if (words.length === 0) {
    const lines = RECORDING_ROUTES.map((r) => RECORDING_TEXT.policyLine(r, all[r].policy, all[r].source));
    return void (await m.reply([RECORDING_TEXT.policyTitle, ...lines].join('\n')));
  }
  const route = routeOf(words[0]);
  const policy = words.length === 2 ? policyOf(words[1]) : null;
  if (!route || words.length > 2 || (words.length === 2 && !policy)) return void (await m.reply(RECORDING_TEXT.policyUsage));
  if (!policy) return void (await m.reply(RECORDING_TEXT.policyLine(route, all[route].policy, all[route].source)));
  const previous = await recording.policies.set(route, policy, m.userId);
  const lines = [RECORDING_TEXT.policySet(route, previous, policy)];
  if (policy === 'consent' && !(await recording.announcements.recorded(route))) lines.push(RECORDING_TEXT.policyNeedsAnnouncement(route));
  if (policy !== 'off' && !(await recording.ffmpegWorks())) lines.push(RECORDING_TEXT.policyNeedsFfmpeg);
  await m.reply(lines.join('\n\n'));
}

/** /announcement M|D: the chat's next voice message or audio file becomes that route's consent announcement. */
export async function onAnnouncement(m: Incoming): Promise<void> {
  if (!m.deps.recording) return void (await m.reply(RECORDING_TEXT.notConfigured));
  const route = routeOf(m.args.trim());
  if (!route) return void (await m.reply(RECORDING_TEXT.announcementUsage));
  m.deps.pending.expectAnnouncement(m.chatId, route);
  await m.reply(RECORDING_TEXT.announcementAsk(route));
}

/** The audio a message carries that may be an announcement: a voice message, an audio file, or a document meant as one. */
export function announcementMedia(message: Message, awaited: boolean): { fileId: string; fileSize: number | undefined } | null {
  const media = message.voice ?? message.audio
    ?? (message.document && (awaited || message.document.mime_type?.startsWith('audio/') || ANNOUNCEMENT_CAPTION.test(message.caption ?? ''))
      ? message.document : undefined);
  return media ? { fileId: media.file_id, fileSize: media.file_size } : null;
}

/**
 * An admin's announcement: checked for size before it is downloaded, converted by ffmpeg, and
 * stored only when that worked; a file that is not audio changes nothing and is said so.
 */
export async function onAnnouncementAudio(m: Incoming, media: { fileId: string; fileSize: number | undefined }, caption: string | undefined): Promise<void> {
  const recording = m.deps.recording;
  if (!recording) return void (await m.reply(RECORDING_TEXT.notConfigured));
  const captioned = ANNOUNCEMENT_CAPTION.exec(caption?.trim() ?? '');
  const awaited = m.deps.pending.takeAnnouncement(m.chatId);
  const route = captioned ? routeOf(captioned[1]) : awaited;
  if (!route) return void (await m.reply(captioned ? RECORDING_TEXT.announcementUsage : RECORDING_TEXT.announcementNoMedia));
  const maxMb = ANNOUNCEMENT_UPLOAD_MAX_BYTES / 1024 / 1024;
  if ((media.fileSize ?? 0) > ANNOUNCEMENT_UPLOAD_MAX_BYTES) return void (await m.reply(RECORDING_TEXT.announcementTooBig(maxMb)));
  let audio: Buffer;
  try {
    audio = await downloadFile(m, media.fileId, ANNOUNCEMENT_UPLOAD_MAX_BYTES);
  } catch (err) {
    if (err instanceof DownloadTooLarge) return void (await m.reply(RECORDING_TEXT.announcementTooBig(maxMb)));
    m.deps.logger.warn('announcement download failed', { err });
    return void (await m.reply(RECORDING_TEXT.announcementDownloadFailed));
  }
  const result = await recording.announcements.replace(route, audio, m.userId);
  if (result.ok) return void (await m.reply(RECORDING_TEXT.announcementSaved(route, result.durationMs, (await recording.announcements.announcementFor(route)) !== null)));
  const refusal = { unreadable: RECORDING_TEXT.announcementUnreadable, 'too-long': RECORDING_TEXT.announcementTooLong, timeout: RECORDING_TEXT.announcementTimeout };
  await m.reply(refusal[result.reason]);
}
