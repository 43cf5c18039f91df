import { chooseServer, type ServerOffer } from '../../cluster/server-choice';
import type { ServerView } from '../../cluster/cluster-call-store';

const offers: ServerOffer[] = [
  { id: 'a1', routes: ['M', 'D'], weight: 1 },
  { id: 'a2', routes: ['M'], weight: 2 },
  { id: 'a3', routes: ['D'], weight: 1 },
];
const view = (id: string, liveCalls: number, connected = true): ServerView => ({ id, owned: connected, connected, liveCalls });

describe('choosing the Asterisk server for a new call', () => {
  it('given two servers carrying the route, then the one with fewer live calls per unit of weight takes it', () => {
    expect(chooseServer('M', offers, [view('a1', 2), view('a2', 3), view('a3', 0)])).toBe('a2');
    expect(chooseServer('M', offers, [view('a1', 1), view('a2', 3), view('a3', 0)])).toBe('a1');
  });

  it('given a tie, then the first in configuration order takes it, the same choice on every instance', () => {
    expect(chooseServer('M', offers, [view('a1', 0), view('a2', 0)])).toBe('a1');
  });

  it('given a server that does not carry the route, then it is never chosen, however idle', () => {
    expect(chooseServer('D', offers, [view('a1', 9), view('a2', 0), view('a3', 10)])).toBe('a1');
  });

  it('given a server whose owner says it is disconnected, or that no instance owns, then new calls avoid it', () => {
    expect(chooseServer('M', offers, [view('a1', 0, false), view('a2', 5)])).toBe('a2');
    expect(chooseServer('M', offers, [view('a2', 5)])).toBe('a2');
  });

  it('given no connected server for the route, then there is none to choose (telephony offline)', () => {
    expect(chooseServer('D', offers, [view('a1', 0, false), view('a3', 0, false)])).toBeUndefined();
  });
});
