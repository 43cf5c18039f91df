import { firstValueFrom, last } from 'rxjs';
import { loadConfig } from '../../config/config';
import { silentLogger } from '../../config/logger';
import { CallEngine } from '../../engine/call-engine';
import type { AgentDirectory, AuditTrail, CallRecords } from '../../engine/call-engine-ports';
import { addAgent, startEngine, TEST_ENV } from '../support/engine-harness';
import { FakeAri } from '../support/fake-ari';
import { InMemoryRecords } from '../support/in-memory-records';

/** What the engine reads back from its storage ports, whichever implementation is behind them. */
interface StorageUnderTest {
  ports: { agents: AgentDirectory; calls: CallRecords; audit: AuditTrail };
  /** The agent's id. */
  addAgent(): Promise<number>;
  row(callId: string): Promise<{ stage: string; outcome?: string | null } | null>;
  audited(): Promise<string[]>;
  close(): Promise<void>;
}

async function inMemory(): Promise<StorageUnderTest> {
  const records = new InMemoryRecords();
  return {
    ports: { agents: records, calls: records, audit: records },
    async addAgent() {
      records.agents.set('2001', { id: 1, telegramId: '2001', phone: '+15551230001', callerId: '+15550001111', route: 'M' });
      return 1;
    },
    async row(callId) {
      return records.calls.get(callId) ?? null;
    },
    async audited() {
      return records.audit.map((a) => a.action);
    },
    async close() {},
  };
}

async function database(): Promise<StorageUnderTest> {
  const h = await startEngine(new FakeAri());
  return {
    ports: h.stores,
    async addAgent() {
      return (await addAgent(h.stores)).id;
    },
    row: (callId) => h.stores.calls.byId(callId),
    async audited() {
      return (await h.stores.audit.latest(10)).map((a) => a.action);
    },
    close: () => h.close(),
  };
}

describe.each([
  ['plain in-memory records', inMemory],
  ['the database', database],
])('the call engine on %s', (_what, open) => {
  let storage: StorageUnderTest;
  let ari: FakeAri;
  let engine: CallEngine;

  beforeEach(async () => {
    storage = await open();
    ari = new FakeAri();
    engine = new CallEngine({ config: loadConfig(TEST_ENV), ari, ...storage.ports, logger: silentLogger() });
    await engine.start();
  });

  afterEach(async () => {
    await engine.stop();
    await storage.close();
  });

  it('given an agent places a call and it is cancelled, then the row is written from its first step to its end', async () => {
    await storage.addAgent();
    const placed = await engine.placeCall({ agentTelegramId: '2001', targetInput: '202-555-0123' });
    if (!placed.ok) throw new Error(placed.refusal);
    // Written before the request returned; the first transition's write may already have landed too.
    expect(['requested', 'agent_dialing']).toContain((await storage.row(placed.callId))?.stage);
    engine.cancelCall(placed.callId, 'agent');
    await firstValueFrom(placed.updates.pipe(last()));
    await engine.settled();
    expect(await storage.row(placed.callId)).toMatchObject({ stage: 'ended', outcome: 'cancelled' });
  });

  it('given an unknown user, then the refusal is audited and nothing is dialed', async () => {
    const result = await engine.placeCall({ agentTelegramId: '9999', targetInput: '202-555-0123' });
    expect(result).toMatchObject({ ok: false, refusal: 'not_authorized' });
    expect(await storage.audited()).toContain('call_refused');
    expect(ari.commands()).toEqual([]);
  });

  it('given the agent\'s call is live in another process on the same storage, then the request is refused as live_call_exists, audited, nothing dialed, until that call ends', async () => {
    const agentId = await storage.addAgent();
    await storage.ports.calls.recordCallRequest({ id: 'elsewhere', agentId, targetInput: 'x', stage: 'connected', requestedAt: new Date() });

    expect(await engine.placeCall({ agentTelegramId: '2001', targetInput: '202-555-0123' })).toMatchObject({ ok: false, refusal: 'live_call_exists' });
    expect(await storage.audited()).toContain('call_refused');
    expect(ari.commands()).toEqual([]);

    await storage.ports.calls.recordCallTransition('elsewhere', { stage: 'ended', outcome: 'completed', endedAt: new Date() });
    expect((await engine.placeCall({ agentTelegramId: '2001', targetInput: '202-555-0123' })).ok).toBe(true);
  });
});
