import http from 'node:http';
import type net from 'node:net';
import { Api } from 'node-telegram-bot-api';
import { Subject } from 'rxjs';
import { StatusMessage } from '../../app/status-renderer';
import { TelegramOut } from '../../app/telegram-out';
import { silentLogger } from '../../config/logger';
import type { CallStage } from '../../call/call-types';
import type { CallUpdate } from '../../call/call-update';
import { waitFor } from '../support/wait-for';

const context = { callId: '6f1c0f3e-0000-4000-8000-000000000001', agentId: 1, agentTelegramId: '2001', agentPhone: '+15551230001', target: '+12025550123', route: 'M' as const, callerId: '+15551234567' };
const update = (stage: CallStage, final = false): CallUpdate => ({
  context, stage, at: 0, final, ...(final ? { outcome: 'completed' as const, outcomeText: 'Call ended — 0:05 — they hung up' } : {}),
});

/** A TelegramOut that records what it was asked to do. */
class RecordingOut extends TelegramOut {
  edits: string[] = [];
  sends: string[] = [];
  failEdits = false;
  constructor() {
    super({} as Api, silentLogger());
  }
  override async edit(_chat: number | string, _id: number, text: string): Promise<boolean> {
    this.edits.push(text.split('\n')[0]!);
    return !this.failEdits;
  }
  override async send(_chat: number | string, text: string): Promise<number> {
    this.sends.push(text.split('\n')[0]!);
    return 99;
  }
}

describe('Telegram limits', () => {
  describe('the live status message', () => {
    it('given a burst of updates, then edits are coalesced to one per interval and the final state is shown', async () => {
      const out = new RecordingOut();
      const updates = new Subject<CallUpdate>();
      const done = new StatusMessage(out, 1, 10, { minEditIntervalMs: 200 }).follow(updates, update('requested'));
      const started = Date.now();
      for (const stage of ['agent_dialing', 'agent_ringing', 'target_dialing', 'target_ringing', 'connected'] as const) updates.next(update(stage));
      updates.next(update('ended', true));
      updates.complete();
      await done;
      expect(out.edits).toEqual(['📴 Call ended — 0:05 — they hung up']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    });

    it('given updates spread out, then each is shown, at most one edit per interval', async () => {
      const out = new RecordingOut();
      const updates = new Subject<CallUpdate>();
      const done = new StatusMessage(out, 1, 10, { minEditIntervalMs: 50 }).follow(updates);
      const times: number[] = [];
      for (const stage of ['target_ringing', 'connected'] as const) {
        updates.next(update(stage));
        await waitFor(() => out.edits.length === times.length + 1);
        times.push(Date.now());
      }
      updates.next(update('ended', true));
      await done;
      expect(out.edits).toEqual(['🔔 Ringing…', '🟢 Connected', '📴 Call ended — 0:05 — they hung up']);
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(45);
    });

    it('given the final edit fails, then the final state is sent as a new message', async () => {
      const out = new RecordingOut();
      out.failEdits = true;
      const updates = new Subject<CallUpdate>();
      const done = new StatusMessage(out, 1, 10, { minEditIntervalMs: 10 }).follow(updates);
      updates.next(update('ended', true));
      await done;
      expect(out.sends).toEqual(['📴 Call ended — 0:05 — they hung up']);
    });
  });

  describe('the Bot API transport', () => {
    let server: http.Server;
    let calls: number[];
    let root: string;

    beforeEach(async () => {
      calls = [];
      server = http.createServer((req, res) => {
        calls.push(Date.now());
        res.setHeader('content-type', 'application/json');
        if (req.url?.endsWith('/editMessageText')) {
          res.statusCode = 400;
          res.end(JSON.stringify({ ok: false, error_code: 400, description: 'Bad Request: message is not modified' }));
          return;
        }
        if (calls.length === 1) {
          res.statusCode = 429;
          res.end(JSON.stringify({ ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } }));
          return;
        }
        res.end(JSON.stringify({ ok: true, result: { message_id: 5, date: 0, chat: { id: 1, type: 'private' }, text: 'x' } }));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      root = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    });

    afterEach(() => new Promise<void>((r) => server.close(() => r())));

    it('given a 429 with retry_after, then the message is sent again after waiting that long', async () => {
      const out = new TelegramOut(new Api('1:x', { apiRoot: root }), silentLogger());
      expect(await out.send(1, 'hello')).toBe(5);
      expect(calls).toHaveLength(2);
      expect(calls[1]! - calls[0]!).toBeGreaterThanOrEqual(950);
    });

    it('given "message is not modified", then the edit counts as done', async () => {
      const out = new TelegramOut(new Api('1:x', { apiRoot: root }), silentLogger());
      expect(await out.edit(1, 5, 'same text')).toBe(true);
    });
  });
});
