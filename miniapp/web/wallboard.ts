/** The supervisors' view: live calls (with listen, whisper and barge where the service has them), agents by state, today's figures. */
import type { AgentState, SupervisorAction, Wallboard } from '../miniapp-types';
import { type Api, ApiError } from './api';
import { el, routeTag } from './dom';
import type { PageWords } from './page-words';

const STATE_ORDER: AgentState[] = ['in_call', 'ringing', 'after_call', 'idle', 'suspended'];

export class WallboardView {
  private problem = '';

  constructor(private readonly root: HTMLElement, private readonly api: Api, private readonly w: PageWords, private readonly stateWords: Record<AgentState, string>) {}

  async load(): Promise<void> {
    this.show(await this.api.get<Wallboard>('wallboard'));
  }

  show(board: Wallboard): void {
    const { w } = this;
    const actionWord: Record<SupervisorAction, string> = { listen: w.listen, whisper: w.whisper, barge: w.barge };
    const agents = [...board.agents].sort((a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || a.name.localeCompare(b.name));
    const tile = (label: string, value: string, id: string) => el('div', { class: 'tile', role: 'group', 'aria-labelledby': `${id}-label` },
      el('div', { class: 'muted', id: `${id}-label` }, label), el('div', { class: 'value', id }, value));
    this.root.replaceChildren(
      el('div', { id: 'wall-problem', class: 'problem', role: 'alert', hidden: this.problem === '' }, this.problem),
      el('h2', {}, w.today),
      el('div', { class: 'tiles' },
        tile(w.calls, String(board.today.calls), 'today-calls'), tile(w.answered, String(board.today.answered), 'today-answered'),
        tile(w.answerRate, `${board.today.answerRatePct}%`, 'today-rate'), tile(w.talkTime, board.today.talk, 'today-talk')),
      el('h2', { id: 'live-title' }, w.liveCalls),
      board.liveCalls.length === 0 ? el('p', { class: 'note' }, w.liveCallsEmpty) : el('ul', { class: 'list card', id: 'live-calls', 'aria-labelledby': 'live-title' },
        ...board.liveCalls.map((c) => el('li', { 'data-call': c.callId },
          el('div', { class: 'grow' }, el('div', {}, `${c.agent} → ${c.customer} `, el('span', { class: 'tag' }, routeTag(c.route))), el('div', { class: 'muted' }, c.status)),
          ...board.actions.map((action) => el('button', {
            type: 'button', class: 'secondary', 'aria-label': `${actionWord[action]}: ${c.agent}`, onclick: () => void this.act(c.callId, action),
          }, actionWord[action]))))),
      el('h2', { id: 'agents-title' }, w.agents),
      el('ul', { class: 'list card', id: 'agents', 'aria-labelledby': 'agents-title' },
        ...agents.map((a) => el('li', {}, el('span', { class: 'grow' }, a.name), el('span', { class: `badge ${a.state}` }, this.stateWords[a.state])))),
    );
  }

  private async act(callId: string, action: SupervisorAction): Promise<void> {
    this.problem = '';
    try {
      await this.api.post(`calls/${callId}/supervise`, { action });
    } catch (err) {
      this.problem = err instanceof ApiError ? err.message : String(err);
    }
    await this.load();
  }
}
