/**
 * After-call work as the bot asks for it: an agent's disposition of an ended call (with what its code
 * does: the do-not-call list, a callback offer) and their note. Every change is written through the
 * call store and audited here, once, so no caller can forget either; answers are facts, the bot words them.
 */
import type { AfterCallSettings, DispositionCode } from '../config/after-call-settings';
import type { DncService } from '../compliance/dnc-service';
import type { Call } from '../entities';
import type { AuditLog, CallStore } from '../store';
import type { DncEntry } from '../store/dnc-store';
import { type Observable, Subject } from 'rxjs';
import type { CallbackOffer, DispositionChosen } from './after-call-types';
import { type AfterCallRefusal, afterCallRefusal, checkNote, codeNamed, codesFor, effectOf } from './dispositions';

export interface AfterCallDeps {
  calls: Pick<CallStore, 'byId' | 'recordDisposition' | 'recordNote' | 'callWithStatusMessage'>;
  audit: Pick<AuditLog, 'record'>;
  /** The do-not-call list, listed exactly as the "asked not to be called" button always did. */
  doNotCall: Pick<DncService, 'markFromCall'>;
  /** The reason the list keeps for a number its customer asked off it on a call (as the bot words it). */
  doNotCallReason: string;
  settings: Pick<AfterCallSettings, 'dispositions' | 'noteMaxChars'>;
  /** Scheduling a call back after `Call back`; without one, the agent is told it is not set up. */
  callbackOffer?: CallbackOffer;
  now?: () => number;
}

/** Who is working on the call: their agent id (null when they are no active agent) and Telegram id, and where they are. */
export interface AfterCallAgent {
  agentId: number | null;
  telegramId: string;
  chatId: string;
}

/** What choosing a code did beside recording it. */
export type DispositionFollowUp =
  | { kind: 'none' }
  | { kind: 'do_not_call'; number: string; added: boolean; entry: DncEntry }
  /** `offered`: the callback offer took over; `not_set_up`: there is none; `failed`: it threw (`error`). */
  | { kind: 'callback'; offer: 'offered' | 'not_set_up' | 'failed'; error?: unknown };

export type DispositionAnswer =
  | { ok: false; refusal: AfterCallRefusal | 'unknown_code' }
  | { ok: true; call: Call; chosen: DispositionCode; previous: string | null; followUp: DispositionFollowUp };

export type NoteAnswer =
  /** The message replied to is not the status message of a call in this chat. */
  | { ok: false; refusal: 'not_a_status' }
  | { ok: false; refusal: AfterCallRefusal; call: Call }
  | { ok: false; refusal: 'empty'; call: Call }
  | { ok: false; refusal: 'too_long'; call: Call; chars: number; max: number }
  | { ok: true; call: Call; replaced: boolean; chars: number };

export class AfterCallWork {
  private readonly now: () => number;
  private readonly chosen = new Subject<DispositionChosen>();

  constructor(private readonly deps: AfterCallDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Every disposition recorded, once written (a choice made again that changes nothing is not told). */
  get dispositions(): Observable<DispositionChosen> {
    return this.chosen.asObservable();
  }

  /** The codes under this call's final status, in order. */
  codesFor(outcome: Call['outcome'] | undefined): DispositionCode[] {
    return codesFor(this.deps.settings.dispositions, outcome);
  }

  /**
   * Records the agent's choice (a choice made again replaces the last one, audited when it changes),
   * then does what the code does. A stale button (a code no longer configured, or one the call never
   * offered) and a forged one (another agent's call) change nothing.
   */
  async choose(by: AfterCallAgent, callId: string, code: string, statusMessageId?: number): Promise<DispositionAnswer> {
    const call = await this.deps.calls.byId(callId);
    const refusal = afterCallRefusal(call, by.agentId);
    if (refusal || !call) return { ok: false, refusal: refusal ?? 'unknown_call' };
    const chosen = codeNamed(this.codesFor(call.outcome), code);
    if (!chosen) return { ok: false, refusal: 'unknown_code' };
    const previous = call.disposition;
    if (previous !== chosen.code) {
      const at = new Date(this.now());
      await this.deps.calls.recordDisposition(call.id, chosen.code, at);
      await this.deps.audit.record({ actor: by.telegramId, action: 'call_disposition', subject: call.id, details: previous ? `${chosen.code} (was ${previous})` : chosen.code });
      call.disposition = chosen.code;
      call.dispositionAt = at;
      this.chosen.next({ callId: call.id, disposition: chosen.code, previous, agentId: by.agentId, at: at.getTime() });
    }
    return { ok: true, call, chosen, previous, followUp: await this.followUp(by, call, chosen.code, statusMessageId) };
  }

  private async followUp(by: AfterCallAgent, call: Call, code: string, statusMessageId: number | undefined): Promise<DispositionFollowUp> {
    switch (effectOf(code)) {
      case 'none':
        return { kind: 'none' };
      case 'do_not_call': {
        // The do-not-call service audits the listing (once, when it is new), as the button's tap always did.
        const marked = await this.deps.doNotCall.markFromCall(by.telegramId, call.id, this.deps.doNotCallReason);
        return marked ? { kind: 'do_not_call', ...marked } : { kind: 'none' };
      }
      case 'callback': {
        const offer = this.deps.callbackOffer;
        if (!offer) return { kind: 'callback', offer: 'not_set_up' };
        try {
          await offer.offer({ chatId: by.chatId, agentTelegramId: by.telegramId, callId: call.id, ...(statusMessageId !== undefined ? { statusMessageId } : {}) });
          return { kind: 'callback', offer: 'offered' };
        } catch (error) {
          return { kind: 'callback', offer: 'failed', error };
        }
      }
    }
  }

  /**
   * A reply to a call's status message, kept as its note (a newer one replaces it, audited by its
   * length: a note may hold what the audit log must not). A note over the cap is refused whole.
   */
  async note(by: AfterCallAgent, repliedTo: number, text: string): Promise<NoteAnswer> {
    const call = await this.deps.calls.callWithStatusMessage(by.chatId, repliedTo);
    if (!call) return { ok: false, refusal: 'not_a_status' };
    const refusal = afterCallRefusal(call, by.agentId);
    if (refusal) return { ok: false, refusal, call };
    const checked = checkNote(text, this.deps.settings.noteMaxChars);
    if (!checked.ok) return checked.problem === 'empty' ? { ok: false, refusal: 'empty', call } : { ok: false, refusal: 'too_long', call, chars: checked.chars, max: checked.max };
    const replaced = call.note !== null;
    await this.deps.calls.recordNote(call.id, checked.note);
    await this.deps.audit.record({ actor: by.telegramId, action: 'call_note', subject: call.id, details: `${checked.chars} characters${replaced ? ', replacing the last note' : ''}` });
    call.note = checked.note;
    return { ok: true, call, replaced, chars: checked.chars };
  }
}
