import { Api } from 'node-telegram-bot-api';
import { Subject } from 'rxjs';
import { CallStatusMessage, type FinalDelivery } from '../../telegram/status-renderer';
import { TelegramOut } from '../../telegram/telegram-out';
import { TELEGRAM_LIMITS, TelegramOutbox } from '../../telegram/telegram-outbox';
import { silentLogger } from '../../config/logger';
import type { CallStage } from '../../call/call-types';
import type { CallUpdate } from '../../call/call-update';
import { ManualClock } from '../support/manual-clock';

const context = { callId: '6f1c0f3e-0000-4000-8000-000000000001', agentId: 1, agentTelegramId: '2001', agentPhone: '+15551230001', target: '+12025550123', route: 'M' as const, callerId: '+15551234567' };
const update = (stage: CallStage, final = false): CallUpdate => ({
  context, stage, at: 0, final, ...(final ? { outcome: 'completed' as const, talkSeconds: 5, endedBy: 'target' as const } : {}),
});
const FINAL = '📴 Call ended — 0:05 — they hung up';

/** What the fake Bot API answers to one request: normally, or a fault before or after doing it. */
type Fault = '429' | '502-before' | '502-after' | 'gone';

/**
 * A Bot API behind the library's `fetch` option: it keeps the chat's messages as a Telegram client
 * would show them, and answers each request as the script says.
 */
class FakeBotApi {
  readonly messages: Array<{ id: number; history: string[] }> = [];
  readonly faults: Partial<Record<'sendMessage' | 'editMessageText', Fault[]>> = {};
  readonly requests: Array<{ method: string; at: number }> = [];

  constructor(private readonly clock: ManualClock) {}

  readonly fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const method = String(url).split('/').at(-1) as 'sendMessage' | 'editMessageText';
    this.requests.push({ method, at: this.clock.now() });
    const params = new URLSearchParams(init?.body as URLSearchParams);
    const fault = this.faults[method]?.shift();
    if (fault === '429') return json(429, { ok: false, error_code: 429, description: 'Too Many Requests: retry after 2', parameters: { retry_after: 2 } });
    if (fault === '502-before') return new Response('Bad Gateway', { status: 502 });
    if (fault === 'gone') return json(400, { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
    const text = params.get('text') ?? '';
    let result: unknown;
    if (method === 'sendMessage') {
      const id = this.messages.length + 1;
      this.messages.push({ id, history: [text] });
      result = { message_id: id, date: 0, chat: { id: 1, type: 'private' }, text };
    } else {
      const message = this.messages.find((m) => m.id === Number(params.get('message_id')));
      if (!message) return json(400, { ok: false, error_code: 400, description: 'Bad Request: message to edit not found' });
      if (message.history.at(-1) === text) return json(400, { ok: false, error_code: 400, description: 'Bad Request: message is not modified' });
      message.history.push(text);
      result = true;
    }
    if (fault === '502-after') return new Response('Bad Gateway', { status: 502 });
    return json(200, { ok: true, result });
  };

  headlines(): string[][] {
    return this.messages.map((m) => m.history.map((t) => t.split('\n')[0]!));
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function statusWith(minEditIntervalMs = 1000, confirmDigit?: string) {
  const clock = new ManualClock();
  const api = new FakeBotApi(clock);
  const out = new TelegramOut(new Api('1:x', { apiRoot: 'http://bot-api.invalid', fetch: api.fetch, maxRetries: 0 }), silentLogger(), new TelegramOutbox(TELEGRAM_LIMITS, clock));
  const updates = new Subject<CallUpdate>();
  const recorded: number[] = [];
  let delivery: FinalDelivery | undefined;
  const status = new CallStatusMessage(out, 1, { minEditIntervalMs, now: () => clock.now(), onMessageId: (id) => { recorded.push(id); }, ...(confirmDigit ? { confirmDigit } : {}) }, update('requested'));
  void status.follow(updates).then((d) => { delivery = d; });
  return { clock, api, updates, recorded, delivered: () => delivery };
}

describe('Telegram limits: the call status message', () => {
  it('given a burst of updates within the edit interval, then they coalesce and the final state supersedes the waiting edit', async () => {
    const { clock, api, updates, delivered } = statusWith(1000);
    // Past the interval, with the chat's burst refilled (an edit leaves a token for the final).
    await clock.advance(1010);
    updates.next(update('agent_ringing'));
    await clock.advance(10);
    for (const stage of ['target_dialing', 'target_ringing', 'connected'] as const) updates.next(update(stage));
    await clock.advance(100);
    updates.next(update('ended', true));
    await clock.advance(5000);
    expect(api.headlines()).toEqual([['📞 Calling your phone +1 555-123-0001…', '📞 Your phone +1 555-123-0001 is ringing — answer it…', FINAL]]);
    expect(delivered()).toBe('edited');
  });

  it('given the agent must press the confirmation digit, then that prompt is shown at once, not after the edit interval', async () => {
    const { clock, api, updates } = statusWith(1000, '1');
    await clock.advance(10);
    updates.next(update('agent_ringing'));
    await clock.advance(200);
    updates.next(update('agent_answered'));
    await clock.advance(50);
    expect(api.headlines()[0]?.at(-1)).toBe('✅ You answered — press 1 to confirm…');
  });

  it('given updates spread out, then each is shown with at most one edit per interval, then the final', async () => {
    const { clock, api, updates } = statusWith(1000);
    await clock.advance(1500);
    updates.next(update('target_ringing'));
    await clock.advance(300);
    updates.next(update('connected'));
    await clock.advance(3000);
    updates.next(update('ended', true));
    await clock.advance(3000);
    expect(api.headlines()).toEqual([['📞 Calling your phone +1 555-123-0001…', '🔔 Ringing…', '🟢 Connected', FINAL]]);
    const edits = api.requests.filter((r) => r.method === 'editMessageText').map((r) => r.at);
    expect(edits[1]! - edits[0]!).toBeGreaterThanOrEqual(1000);
  });

  it('given the first sendMessage fails with 502 twice, then it is retried, its id is recorded, and the final state edits it', async () => {
    const { clock, api, updates, recorded, delivered } = statusWith();
    api.faults.sendMessage = ['502-before', '502-before'];
    await clock.advance(3000);
    updates.next(update('ended', true));
    await clock.advance(3000);
    expect(api.headlines()).toEqual([['📞 Calling your phone +1 555-123-0001…', FINAL]]);
    expect(recorded).toEqual([1]);
    expect(delivered()).toBe('edited');
  });

  it('given the first status never gets a message id, then the final state arrives as one new message', async () => {
    const { clock, api, updates, recorded, delivered } = statusWith();
    api.faults.sendMessage = Array<Fault>(5).fill('502-before');
    updates.next(update('ended', true));
    await clock.advance(30_000);
    expect(api.headlines()).toEqual([[FINAL]]);
    expect(recorded).toEqual([]);
    expect(delivered()).toBe('sent');
  });

  it('given the first status delivered but its answer lost (502 after delivery), then the retry duplicates a live message, never the final', async () => {
    const { clock, api, updates, delivered } = statusWith();
    api.faults.sendMessage = ['502-after'];
    updates.next(update('ended', true));
    await clock.advance(5000);
    expect(api.headlines()).toEqual([['📞 Calling your phone +1 555-123-0001…'], ['📞 Calling your phone +1 555-123-0001…', FINAL]]);
    expect(delivered()).toBe('edited');
  });

  it('given the final edit answered 502 after it was applied, then the retry counts "not modified" as shown and nothing is sent anew', async () => {
    const { clock, api, updates, delivered } = statusWith();
    await clock.advance(10);
    api.faults.editMessageText = ['502-after', '429'];
    updates.next(update('ended', true));
    await clock.advance(10_000);
    expect(api.headlines()).toEqual([['📞 Calling your phone +1 555-123-0001…', FINAL]]);
    expect(delivered()).toBe('edited');
  });

  it('given the agent deleted the status message, then the final state is sent as a new message, once', async () => {
    const { clock, api, updates, delivered } = statusWith();
    await clock.advance(10);
    api.faults.editMessageText = ['gone'];
    updates.next(update('ended', true));
    await clock.advance(5000);
    expect(api.headlines()).toEqual([['📞 Calling your phone +1 555-123-0001…'], [FINAL]]);
    expect(delivered()).toBe('sent');
  });

  it('given a 429 holds the first status until after the call ended, then the first still goes (live) and is edited to the final', async () => {
    const { clock, api, updates, delivered } = statusWith();
    api.faults.sendMessage = ['429'];
    await clock.advance(500);
    updates.next(update('connected'));
    updates.next(update('ended', true));
    await clock.advance(10_000);
    // Sent as a new message, a final retried after a lost answer could arrive twice; edited, it cannot.
    expect(api.headlines()).toEqual([['🟢 Connected', FINAL]]);
    expect(api.requests.filter((r) => r.method === 'sendMessage').map((r) => r.at)).toEqual([0, 2000]);
    expect(delivered()).toBe('edited');
  });
});
