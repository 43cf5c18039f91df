import type { Call, CallLeg } from '../../entities';
import { historyLines } from '../../telegram/commands/history';

const t0 = Date.UTC(2026, 11, 6, 10, 0, 0);
const at = (s: number) => new Date(t0 + s * 1000);

/** A completed call to +1 202-555-0123 on Main, connected 5 s after it was asked for. */
function call(id: string, over: Partial<Call> = {}): Call {
  return {
    id, agentId: 1, targetInput: '202 555 0123', target: '+12025550123', route: 'M', stage: 'ended', outcome: 'completed',
    requestedAt: at(0), connectedAt: at(5), endedAt: at(138), ...over,
  } as Call;
}

function leg(legId: string, over: Partial<CallLeg>): CallLeg {
  return {
    callId: 'c-1', legId, role: null, label: null, agentId: null, number: null, requestedAt: null, answeredAt: null, endedAt: null, hangupCause: null, ...over,
  };
}

const placer = (endedAt: number | null) => leg('agent', { role: 'agent', label: 'Ann', agentId: 1, answeredAt: at(2), endedAt: endedAt === null ? null : at(endedAt) });
const customer = (endedAt: number) => leg('target', { role: 'customer', number: '+12025550123', answeredAt: at(5), endedAt: at(endedAt) });
const CALL_LINE = '2026-12-06 10:00 UTC · +1 202-555-0123 [M] · Call ended · 2:13';

describe('/history in words: who talked to whom and for how long', () => {
  it('given a two-party call, with or without its leg rows, then its line is exactly as it always was', () => {
    expect(historyLines([call('c-1')], new Map())).toEqual([CALL_LINE]);
    expect(historyLines([call('c-1')], new Map([['c-1', [placer(138), customer(138)]]]))).toEqual([CALL_LINE]);
  });

  it('given a chosen outcome and a long note on several lines, then the line ends with the outcome\'s label and the note\'s start on one line', () => {
    const note = 'Wants the annual plan;\ncall after the 5th and ask for María at the front desk';
    const label = (code: string) => (code === 'interested' ? 'Interested' : code);
    expect(historyLines([call('c-1', { disposition: 'interested', note })], new Map(), label)).toEqual([
      `${CALL_LINE} · 🏷 Interested · 📝 Wants the annual plan; call after the 5…`,
    ]);
    // Cut at a character: never half of an emoji's surrogate pair.
    expect(historyLines([call('c-1', { note: '👍'.repeat(50) })], new Map())).toEqual([`${CALL_LINE} · 📝 ${'👍'.repeat(39)}…`]);
    expect(historyLines([call('c-1', { disposition: 'retired_code' })], new Map(), label)).toEqual([`${CALL_LINE} · 🏷 retired_code`]);
  });

  it('given a call the agent passed to a colleague, then the colleague is shown as transferred to, with how long they talked', () => {
    const legs = [placer(60), customer(211), leg('p3', { role: 'consulted', label: 'Bob', agentId: 2, answeredAt: at(60), endedAt: at(211) })];
    expect(historyLines([call('c-1')], new Map([['c-1', legs]]))).toEqual([CALL_LINE, '   ↪️ transferred to Bob (2:31)']);
  });

  it('given a third party brought in, then the call shows a conference with them and for how long', () => {
    const legs = [placer(138), customer(138), leg('p3', { role: 'conferenced', label: '+1 555-010-0199', number: '+15550100199', answeredAt: at(60), endedAt: at(105) })];
    expect(historyLines([call('c-1')], new Map([['c-1', legs]]))).toEqual([CALL_LINE, '   👥 conference with +1 555-010-0199 (0:45)']);
  });

  it('given a colleague consulted and the agent back with the customer, then the colleague is shown as consulted', () => {
    const legs = [placer(138), customer(138), leg('p3', { role: 'consulted', label: 'Bob', answeredAt: at(20), endedAt: at(50) })];
    expect(historyLines([call('c-1')], new Map([['c-1', legs]]))).toEqual([CALL_LINE, '   💬 consulted Bob (0:30)']);
  });

  it('given a party who never answered and one with no label, then the first did not answer and the second is named by their number', () => {
    const legs = [
      placer(138), customer(138),
      leg('p3', { role: 'consulted', label: 'Bob', endedAt: at(30) }),
      leg('p4', { role: 'conferenced', number: '+15550100199', answeredAt: at(40), endedAt: at(100) }),
    ];
    expect(historyLines([call('c-1')], new Map([['c-1', legs]]))).toEqual([CALL_LINE, '   ✖️ Bob did not answer', '   👥 conference with +1 555-010-0199 (1:00)']);
  });

  it('given a call whose legs\' ends were never written (the service stopped), then its parties ended with the call', () => {
    const stopped = call('c-1', { outcome: 'interrupted', endedAt: at(300) });
    const legs = [placer(60), leg('p3', { role: 'consulted', label: 'Bob', answeredAt: at(60) }), leg('p4', { role: 'conferenced', label: 'Cy', answeredAt: at(200) })];
    expect(historyLines([stopped], new Map([['c-1', legs]]))).toEqual([
      '2026-12-06 10:00 UTC · +1 202-555-0123 [M] · Interrupted: the service restarted during the call · 4:55',
      '   ↪️ transferred to Bob (4:00)', '   👥 conference with Cy (1:40)',
    ]);
  });

  it('given a transferred call still going on, then the colleague is shown without a duration, and other calls keep their own lines', () => {
    const live = call('c-1', { stage: 'connected', outcome: null, endedAt: null });
    const legs = [placer(60), leg('p3', { role: 'consulted', label: 'Bob', answeredAt: at(60) })];
    expect(historyLines([live, call('c-2')], new Map([['c-1', legs]]))).toEqual([
      '2026-12-06 10:00 UTC · +1 202-555-0123 [M] · in progress', '   ↪️ transferred to Bob', CALL_LINE,
    ]);
  });
});
