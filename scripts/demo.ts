/**
 * `npm run demo`: the whole product with no Telegram account and no Asterisk. It starts the ARI
 * simulator, a local Bot API server and the real bot, then plays a scripted session (an admin
 * authorizes an agent and verifies a caller ID for them, the agent picks a route and places a call
 * that connects and ends) and prints it as a chat transcript. Everything listens on 127.0.0.1 only,
 * and everything it writes to disk goes in one temporary directory that it removes at the end.
 * docs/demo.md shows its output; spec/integration/demo-transcript.spec.ts keeps the two the same.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BotHarness, ADMIN_ID } from '../spec/support/bot-harness';
import { waitFor } from '../spec/support/wait-for';

const AGENT_ID = 2001;
const CUSTOMER = '+12025550123';
const names = new Map<number, string>([[ADMIN_ID, 'Ada (admin)'], [AGENT_ID, 'Ann (agent)']]);

function indent(text: string): string {
  return text.split('\n').map((l, i) => (i === 0 ? l : `      ${l}`)).join('\n');
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** The session in a temporary directory of the demo's own, removed afterwards whatever happened. */
async function main(): Promise<void> {
  // The harness puts its SQLite file under the system's temporary directory, and os.tmpdir() reads
  // TMPDIR on every call: pointing it at this directory lets the demo remove all it wrote.
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-demo-'));
  process.env.TMPDIR = workDir;
  try {
    await playSession();
  } finally {
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

async function playSession(): Promise<void> {
  print('callbot demo: ARI simulator + local Bot API server + the real bot, all on 127.0.0.1\n');
  const h = await BotHarness.start({ sim: { ringMs: 2500 }, env: { AGENT_RING_TIMEOUT_S: '20', TARGET_RING_TIMEOUT_S: '20' } });
  // The agent's phone rings 2.5 s; the customer rings 2.5 s, answers and hangs up after 3 s of talk.
  // Each stage lasts well over the status message's one edit a second, so each is shown whatever the load.
  h.sim.setFarEnd((endpoint) => (endpoint.includes(CUSTOMER) ? { kind: 'answer', ringMs: 2500, hangupAfterMs: 3000 } : undefined));
  const started = Date.now();
  const clock = () => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
  h.onTranscript(({ kind, chatId, text, buttons }) => {
    const who = names.get(chatId) ?? String(chatId);
    const keys = buttons.length ? `\n      ${buttons.map((b) => `[${b}]`).join(' ')}` : '';
    print(`${clock()}  🤖 ${kind === 'edited' ? '✎ edits the status for' : '→'} ${who}: ${indent(text)}${keys}`);
  });
  const admin = h.user(ADMIN_ID, 'Ada', 'ada');
  const agent = h.user(AGENT_ID, 'Ann', 'ann');
  const say = async (user: typeof admin, text: string) => {
    print(`${clock()}  👤 ${names.get(user.id)}: ${text}`);
    await user.send(text);
  };
  const tap = async (user: typeof admin, label: string) => {
    print(`${clock()}  👆 ${names.get(user.id)} taps [${label}]`);
    await user.tap(label);
  };

  try {
    await say(agent, '/start');
    await admin.waitFor(/Access request/);
    await tap(admin, '✅ Approve');
    const ask = await admin.waitFor(/Reply to this message/);
    print(`${clock()}  👤 ${names.get(ADMIN_ID)} replies: +1 202-555-0101`);
    await admin.replyTo(ask, '+1 202-555-0101');
    await agent.waitFor(/You are now authorized/);
    // The caller ID must be a verified pool number: callbot calls it, and whoever answers keys in the code.
    await say(admin, '/numbers add +12025550100 M');
    await admin.waitFor(/is in the Main pool/);
    await say(admin, '/numbers verify +12025550100');
    const code = (await admin.waitFor(/this code: /)).text.match(/this code: ((?:\d ?)+\d)/)?.[1]?.replace(/ /g, '') ?? '';
    const phone = await waitFor(() => h.sim.channels().find((c) => c.id.startsWith('verify-') && c.state === 'Up'), { what: 'the verification call answered' });
    print(`${clock()}  ☎️  the phone of +12025550100 answers and keys in ${code.split('').join(' ')}`);
    for (const digit of code) h.sim.farEndDtmf(phone.id, digit);
    await admin.waitFor(/is verified for the Main route/);
    await say(admin, '/setcallerid 2001 +12025550100');
    await admin.waitFor(/Caller ID: \+12025550100/);
    await say(agent, '/settings');
    await agent.waitFor(/Settings/);
    await tap(agent, 'Select Route 🌐');
    await agent.waitFor(/Select the route/);
    await tap(agent, '[Main Route] 🌍');
    await agent.waitFor(/Are you sure/);
    await tap(agent, '✅ Yes, Switch Route');
    await agent.waitFor(/successfully changed/);
    await say(agent, '/call (202) 555-0123');
    const status = await agent.waitFor(/Call ended/, 20000);
    await h.engine.settled();
    await tap(agent, 'Interested');
    await waitFor(() => agent.messages().some((m) => m.buttons.some((b) => b.text === '✅ Interested')), { what: 'the outcome marked' });
    const note = 'Wants the annual plan; call after the 5th.';
    print(`${clock()}  👤 ${names.get(AGENT_ID)} replies to the status: ${note}`);
    await agent.replyTo(status, note);
    await agent.waitFor(/Note saved/);
    await say(agent, '/history');
    await agent.waitFor(/Your last calls/);
    print('\nThe call was placed through the real engine and ARI adapter against the ARI simulator;');
    print('its row in the database says:');
    const row = (await h.stores.calls.recentCallsOfAgent((await h.stores.agents.byTelegramId(String(AGENT_ID)))!.id, 1))[0];
    print(`  stage=${row?.stage} outcome=${row?.outcome} endedBy=${row?.endedBy} route=${row?.route} target=${row?.target}`);
    print(`  disposition=${row?.disposition} note=${JSON.stringify(row?.note)}`);
  } finally {
    await h.stop();
  }
}

main().then(() => process.exit(0), (err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
