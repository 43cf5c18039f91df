import { InputFile } from 'node-telegram-bot-api';
import type { OutgoingRecording, RecordingDelivery } from '../recording/recording-pipeline';
import { RECORDING_TEXT } from './texts';
import type { TelegramOut } from './telegram-out';

/** The recording pipeline's Telegram side: a call's recording as a voice message, and its failure in words. */
export function telegramRecordingDelivery(out: TelegramOut): RecordingDelivery {
  return {
    async sendRecording(recording: OutgoingRecording): Promise<boolean> {
      const caption = recordingCaption(recording);
      const sent = await out.sendVoice(recording.chatId, voiceFile(recording.ogg, recording.callId), {
        caption, durationS: Math.round(recording.durationMs / 1000), ...(recording.replyTo !== null ? { replyTo: recording.replyTo } : {}),
      });
      return sent !== undefined;
    },
    async sayRecordingFailed(notice): Promise<void> {
      await out.send(notice.chatId, RECORDING_TEXT.failed(notice.step, notice.callId), undefined, 'final');
    },
  };
}

/** A recording's caption: its length and call, and the time paused when there was any. */
export function recordingCaption(recording: Pick<OutgoingRecording, 'durationMs' | 'callId' | 'pausedMs' | 'copy'>): string {
  const caption = recording.copy === 'agent'
    ? RECORDING_TEXT.voiceCaption(recording.durationMs, recording.callId) : RECORDING_TEXT.adminCaption(recording.durationMs, recording.callId);
  return recording.pausedMs >= 500 ? `${caption}\n${RECORDING_TEXT.pausedLine(recording.pausedMs)}` : caption;
}

export function voiceFile(ogg: Buffer, callId: string): InputFile {
  return new InputFile(new Uint8Array(ogg), { filename: `call-${callId}.ogg`, contentType: 'audio/ogg' });
}
