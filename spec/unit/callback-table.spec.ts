import type { Agent } from '../../entities';
import { CALLBACKS, runCallback, type CallbackTable, type Tap } from '../../telegram/callback-table';
import { type CallbackAction, decodeCallback, encodeCallback } from '../../telegram/menus/callback-data';
import type { Role } from '../../telegram/roles';
import { T } from '../../telegram/texts';

const agent = { id: 7, telegramId: '7', status: 'active' } as Agent;

/** A tap as the bot builds it, with what it answered and what its handler did recorded. */
function tapBy(role: Role): Tap & { answers: (string | undefined)[] } {
  const answers: (string | undefined)[] = [];
  let answered = false;
  return {
    answers,
    deps: {} as Tap['deps'], chatId: 7, from: { id: 7, is_bot: false, first_name: 'A' }, userId: '7', role, args: '',
    alerts: {} as Tap['alerts'],
    reply: async () => undefined,
    answer: async (alert) => {
      if (answered) return;
      answered = true;
      answers.push(alert);
    },
  };
}

function tableWith(entry: Partial<CallbackTable['cancelRoute']>, ran: string[]): CallbackTable {
  return { ...CALLBACKS, cancelRoute: { who: 'agent', run: async () => { ran.push('run'); }, ...entry } };
}

describe('the callback table', () => {
  it('given every kind of button, then it has exactly one entry naming who may use it and a handler', () => {
    for (const [kind, entry] of Object.entries(CALLBACKS)) {
      expect(['anyone', 'agent', 'admin']).toContain(entry.who);
      expect(typeof entry.run).toBe(`function`);
      expect(kind).toMatch(/^[a-zA-Z]+$/);
    }
  });

  it('given the buttons that act for admins only, then agents may not use them', () => {
    for (const kind of ['approve', 'deny', 'verifyNumber', 'callNumberAgain', 'suspend'] as const) expect(CALLBACKS[kind].who).toBe('admin');
  });

  it('given a hang-up, then its handler answers the tap with what the engine said, not a permission check', () => {
    expect(CALLBACKS.hangup.answersItself).toBe(true);
    expect(CALLBACKS.hangup.refuse).toBeUndefined();
  });

  it('given someone without an active agent record, when they tap an agent button, then the tap is answered "not allowed" and nothing runs', async () => {
    const ran: string[] = [];
    const tap = tapBy({ kind: 'revoked', agent });
    await runCallback(tap, { kind: 'cancelRoute' }, tableWith({}, ran));
    expect(tap.answers).toEqual([T.notAllowed]);
    expect(ran).toEqual([]);
  });

  it('given a stale button, when an agent taps it, then the refusal is the answer and nothing runs', async () => {
    const ran: string[] = [];
    const tap = tapBy({ kind: 'agent', agent });
    await runCallback(tap, { kind: 'cancelRoute' }, tableWith({ refuse: async () => T.staleButton }, ran));
    expect(tap.answers).toEqual([T.staleButton]);
    expect(ran).toEqual([]);
  });

  it('given a permitted tap, then it is answered once before its handler runs', async () => {
    const order: string[] = [];
    const tap = tapBy({ kind: 'agent', agent });
    const answer = tap.answer;
    tap.answer = async (alert) => { order.push('answer'); await answer(alert); };
    await runCallback(tap, { kind: 'cancelRoute' }, tableWith({ run: async () => { order.push('run'); } }, []));
    expect(order[0]).toBe('answer');
    expect(order).toContain('run');
    expect(tap.answers).toEqual([undefined]);
  });

  it('given a handler that answers itself but fails first, then the tap is still answered', async () => {
    const tap = tapBy({ kind: 'agent', agent });
    const failing = tableWith({ answersItself: true, run: async () => { throw new Error('boom'); } }, []);
    await expect(runCallback(tap, { kind: 'cancelRoute' } as CallbackAction & { kind: 'cancelRoute' }, failing)).rejects.toThrow('boom');
    expect(tap.answers).toEqual([undefined]);
  });
});

describe('the callback data of a call\'s party buttons', () => {
  const callId = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
  const actions: CallbackAction[] = [
    { kind: 'transferMenu', callId },
    { kind: 'transferMode', callId, mode: 'cold' },
    { kind: 'transferMode', callId, mode: 'warm' },
    { kind: 'addMenu', callId },
    { kind: 'pickAgent', callId, purpose: 'warm', agentId: 9_999_999_999 },
    { kind: 'pickAgent', callId, purpose: 'add', agentId: 1 },
    { kind: 'typeNumber', callId, purpose: 'cold' },
    { kind: 'consultEnd', callId, how: 'complete' },
    { kind: 'consultEnd', callId, how: 'back' },
    { kind: 'consultEnd', callId, how: 'conference' },
    { kind: 'cancelInput' },
    { kind: 'recording', callId, pause: true },
    { kind: 'recording', callId, pause: false },
  ];

  it.each(actions.map((a) => [a.kind, a] as const))('given a %s button, then its data fits in 64 bytes and decodes to the same action', (_kind, action) => {
    const data = encodeCallback(action);
    expect(Buffer.byteLength(data, 'utf8')).toBeLessThanOrEqual(64);
    expect(decodeCallback(data)).toEqual(action);
  });

  it.each(['tr:not-a-uuid', `pa:x:${callId}:5`, `pa:c:${callId}:0`, `ce:z:${callId}`, `tm:a:${callId}`, 'ic:1', `rk:x:${callId}`, 'rk:p:not-a-uuid'])('given forged data %s, then nothing decodes', (data) => {
    expect(decodeCallback(data)).toBeUndefined();
  });
});

describe('the callback data of scheduled callbacks\' buttons', () => {
  const callId = 'ffffffff-ffff-4fff-8fff-ffffffffffff';
  const actions: CallbackAction[] = [
    { kind: 'callbackPick', callId, pick: 'in_an_hour' },
    { kind: 'callbackPick', callId, pick: 'tomorrow_morning' },
    { kind: 'callbackPick', callId, pick: 'typed' },
    { kind: 'callbackCall', callbackId: 1 },
    { kind: 'callbackCancel', callbackId: 999_999_999 },
  ];

  it.each(actions.map((a) => [`${a.kind} ${JSON.stringify(a)}`, a] as const))('given a %s button, then its data fits in 64 bytes and decodes to the same action', (_name, action) => {
    const data = encodeCallback(action);
    expect(Buffer.byteLength(data, 'utf8')).toBeLessThanOrEqual(64);
    expect(decodeCallback(data)).toEqual(action);
  });

  it.each([`bp:x:${callId}`, 'bp:h:not-a-uuid', 'bc:0', 'bc:-1', 'bx:1e3', 'bc:9999999999'])('given forged data %s, then nothing decodes', (data) => {
    expect(decodeCallback(data)).toBeUndefined();
  });

  it('given the reminder\'s 📞 Call, then only active agents may tap it; Cancel is judged per callback (an admin may cancel any)', () => {
    expect(CALLBACKS.callbackCall.who).toBe('agent');
    expect(CALLBACKS.callbackCall.refuse).toBeDefined();
    expect(CALLBACKS.callbackCancel.who).toBe('anyone');
    expect(CALLBACKS.callbackCancel.refuse).toBeDefined();
  });
});
