import type { CallRecordPatch } from '../call/call-machine';
import type { Logger } from '../config/logger';
import { requestsWritten } from '../ari/request-first';

/** Where a call's changes are written; the CallStore satisfies it. */
export interface CallRecorder {
  recordCallTransition(callId: string, patch: CallRowPatch): Promise<void>;
}

/** A transition's fields, plus what the bot attaches to the call (its status message). */
export type CallRowPatch = CallRecordPatch & { telegramChatId?: string | null; statusMessageId?: number | null };

interface CallWrites {
  /** The last write asked for; the next one starts after it. */
  chain: Promise<void>;
  /** The next write's patch while it waits for the one before; later changes merge into it. */
  unwritten?: CallRowPatch;
}

/**
 * Writes each call's changes in the order they happened, one write at a time per call. Changes that
 * come while the call's last write is waiting or in flight join the next write, so a busy database
 * falls at most one write behind per call and the row still gets every field (each stage has its
 * own timestamp column). Each write starts only once the requests asked for so far have been
 * written (request-first.ts).
 */
export class CallRowWriter {
  private readonly calls = new Map<string, CallWrites>();

  constructor(private readonly recorder: CallRecorder, private readonly logger: Logger) {}

  write(callId: string, patch: CallRowPatch): void {
    let writes = this.calls.get(callId);
    if (!writes) {
      writes = { chain: Promise.resolve() };
      this.calls.set(callId, writes);
    }
    if (writes.unwritten) {
      Object.assign(writes.unwritten, patch);
      return;
    }
    const own = writes;
    const next: CallRowPatch = { ...patch };
    own.unwritten = next;
    own.chain = own.chain
      .then(requestsWritten)
      .then(() => {
        // From here on the patch is being written: later changes start the next one.
        own.unwritten = undefined;
        return this.recorder.recordCallTransition(callId, next);
      })
      .catch((err: unknown) => {
        this.logger.error('call change not recorded', { callId, patch: next, err });
      });
  }

  /** Resolves once every write asked for so far for this call has landed or failed. */
  settled(callId: string): Promise<void> {
    return this.calls.get(callId)?.chain ?? Promise.resolve();
  }

  /** The call will change no more: forget it once its writes have settled. */
  forget(callId: string): void {
    const writes = this.calls.get(callId);
    if (!writes) return;
    void writes.chain.then(() => {
      if (this.calls.get(callId) === writes && !writes.unwritten) this.calls.delete(callId);
    });
  }

  allSettled(): Promise<void> {
    return Promise.allSettled([...this.calls.values()].map((w) => w.chain)).then(() => undefined);
  }
}
