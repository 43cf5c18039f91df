/**
 * The agent's view: the dialer, their live call with Hang up and Transfer (and a warm transfer's
 * Complete, Back and Conference while it lasts), recent calls with redial, pending callbacks.
 */
import { AsYouType, type CountryCode } from 'libphonenumber-js';
import type { ConsultEnd } from '../../call/call-types';
import type { CallCard, PendingCallback, RecentCall } from '../miniapp-types';
import { type Api, ApiError } from './api';
import { el, routeTag } from './dom';
import type { PageWords } from './page-words';

export class Dialer {
  private call: CallCard | undefined;
  private recent: RecentCall[] = [];
  private callbacks: PendingCallback[] = [];
  private problem = '';
  private transferOpen = false;
  private candidates: { agentId: number; label: string }[] = [];
  private readonly number: HTMLInputElement;
  private readonly form: HTMLFormElement;
  private readonly callCard = el('div', { id: 'call-card', 'aria-live': 'polite' });
  private readonly lists = el('div');
  private readonly problemBox = el('div', { id: 'dial-problem', class: 'problem', role: 'alert', hidden: true });

  constructor(root: HTMLElement, private readonly api: Api, private readonly w: PageWords) {
    const { agent } = api.me;
    this.number = el('input', {
      id: 'number', type: 'tel', inputmode: 'tel', autocomplete: 'off', 'aria-describedby': 'number-hint', required: true,
    });
    this.number.addEventListener('input', () => this.formatAsTyped());
    this.form = el('form', { class: 'card', 'aria-label': w.dialer },
      el('label', { for: 'number' }, w.numberLabel),
      this.number,
      el('p', { id: 'number-hint', class: 'hint' }, w.numberHint),
      el('p', { id: 'route-line', class: 'note' },
        `${w.route} `, el('span', { class: 'tag' }, routeTag(agent?.route)), ` · ${w.callerId} ${agent?.callerId ?? w.notSet} `, el('span', { class: 'tag' }, routeTag(agent?.route))),
      el('button', { type: 'submit', id: 'call-button', class: 'wide' }, w.call),
    );
    this.form.addEventListener('submit', (event) => { event.preventDefault(); void this.place(this.number.value); });
    root.replaceChildren(this.form, this.problemBox, this.callCard, this.lists);
  }

  async load(): Promise<void> {
    const [live, recent, callbacks] = await Promise.all([
      this.api.get<{ call: CallCard | null }>('calls/live'),
      this.api.get<{ calls: RecentCall[] }>('recent'),
      this.api.get<{ callbacks: PendingCallback[] }>('callbacks'),
    ]);
    this.call = live.call ?? this.call;
    this.recent = recent.calls;
    this.callbacks = callbacks.callbacks;
    this.render();
  }

  /** A call update from the stream: the card follows it; once it ends, the recent calls are read again. */
  onCall(card: CallCard): void {
    this.call = card;
    // The transfer panel closes once Transfer is no longer offered (a consultation began, the call passed on).
    if (card.final || (card.controls !== undefined && card.controls !== 'transfer')) this.transferOpen = false;
    if (card.final) void this.load();
    this.render();
  }

  private formatAsTyped(): void {
    const typed = this.number.value;
    // Deleting a formatting character would put it straight back: only typing forward is formatted.
    if (typed.length < (this.number.dataset.last ?? '').length) {
      this.number.dataset.last = typed;
      return;
    }
    const formatted = new AsYouType(this.api.region as CountryCode).input(typed);
    this.number.value = formatted;
    this.number.dataset.last = formatted;
  }

  private async place(number: string): Promise<void> {
    this.problem = '';
    if (!number.trim()) return;
    const button = this.form.querySelector('button')!;
    button.disabled = true;
    button.textContent = this.w.placing;
    try {
      const { callId } = await this.api.post<{ callId: string }>('calls', { number });
      // The stream tells every stage; until its first update the card says the call is starting.
      if (this.call?.callId !== callId) {
        const agent = this.api.me.agent;
        this.call = { callId, stage: 'requested', status: '…', customer: number, route: agent?.route ?? 'M', callerId: agent?.callerId ?? null, final: false };
      }
    } catch (err) {
      this.problem = err instanceof Error ? err.message : String(err);
    } finally {
      button.disabled = false;
      button.textContent = this.w.call;
      this.render();
    }
  }

  private async act(step: () => Promise<unknown>): Promise<void> {
    this.problem = '';
    try {
      await step();
    } catch (err) {
      this.problem = err instanceof ApiError ? err.message : String(err);
    }
    this.render();
  }

  private render(): void {
    const { w } = this;
    this.problemBox.hidden = this.problem === '';
    this.problemBox.textContent = this.problem;
    const call = this.call;
    this.callCard.replaceChildren(call ? this.renderCall(call) : '');
    this.lists.replaceChildren(
      el('h2', { id: 'recent-title' }, w.recent),
      this.recent.length === 0 ? el('p', { class: 'note' }, w.recentEmpty) : el('ul', { class: 'list card', 'aria-labelledby': 'recent-title' },
        ...this.recent.map((r) => el('li', {},
          el('div', { class: 'grow' }, el('div', {}, `${r.customer} `, el('span', { class: 'tag' }, routeTag(r.route))),
            el('div', { class: 'muted' }, `${r.at.slice(11, 16)} UTC · ${r.result}${r.talk ? ` · ${r.talk}` : ''}`)),
          r.number ? el('button', { class: 'secondary', type: 'button', 'aria-label': `${w.redial} ${r.customer}`, onclick: () => void this.place(r.number!) }, w.redial) : null,
        ))),
      el('h2', { id: 'callbacks-title' }, w.callbacks),
      this.callbacks.length === 0 ? el('p', { class: 'note' }, w.callbacksEmpty) : el('ul', { class: 'list card', 'aria-labelledby': 'callbacks-title' },
        ...this.callbacks.map((c) => el('li', {},
          el('div', { class: 'grow' }, el('div', {}, `${c.customer} `, el('span', { class: 'tag' }, routeTag(c.route))),
            el('div', { class: 'muted' }, `${c.dueAt.slice(0, 16).replace('T', ' ')} UTC`)),
          el('button', { class: 'secondary', type: 'button', 'aria-label': `${w.callBack} ${c.customer}`, onclick: () => void this.place(c.number) }, w.callBack),
        ))),
    );
  }

  private renderCall(call: CallCard): HTMLElement {
    const { w } = this;
    // A call passed to someone else goes on without this agent: the card says to whom and offers nothing.
    const live = !call.final && !call.transferred;
    // A card without controls comes from a server that does not know the call's parties: Transfer on a connected call, as before.
    const controls = call.controls ?? (call.stage === 'connected' ? 'transfer' : 'none');
    const consulting = live && (controls === 'consulting' || controls === 'consult_ringing');
    return el('section', { class: 'card', 'aria-label': w.yourCall },
      el('h2', {}, w.yourCall),
      el('div', { class: 'status', id: 'call-status' }, call.status),
      el('div', {}, `${call.customer} `, el('span', { class: 'tag' }, routeTag(call.route)), el('span', { class: 'muted' }, ` · ${w.callerId} ${call.callerId ?? w.notSet} ${routeTag(call.route)}`)),
      consulting ? el('div', { class: 'status', id: 'consult-status' }, this.consultLine(call, controls === 'consulting')) : null,
      live ? el('div', { class: 'row', style: 'margin-top:10px' },
        el('button', { class: 'danger grow', type: 'button', id: 'hangup', onclick: () => void this.act(() => this.api.post(`calls/${call.callId}/hangup`)) }, w.hangUp),
        controls === 'transfer' ? el('button', {
          class: 'secondary grow', type: 'button', id: 'transfer', 'aria-expanded': String(this.transferOpen), onclick: () => void this.toggleTransfer(call.callId),
        }, w.transfer) : null,
      ) : null,
      consulting ? this.renderConsultation(call, controls === 'consulting') : null,
      live && controls === 'transfer' && this.transferOpen ? this.renderTransfer(call.callId) : null,
    );
  }

  /** "Consulting Bob" once the colleague answered, "Calling Bob…" while their phone rings. */
  private consultLine(call: CallCard, answered: boolean): string {
    const who = call.consulted ?? '';
    return answered ? `${this.w.consulting} ${who}` : `${this.w.consultRinging} ${who}…`;
  }

  /** A consultation's end, as the status message's ✅ Complete, ↩️ Back and 👥 Conference; while the colleague's phone rings, only Back. */
  private renderConsultation(call: CallCard, answered: boolean): HTMLElement {
    const { w } = this;
    const who = call.consulted ?? '';
    const finish = (how: ConsultEnd) => () => void this.act(() => this.api.post(`calls/${call.callId}/consultation`, { how }));
    return el('div', { class: 'row', role: 'group', 'aria-label': this.consultLine(call, answered), style: 'margin-top:8px' },
      answered ? el('button', { type: 'button', class: 'grow', id: 'consult-complete', 'aria-label': `${w.consultCompleteHint} ${who}`, onclick: finish('complete') }, w.consultComplete) : null,
      el('button', { type: 'button', class: 'secondary grow', id: 'consult-back', 'aria-label': `${w.consultBackHint} ${who}`, onclick: finish('back') }, w.consultBack),
      answered ? el('button', { type: 'button', class: 'secondary grow', id: 'consult-conference', 'aria-label': `${w.consultConferenceHint} ${who}`, onclick: finish('conference') }, w.consultConference) : null,
    );
  }

  private async toggleTransfer(callId: string): Promise<void> {
    this.transferOpen = !this.transferOpen;
    if (this.transferOpen) {
      await this.act(async () => { this.candidates = (await this.api.get<{ agents: { agentId: number; label: string }[] }>(`calls/${callId}/transfer-candidates`)).agents; });
    }
    this.render();
  }

  private renderTransfer(callId: string): HTMLElement {
    const { w } = this;
    const input = el('input', { id: 'transfer-number', type: 'tel', inputmode: 'tel', autocomplete: 'off' });
    const transfer = (to: { agentId: number } | { number: string }, mode: 'cold' | 'warm') => void this.act(async () => {
      await this.api.post(`calls/${callId}/transfer`, { ...to, mode });
      this.transferOpen = false;
    });
    return el('div', { class: 'card', role: 'group', 'aria-label': w.transferTo },
      el('h2', {}, w.transferTo),
      this.candidates.length === 0 ? el('p', { class: 'note' }, w.transferNoAgents) : el('ul', { class: 'list' },
        ...this.candidates.map((c) => el('li', {}, el('span', { class: 'grow' }, c.label),
          el('button', { type: 'button', 'aria-label': `${w.transferCold}: ${c.label}`, onclick: () => transfer({ agentId: c.agentId }, 'cold') }, w.transferCold),
          el('button', { type: 'button', class: 'secondary', 'aria-label': `${w.transferWarm}: ${c.label}`, onclick: () => transfer({ agentId: c.agentId }, 'warm') }, w.transferWarm)))),
      el('label', { for: 'transfer-number' }, w.transferNumberLabel),
      input,
      el('div', { class: 'row', style: 'margin-top:8px' },
        el('button', { type: 'button', class: 'grow', onclick: () => transfer({ number: input.value }, 'cold') }, w.transferCold),
        el('button', { type: 'button', class: 'secondary grow', onclick: () => transfer({ number: input.value }, 'warm') }, w.transferWarm)),
    );
  }
}
