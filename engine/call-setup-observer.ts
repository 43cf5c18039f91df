import type { CallContext } from '../call/call-update';

/**
 * Two moments of a call's set-up that no CallUpdate carries: Asterisk answering the request that
 * starts each leg. The runner reports them once the answer is in, so watching them never holds a
 * request back.
 */
export interface CallSetupObserver {
  /** Asterisk answered the agent leg's originate (its channel exists, its dial has started); `ms` since the runner started the call. */
  agentOriginated(context: CallContext, ms: number): void;
  /** Asterisk answered the target leg's dial; `ms` since the agent answered. */
  targetDialed(context: CallContext, ms: number): void;
}
