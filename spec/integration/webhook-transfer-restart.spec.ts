import type { NewWebhookDelivery } from '../../store/webhook-delivery-store';
import { PARTY } from '../../telegram/texts';
import { eventIdOf } from '../../webhooks/webhook-events';
import { ADMIN_ID, BotHarness, type TestUser } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * A transfer's event is lost with the process that was writing it; the audit log's owner change
 * proves it, so the restart tells it again, under the id the live event had, between the call's
 * connection and its end.
 */
describe('webhooks: a transfer lost with its process is told after the restart', () => {
  let h: BotHarness;
  let receiver: WebhookReceiver;
  let ann: TestUser;
  let bob: TestUser;
  let annId: number;
  let bobId: number;

  beforeEach(async () => {
    receiver = new WebhookReceiver();
    h = await BotHarness.start({ statusEditIntervalMs: 100, webhooks: { settings: { timeoutMs: 1000, maxRetryDelayMs: 2000 } } });
    ({ ann, bob, annId, bobId } = await h.annAndBob([]));
  });

  afterEach(async () => {
    await h.stop();
    await receiver.close();
  });

  const typesOf = (callId: string) => {
    const seen = new Set<string>();
    return receiver.accepted.map((r) => r.event).filter((e) => e.callId === callId && !seen.has(e.id) && seen.add(e.id)).map((e) => e.type);
  };

  it('given the process dies as it writes a cold transfer\'s call.transferred (the owner change is in the audit log), when the app starts again, then call.transferred is delivered after call.connected and before call.ended, with the live event\'s id and both agents', async () => {
    const admin = h.user(ADMIN_ID, 'Ada', 'ada_admin');
    const before = admin.messages().length;
    await admin.send(`/webhooks add ${await receiver.start()}`);
    await admin.waitForNew(before);
    // From the moment the transfer's event is to be written, nothing more reaches the queue: the process is gone.
    const store = h.stores.webhookDeliveries;
    const enqueue = store.enqueue.bind(store);
    const lost: NewWebhookDelivery[] = [];
    store.enqueue = async (rows) => {
      if (lost.length > 0 || rows.some((r) => r.eventType === 'call.transferred')) lost.push(...rows);
      else await enqueue(rows);
    };

    await ann.send('/call +12025550123');
    await ann.waitFor(/^🟢 Connected/, 15000);
    await waitFor(() => ann.messages().find((m) => m.buttons.some((b) => b.text === PARTY.transferButton)), { what: 'the Transfer button' });
    const callId = h.engine.liveCalls()[0]!.context.callId;
    await h.transferToAgent(ann, PARTY.coldButton, 'Bob');
    const bobStatus = await bob.waitFor(/^🟢 Connected/, 8000);
    await bob.send('/hangup');
    await waitFor(() => bob.messages().some((m) => m.messageId === bobStatus.messageId && /^📴 Call ended/.test(m.text)), { what: 'the call ended' });
    await waitFor(() => h.sim.channels().length === 0, { what: 'every leg hung up' });
    await h.engine.settled();
    await waitFor(() => typesOf(callId).includes('call.connected'), { what: 'the events before the transfer delivered' });
    const liveTransfer = lost.find((r) => r.eventType === 'call.transferred')!;
    expect(typesOf(callId)).not.toContain('call.transferred');

    h = await h.restarted();

    await waitFor(() => typesOf(callId).includes('call.ended'), { what: 'the rest delivered after the restart', timeoutMs: 15000 });
    expect(typesOf(callId).slice(-3)).toEqual(['call.connected', 'call.transferred', 'call.ended']);
    const transfer = receiver.accepted.map((r) => r.event).find((e) => e.callId === callId && e.type === 'call.transferred')!;
    expect(transfer.id).toBe(liveTransfer.eventId);
    expect(transfer.id).toBe(eventIdOf({ type: 'call.transferred', callId, at: 0, legId: 'p3' }));
    expect(transfer.data).toEqual({ fromAgentId: annId, toAgentId: bobId });
  }, 60000);

  it('given the process dies the moment the transfer is told (the new owner\'s update published), with the owner change\'s audit row still being written, when the app starts again, then call.transferred is delivered between call.connected and call.ended', async () => {
    const admin = h.user(ADMIN_ID, 'Ada', 'ada_admin');
    const before = admin.messages().length;
    await admin.send(`/webhooks add ${await receiver.start()}`);
    await admin.waitForNew(before);
    // The kill: once the new owner's update is out, no write of this process lands any more.
    let killed = false;
    const subscription = h.engine.updates.subscribe((update) => { killed ||= update.ownerAgentId === bobId; });
    const store = h.stores.webhookDeliveries;
    const enqueue = store.enqueue.bind(store);
    store.enqueue = async (rows) => { if (!killed) await enqueue(rows); };
    // The audit row takes a turn of the event loop to write, as a database does; one due after the kill never lands.
    const legs = h.stores.legs;
    const recordStep = legs.recordStep.bind(legs);
    legs.recordStep = async (callId, step, at, actor) => {
      if (step.kind !== 'owner_changed') return recordStep(callId, step, at, actor);
      await new Promise((resolve) => setImmediate(resolve));
      if (!killed) await recordStep(callId, step, at, actor);
    };

    await ann.send('/call +12025550123');
    await ann.waitFor(/^🟢 Connected/, 15000);
    await waitFor(() => ann.messages().find((m) => m.buttons.some((b) => b.text === PARTY.transferButton)), { what: 'the Transfer button' });
    const callId = h.engine.liveCalls()[0]!.context.callId;
    await waitFor(() => typesOf(callId).includes('call.connected'), { what: 'the events before the transfer delivered' });
    await h.transferToAgent(ann, PARTY.coldButton, 'Bob');
    await waitFor(() => killed, { what: 'the transfer told' });
    const bobStatus = await bob.waitFor(/^🟢 Connected/, 8000);
    await bob.send('/hangup');
    await waitFor(() => bob.messages().some((m) => m.messageId === bobStatus.messageId && /^📴 Call ended/.test(m.text)), { what: 'the call ended' });
    await waitFor(() => h.sim.channels().length === 0, { what: 'every leg hung up' });
    await h.engine.settled();
    subscription.unsubscribe();
    expect(typesOf(callId)).not.toContain('call.transferred');

    h = await h.restarted();

    await waitFor(() => typesOf(callId).includes('call.ended'), { what: 'the rest delivered after the restart', timeoutMs: 15000 });
    expect(typesOf(callId).slice(-3)).toEqual(['call.connected', 'call.transferred', 'call.ended']);
    const transfer = receiver.accepted.map((r) => r.event).find((e) => e.callId === callId && e.type === 'call.transferred')!;
    expect(transfer.data).toEqual({ fromAgentId: annId, toAgentId: bobId });
  }, 60000);
});
