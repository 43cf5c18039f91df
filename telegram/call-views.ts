import type { CallUpdate } from '../call/call-update';

/**
 * The newest update of each live call whose status this process shows: a tap on a call's button is
 * checked against it (ended, not connected, handed to another agent) before anything is asked of
 * the call. A call shown by another instance (cluster mode) is not here; the engine's answer then decides.
 */
export class CallViews {
  private readonly latest = new Map<string, CallUpdate>();

  note(update: CallUpdate): void {
    if (update.final) this.latest.delete(update.context.callId);
    else this.latest.set(update.context.callId, update);
  }

  of(callId: string): CallUpdate | undefined {
    return this.latest.get(callId);
  }
}
