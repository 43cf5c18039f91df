import type { InlineKeyboardMarkup } from 'node-telegram-bot-api/types';
import type { Observable } from 'rxjs';
import { formatForDisplay } from '../phone/number-policy';
import type { CallOutcome } from '../call/call-types';
import type { CallUpdate } from '../call/call-update';
import { endedCall, liveCall } from './menus/keyboards';
import type { TelegramOut } from './telegram-out';
import { callerIdLine, routeTag } from './texts';

const OUTCOME_ICON: Partial<Record<CallOutcome, string>> = {
  completed: '📴',
  target_busy: '❌',
  target_no_answer: '❌',
  target_rejected: '❌',
  target_invalid_number: '⚠️',
  target_unreachable: '⚠️',
  agent_busy: '❌',
  agent_no_answer: '❌',
  agent_unreachable: '⚠️',
  agent_not_confirmed: '⚠️',
  agent_hung_up: '📴',
  cancelled: '⏹',
  failed: '⚠️',
  interrupted: '⚠️',
};

/** The status message's text for one update: what is happening now, then who is being called. */
export function renderStatus(update: CallUpdate, confirmDigit?: string): { text: string; markup: InlineKeyboardMarkup } {
  const { context } = update;
  const target = `${formatForDisplay(context.target)} ${routeTag(context.route)}`;
  let headline: string;
  switch (update.stage) {
    case 'requested':
    case 'agent_dialing':
      headline = `📞 Calling your phone ${formatForDisplay(context.agentPhone)}…`;
      break;
    case 'agent_ringing':
      headline = `📞 Your phone ${formatForDisplay(context.agentPhone)} is ringing — answer it…`;
      break;
    case 'agent_answered':
      headline = `✅ You answered — press ${confirmDigit ?? '1'} to confirm…`;
      break;
    case 'target_dialing':
      headline = `✅ You answered — dialing ${target}…`;
      break;
    case 'target_ringing':
      headline = '🔔 Ringing…';
      break;
    case 'connected':
      headline = '🟢 Connected';
      break;
    case 'ended':
      headline = `${OUTCOME_ICON[update.outcome ?? 'failed'] ?? '📴'} ${update.outcomeText ?? 'Call ended'}`;
      break;
  }
  const text = `${headline}\nTo: ${target}\n${callerIdLine(context.callerId, context.route)}`;
  return { text, markup: update.final ? endedCall(context.target) : liveCall(context.callId) };
}

export interface StatusMessageOptions {
  /** At most one edit per this many ms (Telegram throttles edits of one message at about 1/s). */
  minEditIntervalMs: number;
  confirmDigit?: string;
}

/**
 * One live status message per call. Updates are coalesced: an edit goes out at most once per
 * interval, intermediate states may be skipped, the final one never is. If the final edit fails,
 * the final state is sent as a new message so the agent always learns how the call ended.
 */
export class StatusMessage {
  private pending?: CallUpdate;
  private lastEditAt = 0;
  private timer?: NodeJS.Timeout;
  private busy = false;
  private shown?: string;
  private readonly done: Promise<void>;
  private resolveDone!: () => void;

  constructor(
    private readonly out: TelegramOut,
    private readonly chatId: number | string,
    private readonly messageId: number,
    private readonly options: StatusMessageOptions,
    private readonly now: () => number = Date.now,
  ) {
    this.done = new Promise((resolve) => { this.resolveDone = resolve; });
  }

  /** Follows a call's stream until its final update has been shown. */
  follow(updates: Observable<CallUpdate>, initial?: CallUpdate): Promise<void> {
    if (initial) {
      this.shown = renderStatus(initial, this.options.confirmDigit).text;
      this.lastEditAt = this.now();
    }
    updates.subscribe({ next: (u) => this.offer(u) });
    return this.done;
  }

  offer(update: CallUpdate): void {
    if (this.pending?.final) return;
    this.pending = update;
    this.schedule();
  }

  private schedule(): void {
    if (this.busy || this.timer || !this.pending) return;
    const wait = Math.max(0, this.lastEditAt + this.options.minEditIntervalMs - this.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  private async flush(): Promise<void> {
    const update = this.pending;
    if (!update) return;
    this.pending = undefined;
    const { text, markup } = renderStatus(update, this.options.confirmDigit);
    if (text === this.shown && !update.final) return this.schedule();
    this.busy = true;
    this.lastEditAt = this.now();
    const ok = await this.out.edit(this.chatId, this.messageId, text, markup);
    if (!ok && update.final) await this.out.send(this.chatId, text, markup);
    this.shown = text;
    this.busy = false;
    if (update.final) {
      this.resolveDone();
      return;
    }
    this.schedule();
  }
}
