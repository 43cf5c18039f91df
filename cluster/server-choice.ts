import type { RouteCode } from '../call/call-types';
import type { ServerView } from './cluster-call-store';

/** What the choice needs of each configured server. */
export interface ServerOffer {
  id: string;
  routes: readonly RouteCode[];
  weight: number;
}

/**
 * The server a new call on `route` goes to: among those that carry the route and whose owner says
 * they are connected, the one with the fewest live calls per unit of weight; ties go to the first
 * in configuration order, so the choice is the same on every instance. Undefined when none can.
 */
export function chooseServer(route: RouteCode, offers: readonly ServerOffer[], views: readonly ServerView[]): string | undefined {
  let best: { id: string; load: number } | undefined;
  for (const offer of offers) {
    if (!offer.routes.includes(route)) continue;
    const view = views.find((v) => v.id === offer.id);
    if (!view?.connected) continue;
    const load = view.liveCalls / offer.weight;
    if (!best || load < best.load) best = { id: offer.id, load };
  }
  return best?.id;
}
