/**
 * The Mini App's page: Telegram's Web App script (from its npm package, bundled) gives the initData
 * and the theme; the server checks the initData and answers with who this is. Agents get the dialer,
 * supervisors and admins the wallboard, an admin who is also an agent both, as tabs.
 */
import WebApp from '@twa-dev/sdk';
import type { AgentState } from '../miniapp-types';
import { Api, ApiError } from './api';
import { Dialer } from './dialer';
import { $, el } from './dom';
import type { PageWords } from './page-words';
import { WallboardView } from './wallboard';

interface Texts {
  page: PageWords;
  agentStates: Record<AgentState, string>;
}

async function start(): Promise<void> {
  WebApp.ready();
  WebApp.expand();
  const texts = await (await fetch('api/texts')).json() as Texts;
  const w = texts.page;
  document.title = w.title!;
  const signin = $('signin');
  signin.textContent = w.signingIn!;
  const problem = (message: string) => {
    const box = $('problem');
    box.textContent = message;
    box.hidden = false;
  };
  const api = new Api(WebApp.initData, problem);
  try {
    await api.signIn();
  } catch (err) {
    signin.hidden = true;
    problem(err instanceof ApiError ? err.message : String(err));
    return;
  }
  signin.hidden = true;
  const { me } = api;
  const views: { id: string; label: string }[] = [];
  let dialer: Dialer | undefined;
  let wallboard: WallboardView | undefined;
  if (me.agent) {
    dialer = new Dialer($('dialer-view'), api, w);
    views.push({ id: 'dialer-view', label: w.dialer! });
  }
  if (me.watches) {
    wallboard = new WallboardView($('wallboard-view'), api, w, texts.agentStates);
    views.push({ id: 'wallboard-view', label: w.wallboard! });
  }
  showTabs(views);
  await Promise.all([dialer?.load(), wallboard?.load()]);
  document.body.dataset.ready = 'yes';
  api.events((event) => {
    if (event.type === 'call') dialer?.onCall(event.call);
    else wallboard?.show(event.wallboard);
  }, (live) => { document.body.dataset.stream = live ? 'live' : 'reconnecting'; });
}

/** One tab per view (a tablist, moved through with the arrow keys); a single view shows no tabs. */
function showTabs(views: { id: string; label: string }[]): void {
  const tabs = $('tabs');
  const select = (id: string) => {
    for (const view of views) {
      $(view.id).hidden = view.id !== id;
      const tab = document.getElementById(`tab-${view.id}`);
      tab?.setAttribute('aria-selected', String(view.id === id));
      tab?.setAttribute('tabindex', view.id === id ? '0' : '-1');
    }
  };
  if (views.length > 1) {
    tabs.setAttribute('role', 'tablist');
    tabs.replaceChildren(...views.map((view, i) => {
      const tab = el('button', { type: 'button', role: 'tab', id: `tab-${view.id}`, 'aria-controls': view.id, onclick: () => select(view.id) }, view.label);
      tab.addEventListener('keydown', (event) => {
        const key = (event as KeyboardEvent).key;
        if (key !== 'ArrowRight' && key !== 'ArrowLeft') return;
        const next = views[(i + (key === 'ArrowRight' ? 1 : views.length - 1)) % views.length]!;
        select(next.id);
        document.getElementById(`tab-${next.id}`)?.focus();
      });
      return tab;
    }));
    for (const view of views) {
      $(view.id).setAttribute('role', 'tabpanel');
      $(view.id).setAttribute('aria-labelledby', `tab-${view.id}`);
    }
    tabs.hidden = false;
  }
  if (views[0]) select(views[0].id);
}

start().catch((err: unknown) => {
  const box = document.getElementById('problem');
  if (box) {
    box.textContent = err instanceof Error ? err.message : String(err);
    box.hidden = false;
  }
});
