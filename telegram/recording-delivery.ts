import { InputFile } from 'node-telegram-bot-api';
import type { OutgoingRecording, RecordingDelivery } from '../recording/recording-pipeline';
import { RECORDING_TEXT } from './texts';
import type { TelegramOut } from './telegram-out';

/** The recording pipeline's Telegram side: a call's recording as a voice message, and its failure in words. */
export function telegramRecordingDelivery(out: TelegramOut): RecordingDelivery {
  return {
    async sendRecording(recording: OutgoingRecording): Promise<boolean> {
      const caption = recording.copy === 'agent'
        ? RECORDING_TEXT.voiceCaption(recording.durationMs, recording.callId) : RECORDING_TEXT.adminCaption(recording.durationMs, recording.callId);
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

export function voiceFile(ogg: Buffer, callId: string): InputFile {
  return new InputFile(new Uint8Array(ogg), { filename: `call-${callId}.ogg`, contentType: 'audio/ogg' });
}
