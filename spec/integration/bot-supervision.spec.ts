import { SUPERVISION } from '../../telegram/texts';
import { ADMIN_ID, BotHarness, type TestUser } from '../support/bot-harness';
import { waitFor } from '../support/wait-for';

/**
 * Supervisors from Telegram on the real product: /supervisors (super admins), /live and its
 * buttons, the supervisor's own message switching modes, the agent's notice, the audit; on the
 * engine, the real ARI adapter and the ARI simulator.
 */
describe('bot: supervisors listen, whisper and barge on the engine and the ARI simulator', () => {
  let h: BotHarness;
  let ann: TestUser;
  let admin: TestUser;
  let sue: TestUser;
  const answers: Array<{ text?: string }> = [];
  const CUSTOMER = '+12025550123';
  const SUE = 3001;

  beforeEach(async () => {
    answers.length = 0;
    h = await BotHarness.start({ statusEditIntervalMs: 100 });
    ({ ann } = await h.annAndBob(answers));
    admin = h.user(ADMIN_ID, 'Admin');
    sue = h.user(SUE, 'Sue');
  });

  afterEach(async () => {
    try {
      await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, { what: 'no channel or bridge left in the simulator' });
    } finally {
      await h.stop();
    }
  });

  const audit = async (action: string) => (await h.stores.audit.latest(50)).filter((e) => e.action === action);
  const members = (bridgeId: string) => h.sim.bridges().find((b) => b.id === bridgeId)?.channels.slice().sort() ?? [];

  async function sueIsSupervisor(): Promise<void> {
    await admin.send(`/supervisors add ${SUE} +12025550142`);
    await admin.waitFor(/is a supervisor/);
  }

  it('given a super admin, when they add, list and remove a supervisor, then each is answered and audited; a bad phone or usage changes nothing', async () => {
    await admin.send('/supervisors');
    await admin.waitFor(/^No supervisors yet/);
    await admin.send(`/supervisors add ${SUE} 12`);
    await waitFor(() => admin.messages().length >= 2, { what: 'the refusal' });
    await sueIsSupervisor();
    await admin.send('/supervisors');
    await admin.waitFor(new RegExp(`^Supervisors \\(1\\):\\n${SUE} · `));
    await admin.send('/supervisors drop 1');
    await admin.waitFor(/^Usage: \/supervisors/);
    await admin.send(`/supervisors remove ${SUE}`);
    await admin.waitFor(new RegExp(`^${SUE} is no longer a supervisor`));
    expect((await audit('supervisor_added')).map((e) => [e.actor, e.subject, e.details])).toEqual([[String(ADMIN_ID), String(SUE), 'phone +12025550142']]);
    expect((await audit('supervisor_removed')).map((e) => e.subject)).toEqual([String(SUE)]);
    // Not a super admin (here not even an agent): the command is not theirs.
    await sue.send('/supervisors');
    await sue.waitFor(/^You have no access/);
    expect(await h.stores.supervisors.list()).toEqual([]);
  });

  it('given someone who is not a supervisor, when they send /live, then they are told so and see no call', async () => {
    await sue.send('/live');
    await sue.waitFor(new RegExp(`^${SUPERVISION.notSupervisor}`));
  });

  it('given a connected call, when a supervisor listens, switches to barge and leaves, then the call goes on, the agent\'s status message says a supervisor is on it while one is, and the session is audited', async () => {
    await sueIsSupervisor();
    await ann.send(`/call ${CUSTOMER}`);
    await ann.waitFor(/^🟢 Connected/, 15000);
    const callId = h.engine.liveCalls()[0]!.context.callId;
    await sue.send('/live');
    const live = await sue.waitFor(/^📡 Live calls \(1\)/);
    // The customer's number masked but for its last digits.
    expect(live.text).toContain('[M] → +1 •••-•••-0123');
    expect(live.text).not.toContain('555-0123');
    expect(live.buttons.map((b) => b.text)).toEqual(['🎧 Listen 1', '🗣 Whisper 1', '📢 Barge 1']);
    await sue.tap('🎧 Listen 1');
    const mine = await sue.waitFor(/^🎧 Supervising .*: listening/, 15000);
    expect(mine.buttons.map((b) => b.text)).toEqual([SUPERVISION.whisper, SUPERVISION.barge, SUPERVISION.leave]);
    const before = ann.messages().length;
    const status = await ann.waitFor(/^🟢 Connected/);
    const statusNow = (): string => ann.messages().find((m) => m.messageId === status.messageId)?.text ?? '';
    await waitFor(() => statusNow().split('\n').includes(SUPERVISION.agentNotice), { what: 'the notice on the agent\'s status message' });
    const supervisionId = h.supervision.supervisionOf(String(SUE))!.supervisionId;
    await waitFor(() => members(`${supervisionId}-listen`).length === 2, { what: 'supervisor and snoop bridged' });
    await sue.tap(SUPERVISION.barge);
    await waitFor(() => members(`${callId}-bridge`).length === 3, { what: 'the supervisor in the call' });
    await sue.waitFor(/in the call \(barge\)/);
    await sue.tap(SUPERVISION.leave);
    await sue.waitFor(/^Supervision of .* ended: you left \(\d+ s\)\.$/);
    await waitFor(() => statusNow().startsWith('🟢 Connected') && !statusNow().includes(SUPERVISION.agentNotice), { what: 'the notice gone from the status message' });
    // A line on the status message, not a message of its own.
    expect(ann.messages().length).toBe(before);
    expect(h.engine.liveCalls()[0]?.context.callId).toBe(callId);
    await waitFor(async () => (await audit('call_supervised')).length === 1, { what: 'the session audited' });
    expect((await audit('call_supervised'))[0]).toMatchObject({ actor: String(SUE), subject: callId });
    expect((await audit('call_supervised'))[0]!.details).toMatch(/^modes=listen>barge seconds=\d+ end=ended_by_supervisor$/);
    await ann.send('/hangup');
  });

  it('given forged or stale supervision buttons, then each tap gets a clear answer and nothing is dialed', async () => {
    await sueIsSupervisor();
    const before = h.sim.requests().length;
    await sue.tapData('sv:l:00000000-0000-4000-8000-000000000000');
    await waitFor(() => answers.length >= 1, { what: 'the tap answered' });
    expect(answers.at(-1)).toEqual({ text: SUPERVISION.refusal['no_such_call'] });
    await sue.tapData('sm:b:00000000-0000-4000-8000-000000000000');
    await waitFor(() => answers.length >= 2, { what: 'the tap answered' });
    expect(answers.at(-1)).toEqual({ text: SUPERVISION.refusal['no_such_supervision'] });
    await sue.tapData('sv:x:not-a-call');
    await waitFor(() => answers.length >= 3, { what: 'the tap answered' });
    expect(h.sim.requests().slice(before).filter((r) => r.method === 'POST')).toEqual([]);
  });
});

describe('bot: supervision with MONITOR_NOTICE=false', () => {
  let h: BotHarness;

  afterEach(async () => {
    try {
      await waitFor(() => h.sim.channels().length === 0 && h.sim.bridges().length === 0, { what: 'no channel or bridge left in the simulator' });
    } finally {
      await h.stop();
    }
  });

  it('given agents are not to be told, when a supervisor listens, then the agent\'s status message never says so while the supervisor\'s message follows as usual', async () => {
    h = await BotHarness.start({ statusEditIntervalMs: 100, env: { MONITOR_NOTICE: 'false' } });
    const { ann } = await h.annAndBob([]);
    const admin = h.user(ADMIN_ID, 'Admin');
    const sue = h.user(3001, 'Sue');
    await admin.send('/supervisors add 3001 +12025550142');
    await admin.waitFor(/is a supervisor/);
    await ann.send('/call +12025550123');
    await ann.waitFor(/^🟢 Connected/, 15000);
    const before = ann.messages().length;
    await sue.send('/live');
    await sue.waitFor(/^📡 Live calls \(1\)/);
    await sue.tap('🎧 Listen 1');
    await sue.waitFor(/^🎧 Supervising .*: listening/, 15000);
    await sue.tap(SUPERVISION.leave);
    await sue.waitFor(/ended: you left/);
    // The supervisor's message has said the end: the status message would have said it, and lost it again, by now.
    await h.out.outbox.drained(2000);
    expect(ann.messages().length).toBe(before);
    expect(ann.messages().flatMap((m) => m.history).filter((text) => text.includes(SUPERVISION.agentNotice))).toEqual([]);
    await ann.send('/hangup');
  });
});
