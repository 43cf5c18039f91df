import { silentLogger } from '../../config/logger';
import { AriAdapter } from '../../ari/ari-adapter';
import { CODE_ATTEMPTS, CODE_LENGTH, CallerIdVerification, type VerifyStart } from '../../verification/caller-id-verification';
import { VerificationRunner } from '../../verification/verification-runner';
import { AriSimulator } from '../support/ari-simulator';
import type { SentEvent } from '../support/ari-simulator/simulator';
import { type EngineHarness, startEngine } from '../support/engine-harness';
import { testDatabaseKind } from '../support/test-database';
import { waitFor } from '../support/wait-for';

const NUMBER = '+12025550100';
const CODE = '480176';
const ADMIN = '1000';

/**
 * The verification call through the real ARI adapter against the ARI simulator, on a real store:
 * the far end answers and keys digits as RFC 4733 events (ChannelDtmfReceived with digit and
 * duration_ms), while the call engine's orphan sweep runs beside it.
 */
describe(`caller-ID verification on the ARI simulator, on ${testDatabaseKind()}`, () => {
  let sim: AriSimulator;
  let ari: AriAdapter;
  let h: EngineHarness;
  let runner: VerificationRunner;
  let verification: CallerIdVerification;
  let now: number;

  beforeEach(async () => {
    now = Date.now();
    sim = await AriSimulator.start({ username: 'callbot', password: 'test-password', ringMs: 30 });
    ari = new AriAdapter({
      url: sim.url, username: 'callbot', password: 'test-password', app: 'callbot', logger: silentLogger(),
      requestTimeoutMs: 1000, reconnectMinMs: 50, reconnectMaxMs: 400, keepaliveMs: 500,
    });
    runner = new VerificationRunner({ ari, app: 'callbot', logger: silentLogger(), now: () => now });
    h = await startEngine(ari, { ARI_URL: sim.url, ORPHAN_SWEEP_INTERVAL_S: '1', DEFAULT_CALLER_ID: '+15550001111' }, { otherChannels: runner });
    verification = new CallerIdVerification({
      config: h.config, runner, pool: h.stores.callerIds, audit: h.stores.audit, logger: silentLogger(),
      isTelephonyOnline: () => ari.isConnected(), now: () => now, generateCode: () => CODE,
    });
    runner.start();
    await h.engine.start();
    await ari.start();
    await waitFor(() => ari.isConnected(), { what: 'ARI connected' });
    await h.stores.callerIds.add(NUMBER, 'M', ADMIN);
  });

  afterEach(async () => {
    await runner.stop();
    await h.close();
    await ari.close();
    await sim.stop();
  });

  /** The far end answers the verification call after a short ring and keys these digits. */
  function farEndKeys(digits: string, gapMs = 20): void {
    sim.setFarEnd((endpoint) => (endpoint.includes(NUMBER) ? { kind: 'answer', ringMs: 20, keys: { digits, afterMs: 50, gapMs } } : undefined));
  }

  async function started(start: Promise<VerifyStart>) {
    const s = await start;
    if (!s.ok) throw new Error(`refused: ${s.refusal}`);
    return s;
  }

  const dtmfEvents = () => sim.events().filter((e: SentEvent) => e.event.type === 'ChannelDtmfReceived');
  const nothingLeft = () => waitFor(() => sim.channels().length === 0, { what: 'no channel left' });

  it('given the right code keyed on the phone, then the number is verified on its route, the call is hung up, and the audit never holds the code', async () => {
    farEndKeys(CODE);
    const start = await started(verification.verify(NUMBER, 'M', ADMIN));
    expect(start.code).toBe(CODE);

    const outcome = await start.outcome;

    expect(outcome).toMatchObject({ result: 'verified', wrongEntries: 0 });
    expect(await h.stores.callerIds.find(NUMBER, 'M')).toMatchObject({ status: 'verified', verifiedBy: ADMIN });
    expect(await h.stores.callerIds.isVerified(NUMBER, 'D')).toBe(false);
    const [originate] = sim.requests().filter((r) => r.method === 'POST' && r.path === '/ari/channels');
    expect(originate?.query).toMatchObject({ endpoint: `PJSIP/${NUMBER}@trunk-main`, app: 'callbot', appArgs: expect.stringMatching(/^verify,/) });
    expect(dtmfEvents().map((e) => e.event)).toEqual(CODE.split('').map((digit) => expect.objectContaining({ digit, duration_ms: 100 })));
    await nothingLeft();
    const audit = await h.stores.audit.latest(10);
    expect(audit.map((e) => e.action)).toEqual(['caller_id_verified', 'caller_id_verify_call']);
    expect(JSON.stringify(audit)).not.toContain(CODE);
  });

  it('given a wrong code keyed as often as the code allows, then the number stays unverified and the code is spent', async () => {
    farEndKeys('111111'.repeat(CODE_ATTEMPTS), 10);
    const start = await started(verification.verify(NUMBER, 'M', ADMIN));

    expect(await start.outcome).toMatchObject({ result: 'wrong_code', wrongEntries: CODE_ATTEMPTS, attemptsLeft: 0, codeValid: false });

    expect(await h.stores.callerIds.isVerified(NUMBER, 'M')).toBe(false);
    expect(await verification.callAgain(NUMBER, 'M')).toEqual({ ok: false, refusal: 'no_code' });
    expect((await h.stores.audit.latest(1))[0]).toMatchObject({ action: 'caller_id_verify_failed', details: expect.stringContaining('wrong_code') });
  });

  it('given nobody answers, then the same code can call again, and keyed right then it verifies', async () => {
    sim.setFarEnd((endpoint) => (endpoint.includes(NUMBER) ? { kind: 'busy' } : undefined));
    const first = await started(verification.verify(NUMBER, 'M', ADMIN));
    expect(await first.outcome).toMatchObject({ result: 'unanswered', codeValid: true, attemptsLeft: CODE_ATTEMPTS });

    farEndKeys(CODE);
    const again = await started(verification.callAgain(NUMBER, 'M'));
    expect(again.code).toBeUndefined();
    expect(await again.outcome).toMatchObject({ result: 'verified' });
  });

  it('given the far end hangs up before keying anything, then it is not verified and says so', async () => {
    sim.setFarEnd((endpoint) => (endpoint.includes(NUMBER) ? { kind: 'answer', ringMs: 20, hangupAfterMs: 100 } : undefined));
    const start = await started(verification.verify(NUMBER, 'M', ADMIN));
    expect(await start.outcome).toMatchObject({ result: 'hung_up', wrongEntries: 0 });
    expect(await h.stores.callerIds.isVerified(NUMBER, 'M')).toBe(false);
  });

  it('given the code has expired, then calling again with it is refused', async () => {
    sim.setFarEnd((endpoint) => (endpoint.includes(NUMBER) ? { kind: 'busy' } : undefined));
    const first = await started(verification.verify(NUMBER, 'M', ADMIN));
    await first.outcome;
    now += 10 * 60_000;
    expect(await verification.callAgain(NUMBER, 'M')).toEqual({ ok: false, refusal: 'no_code' });
  });

  it('given a live verification call, when the orphan sweeps run, then its channel is left alone; once it ends, nothing of it is left', async () => {
    sim.setFarEnd((endpoint) => (endpoint.includes(NUMBER) ? { kind: 'answer', ringMs: 20 } : undefined));
    const start = await started(verification.verify(NUMBER, 'M', ADMIN));
    await waitFor(() => sim.channels().some((c) => c.state === 'Up'), { what: 'the verification call answered' });
    const sweepsBefore = h.engine.sweepCounts().sweeps;
    await waitFor(() => h.engine.sweepCounts().sweeps >= sweepsBefore + 2, { timeoutMs: 5000, what: 'two orphan sweeps' });
    expect(h.engine.sweepCounts().channels).toBe(0);
    expect(sim.channels()).toHaveLength(1);

    for (const digit of CODE) sim.farEndDtmf(sim.channels()[0]!.id, digit);
    expect(await start.outcome).toMatchObject({ result: 'verified' });
    await nothingLeft();
  });

  it('given the number is removed while its verification call is live, then the call ends and it is not verified', async () => {
    sim.setFarEnd((endpoint) => (endpoint.includes(NUMBER) ? { kind: 'answer', ringMs: 20 } : undefined));
    const start = await started(verification.verify(NUMBER, 'M', ADMIN));
    await waitFor(() => sim.channels().some((c) => c.state === 'Up'), { what: 'the verification call answered' });
    await h.stores.callerIds.remove(NUMBER, 'M');
    verification.forget(NUMBER, 'M');
    expect(await start.outcome).toMatchObject({ result: 'cancelled', removed: true });
    await nothingLeft();
  });

  it('given the number is not in the pool, is verified already, or is being verified, then no call is placed', async () => {
    expect(await verification.verify('+12025550199', 'M', ADMIN)).toEqual({ ok: false, refusal: 'not_in_pool' });
    sim.setFarEnd((endpoint) => (endpoint.includes(NUMBER) ? { kind: 'answer', ringMs: 20 } : undefined));
    const start = await started(verification.verify(NUMBER, 'M', ADMIN));
    expect(await verification.verify(NUMBER, 'M', ADMIN)).toEqual({ ok: false, refusal: 'in_progress' });
    await waitFor(() => sim.channels().some((c) => c.state === 'Up'), { what: 'the verification call answered' });
    for (const digit of CODE) sim.farEndDtmf(sim.channels()[0]!.id, digit);
    await start.outcome;
    expect(await verification.verify(NUMBER, 'M', ADMIN)).toEqual({ ok: false, refusal: 'already_verified' });
    expect(CODE).toHaveLength(CODE_LENGTH);
  });
});
