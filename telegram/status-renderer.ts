import type { InlineKeyboardMarkup } from 'node-telegram-bot-api/types';
import type { Observable } from 'rxjs';
import type { CallUpdate } from '../call/call-update';
import type { PartyView } from '../call/call-types';
import type { DispositionCode } from '../config/after-call-settings';
import { endedCall, liveCall, noButtons } from './menus/keyboards';
import { controlsOf, hasMoreThanTwoParties, isViewer, ownerOf, recordingControlOf, transferredTo } from './party-status';
import type { TelegramOut } from './telegram-out';
import { announcedReason } from '../call/outcomes';
import { EARLY_MEDIA, PARTY, RECORDING, RETURN_CALL, STATUS } from './texts';

/** Whose chat a status message is in, and whether transfer and conference can be asked for there. */
export interface StatusViewer {
  agentId: number;
  partyButtons: boolean;
  /** The disposition codes under the final status (DISPOSITION_CODES). */
  dispositions?: readonly DispositionCode[];
}

/**
 * The status message's text for one update: what is happening now, who is being called, and, for
 * a call of more than two parties, who is on the line, on hold or ringing. Seen by an agent the
 * call was handed away from, or whose own leg left it to others (a cold transfer to a number), it
 * ends with whom it went to and has no buttons: the call is no longer theirs to talk on.
 */
export function renderStatus(
  update: CallUpdate, confirmDigit?: string, viewer?: StatusViewer, notes: readonly string[] = [],
): { text: string; markup: InlineKeyboardMarkup } {
  const { context } = update;
  const lines = [STATUS.message(update, confirmDigit)];
  // A customer calling back: who, and the earlier call the agent made, above the call's own lines.
  if (context.returnCall) lines.unshift(...RETURN_CALL.lines(context.returnCall, update.at, viewer?.agentId));
  const recording = update.recording ? RECORDING.line(update.recording, update.final) : undefined;
  if (recording) lines.push(recording);
  const earlyMedia = earlyMediaLine(update);
  if (earlyMedia) lines.push(earlyMedia);
  // What happens beside the call while it is live (a supervisor on it); the final status has none.
  if (!update.final) lines.push(...notes);
  if (viewer && hasMoreThanTwoParties(update)) {
    lines.push(...(update.parties ?? []).map((p) => PARTY.line(p, isViewer(p, update, viewer.agentId))));
    lines.push(...(update.parties ?? []).flatMap((p) => partyAnnouncementLine(p)));
  }
  const transferred = viewer ? transferredTo(update, viewer.agentId) : undefined;
  if (transferred) lines.push(PARTY.transferredTo(transferred.label));
  const text = lines.join('\n');
  if (transferred) return { text, markup: noButtons() };
  if (update.final) return { text, markup: endedCall(context.target, { callId: context.callId, outcome: update.outcome, codes: viewer?.dispositions ?? [] }) };
  const controls = viewer?.partyButtons ? controlsOf(update) : 'none';
  // The recording's button is the agent's who has the call now (the owner), in their own chat.
  const recordingButton = viewer && viewer.agentId === ownerOf(update) ? recordingControlOf(update) : undefined;
  return { text, markup: liveCall(context.callId, controls, recordingButton) };
}

/**
 * The network's own audio: said while the customer's phone rings, and under a call that ended
 * unanswered; the cause tells what an announcement said only when the customer's side ended it.
 */
/** A party whose dial failed after an announcement: what it most likely said, where its cause tells (as for the customer). */
function partyAnnouncementLine(party: PartyView): string[] {
  const cause = party.failedAfterEarlyMedia?.hangupCause;
  const reason = announcedReason(cause);
  return reason ? [EARLY_MEDIA.partyEnded(party.label, reason, cause)] : [];
}

function earlyMediaLine(update: CallUpdate): string | undefined {
  if (!update.earlyMedia) return undefined;
  if (!update.final) return update.stage === 'target_dialing' || update.stage === 'target_ringing' ? EARLY_MEDIA.live : undefined;
  if (update.outcome === 'completed') return undefined;
  const reason = update.endedBy === 'target' ? announcedReason(update.hangupCause) : null;
  return EARLY_MEDIA.ended(reason, update.hangupCause);
}

/**
 * Whether this update passes the call on from this viewer, to another agent or (their own leg gone)
 * to whoever stays on the line with the customer: the message in this viewer's chat stops following it.
 */
export function handsOff(update: CallUpdate, viewer: StatusViewer | undefined): boolean {
  return viewer !== undefined && !update.final && transferredTo(update, viewer.agentId) !== undefined;
}

export interface StatusMessageOptions {
  /** At most one intermediate edit per this many ms (Telegram throttles edits of one message at about 1/s). */
  minEditIntervalMs: number;
  confirmDigit?: string;
  /** The agent whose chat this is: it names "you" among the parties and stops following when the call is handed to someone else. */
  viewer?: StatusViewer;
  /** Told the status message's id once Telegram has given it (the call's row keeps it). */
  onMessageId?: (messageId: number) => Promise<void> | void;
  now?: () => number;
}

/** A first status message is retried this often on 5xx and timeouts before the call goes without one. */
const FIRST_ATTEMPTS = 5;
/** The final state is the one thing the agent must see: its edit gets more tries. */
const FINAL_ATTEMPTS = 8;
/** Intermediate edits are superseded soon anyway. */
const EDIT_ATTEMPTS = 2;

/** How the final state reached the agent: by editing the status message, as a new message, or not at all. */
export type FinalDelivery = 'edited' | 'sent' | 'lost';

/**
 * One call's status in its agent's chat. The first message is sent (and retried) with the newest
 * live text; intermediate edits are coalesced into one waiting edit that carries the newest text
 * and is dropped when the final state supersedes it. The final state is one job per call, and it
 * is shown by editing the status message, since an edit retried after a lost answer cannot
 * duplicate. Only if the first message never got an id, or Telegram says it is gone, is the final
 * state sent as a new message, once. A call that ends before its first message's turn still gets
 * the first (live) message, then the edit: a final sent as a new message and retried after a lost
 * answer could arrive twice.
 */
export class CallStatusMessage {
  private live: CallUpdate;
  private final?: CallUpdate;
  private finalAt = 0;
  private messageId?: number;
  private firstPending = true;
  /** What the message shows now, text and buttons (a button can change while the text does not). */
  private shown?: string;
  private lastEditAt = -Infinity;
  private edit?: { cancel(): boolean };
  private finalStarted = false;
  private notes: readonly string[] = [];
  private readonly done: Promise<FinalDelivery>;
  private resolveDone!: (delivery: FinalDelivery) => void;
  private readonly now: () => number;

  constructor(private readonly out: TelegramOut, private readonly chatId: number | string, private readonly options: StatusMessageOptions, initial: CallUpdate) {
    this.live = initial;
    this.now = options.now ?? Date.now;
    this.done = new Promise((resolve) => { this.resolveDone = resolve; });
  }

  /** Sends the first message and follows the call's stream; resolves once the final state was delivered (or could not be). */
  follow(updates: Observable<CallUpdate>): Promise<FinalDelivery> {
    this.start();
    updates.subscribe({ next: (u) => this.offer(u) });
    return this.done;
  }

  /** Sends the first message; the caller offers the updates. Resolves once the final state was delivered (or could not be). */
  start(): Promise<FinalDelivery> {
    this.sendFirst();
    return this.done;
  }

  /**
   * Follows a call whose status message another instance sent (cluster take-over): edits go to
   * that message, and nothing new is sent unless Telegram says it is gone.
   */
  resume(messageId: number, updates: Observable<CallUpdate>): Promise<FinalDelivery> {
    const done = this.resumeAt(messageId);
    updates.subscribe({ next: (u) => this.offer(u) });
    return done;
  }

  /** As resume, with the caller offering the updates. */
  resumeAt(messageId: number): Promise<FinalDelivery> {
    this.messageId = messageId;
    this.firstPending = false;
    return this.done;
  }

  offer(update: CallUpdate): void {
    if (this.final) return;
    // Handed to another agent: this message says to whom, and their own message follows the call from now on.
    if (update.final || handsOff(update, this.options.viewer)) {
      this.final = update;
      this.finalAt = this.now();
      // A waiting intermediate edit is superseded; one already on the wire is waited for.
      if (this.edit?.cancel()) this.edit = undefined;
    } else {
      this.live = update;
      // A prompt the agent must act on goes out now, not after the edit interval.
      if (this.asksAgentToAct(update) && this.edit?.cancel()) this.edit = undefined;
    }
    this.pump();
  }

  /** Lines beside the call's own state (a supervisor on it), shown from the next edit on while the call is live. */
  annotate(notes: readonly string[]): void {
    if (this.final) return;
    this.notes = notes;
    this.pump();
  }

  /** "Press 1 to confirm": the call waits for the agent, so the agent must see it at once. */
  private asksAgentToAct(update: CallUpdate): boolean {
    return update.stage === 'agent_answered' && this.options.confirmDigit !== undefined;
  }

  private render(update: CallUpdate) {
    return renderStatus(update, this.options.confirmDigit, this.options.viewer, this.notes);
  }

  /** The live text, read when a request goes out; `sent` learns what it was. */
  private liveContent(sent: (text: string) => void) {
    return () => {
      const rendered = this.render(this.live);
      sent(shownAs(rendered));
      return rendered;
    };
  }

  private sendFirst(): void {
    let sentText: string | undefined;
    // Always a live text, even if the call has ended meanwhile: a retried send may duplicate this
    // message, and a duplicate must never be a second final status.
    const first = this.out.queueSend(this.chatId, this.liveContent((t) => { sentText = t; }), {
      // Once the call has ended, its final edit waits for this message.
      priority: () => (this.final ? 'final' : 'first'), maxAttempts: FIRST_ATTEMPTS,
    });
    void first.done.then(async (result) => {
      if (result.ok) {
        this.messageId = result.value;
        this.shown = sentText;
        try {
          await this.options.onMessageId?.(result.value);
        } catch {
          // The row misses the id; the agent still sees the status. The caller logs it.
        }
      }
      this.firstPending = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.firstPending || this.edit || this.finalStarted) return;
    if (this.final) {
      this.finalStarted = true;
      void this.deliverFinal(this.final).then((delivery) => this.resolveDone(delivery));
      return;
    }
    if (this.messageId === undefined || shownAs(this.render(this.live)) === this.shown) return;
    let sentText: string | undefined;
    const edit = this.out.queueEdit(this.chatId, this.messageId, this.liveContent((t) => { sentText = t; }), {
      // A prompt is what the agent is waiting for, as much as a reply is.
      ...(this.asksAgentToAct(this.live)
        ? { priority: 'reply' as const, maxAttempts: EDIT_ATTEMPTS, notBefore: 0 }
        : { priority: 'edit' as const, maxAttempts: EDIT_ATTEMPTS, notBefore: this.lastEditAt + this.options.minEditIntervalMs }),
    });
    this.edit = edit;
    void edit.done.then((result) => {
      if (result === 'cancelled') return;
      this.edit = undefined;
      if (result === 'shown') this.shown = sentText;
      // Deleted by the agent: no more edits, and the final state comes as a new message.
      if (result === 'gone') this.messageId = undefined;
      this.lastEditAt = this.now();
      this.pump();
    });
  }

  private async deliverFinal(final: CallUpdate): Promise<FinalDelivery> {
    const rendered = this.render(final);
    if (this.messageId !== undefined) {
      const edited = await this.out.queueEdit(this.chatId, this.messageId, () => rendered, { priority: 'final', maxAttempts: FINAL_ATTEMPTS, since: this.finalAt }).done;
      if (edited === 'shown') return 'edited';
      // Still there but Telegram kept failing: a new message could duplicate it once it recovers.
      if (edited !== 'gone') return 'lost';
    }
    const sent = await this.out.queueSend(this.chatId, () => rendered, { priority: 'final', maxAttempts: FINAL_ATTEMPTS, since: this.finalAt }).done;
    return sent.ok ? 'sent' : 'lost';
  }
}

function shownAs(rendered: { text: string; markup: InlineKeyboardMarkup }): string {
  return `${rendered.text}\n${JSON.stringify(rendered.markup)}`;
}
