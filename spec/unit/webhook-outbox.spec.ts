import { silentLogger } from '../../config/logger';
import type { NewWebhookDelivery } from '../../store/webhook-delivery-store';
import { followCallEvents } from '../../webhooks/call-event-feed';
import { WebhookOutbox } from '../../webhooks/webhook-outbox';
import type { CallEventDraft } from '../../webhooks/webhook-events';
import type { CallContext, CallUpdate } from '../../call/call-update';
import { Subject } from 'rxjs';
import { waitFor } from '../support/wait-for';

const context: CallContext = { callId: 'c1', agentId: 7, agentTelegramId: '700', agentPhone: '+12025550100', target: '+12025550123', route: 'M', callerId: null };
const endpoint = { id: 1, url: 'http://127.0.0.1:1/hook', secret: 's', events: null };

/** An outbox over a queue in memory, whose catch-up is held until the spec lets it go. */
function outboxWithHeldCatchUp() {
  const queued: Array<Pick<NewWebhookDelivery, 'eventType' | 'callId'>> = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => { release = resolve; });
  const asked: string[] = [];
  const outbox = new WebhookOutbox({
    deliveries: { enqueue: async (rows) => { queued.push(...rows.map((r) => ({ eventType: r.eventType, callId: r.callId }))); } },
    endpoints: { current: async () => [endpoint] },
    logger: silentLogger(),
    catchUp: async (callId) => {
      asked.push(callId);
      await held;
      queued.push({ eventType: 'call.connected', callId });
      return 1;
    },
  });
  return { outbox, queued, asked, release };
}

const draft = (type: CallEventDraft['type'], callId: string): CallEventDraft => ({ type, callId, at: 1, data: {} });

describe('the webhook outbox and a call taken over mid-way', () => {
  it('given a call taken over, when its live events are added after the catch-up was asked for, then they are queued only after what the catch-up queued', async () => {
    const { outbox, queued, asked, release } = outboxWithHeldCatchUp();
    outbox.add(draft('call.ended', 'c0'));
    outbox.catchUp('c1');
    outbox.add(draft('call.ended', 'c1'));
    await waitFor(() => asked.length === 1 && queued.length === 1, { what: 'the catch-up asked for' });
    expect(queued).toEqual([{ eventType: 'call.ended', callId: 'c0' }]);
    release();
    await outbox.written();
    expect(queued).toEqual([
      { eventType: 'call.ended', callId: 'c0' }, { eventType: 'call.connected', callId: 'c1' }, { eventType: 'call.ended', callId: 'c1' },
    ]);
  });

  it('given a call\'s catch-up is still reading the database, when another call\'s events are added, then they are queued without waiting for it, and the taken-over call\'s after its catch-up', async () => {
    const { outbox, queued, asked, release } = outboxWithHeldCatchUp();
    outbox.catchUp('c1');
    outbox.add(draft('call.ended', 'c1'));
    await waitFor(() => asked.length === 1, { what: 'the catch-up asked for' });
    outbox.add(draft('call.connected', 'c2'));
    await waitFor(() => queued.length === 1, { what: 'the other call\'s event queued' });
    expect(queued).toEqual([{ eventType: 'call.connected', callId: 'c2' }]);
    release();
    await outbox.written();
    expect(queued).toEqual([
      { eventType: 'call.connected', callId: 'c2' }, { eventType: 'call.connected', callId: 'c1' }, { eventType: 'call.ended', callId: 'c1' },
    ]);
  });

  it('given the call feed, when a call is first seen mid-way, then its catch-up is asked for before its events, once, and the stage it is first seen at is told (with the agent\'s answer it implies); a call first seen at its start asks none', () => {
    const updates = new Subject<CallUpdate>();
    const told: string[] = [];
    followCallEvents({ updates }, (d) => told.push(`${d.callId} ${d.type}`), silentLogger(), (callId) => told.push(`${callId} catch-up`));
    updates.next({ context, stage: 'connected', at: 1, final: false });
    updates.next({ context, stage: 'ended', at: 2, final: true });
    updates.next({ context: { ...context, callId: 'c2' }, stage: 'requested', at: 3, final: false });
    expect(told).toEqual(['c1 catch-up', 'c1 call.agent_answered', 'c1 call.connected', 'c1 call.ended', 'c2 call.requested']);
  });
});
