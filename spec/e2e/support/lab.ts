import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeUlawTone } from '../../../bench/ulaw-tone';
import { freePort } from '../../support/free-port';
import { waitFor } from '../../support/wait-for';
import { SipTrace } from './sip-trace';

/**
 * The telephony lab of the e2e suite: a private Asterisk (its own asterisk.conf, every directory in
 * a temporary one, the callbot bundle rendered by `npm run asterisk:config` for loopback) and two
 * sipp UAS standing for the Main and Development providers. Loopback only: it refuses to start
 * outside the network namespace `npm run test:e2e` (scripts/e2e/run-e2e.sh) creates.
 */

/**
 * The repository: E2E_ROOT when a runner sets it (the load bench runs this file compiled, from
 * dist/), else three levels up from this source file.
 */
export const REPO = process.env.E2E_ROOT ?? path.resolve(__dirname, '..', '..', '..');
export const SIPP_DIR = path.join(REPO, 'spec', 'e2e', 'sipp');

/** The tone provider-uas.xml streams as early media (…0183, …0184). */
export const EARLY_MEDIA_HZ = 1000;

/** Asterisk's SIP transport; the providers sit on other loopback addresses, same port. */
export const ASTERISK_SIP = { ip: '127.0.0.1', port: 5060 } as const;
export const PROVIDERS = { main: '127.0.0.2', dev: '127.0.0.3' } as const;
export type ProviderName = keyof typeof PROVIDERS;

/** What a provider sipp runs: the suite's far ends by default, the load bench's for the bench. */
export interface ProviderSetup {
  /** The scenario file, copied into sipp's own directory. */
  scenario: string;
  /** Files sipp's scenario names (pcaps, audio), linked next to it: name in sipp's directory -> source path. */
  files: Record<string, string>;
  /** More sipp arguments (e.g. -d for the length of a scenario's pauses). */
  args: string[];
}

/** provider-uas.xml, the RTP pcap of every digit its DTMF paths play, and the tone its early media streams. */
function suiteProvider(pre: Prerequisites): ProviderSetup {
  const files: Record<string, string> = {};
  for (const digit of '0123456789') files[`dtmf_2833_${digit}.pcap`] = path.join(pre.pcapDir, `dtmf_2833_${digit}.pcap`);
  const earlyMedia = path.join(pre.runDir, 'early.ulaw');
  // 1 kHz: far from tone:ring's 440 + 480 Hz, so a spec can tell which of the two the agent heard.
  if (!fs.existsSync(earlyMedia)) writeUlawTone(earlyMedia, 1, EARLY_MEDIA_HZ);
  files['early.ulaw'] = earlyMedia;
  return { scenario: path.join(SIPP_DIR, 'provider-uas.xml'), files, args: [] };
}

/**
 * A second Asterisk of the cluster scenario: its own loopback address for SIP, ARI and AMI, and its
 * own RTP ports (the bundle's range is 10000-20000; the second server takes 20000-30000).
 */
export const SECOND_ASTERISK = { ip: '127.0.0.4', rtpStart: 20000, rtpEnd: 30000, entityId: '02:00:00:00:00:02' } as const;

export interface LabOptions {
  /** What both providers run (default: spec/e2e/sipp/provider-uas.xml). */
  provider?: ProviderSetup;
  /** Where Asterisk binds SIP (port 5060), ARI/HTTP and AMI; default 127.0.0.1. */
  ip?: string;
  /** RTP ports, when not the bundle's 10000-20000. */
  rtp?: { start: number; end: number };
  /** The lab's asterisk.conf entityid; two Asterisk servers of one lab differ. */
  entityId?: string;
  /** The providers of another lab, shared (their trunks point at the same addresses); default: start its own. */
  providers?: { main: Sipp; dev: Sipp };
}

interface Prerequisites {
  runDir: string;
  asteriskBin: string;
  modulesDir: string;
  dataDir: string;
  sippBin: string;
  pcapDir: string;
}

function prerequisites(): Prerequisites {
  const need = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is not set: run the e2e suite with \`npm run test:e2e\` (scripts/e2e/run-e2e.sh sets it)`);
    return value;
  };
  return {
    runDir: need('E2E_RUN_DIR'),
    asteriskBin: need('ASTERISK_BIN'),
    modulesDir: need('E2E_ASTERISK_MODULES_DIR'),
    dataDir: need('E2E_ASTERISK_DATA_DIR'),
    sippBin: need('E2E_SIPP_BIN'),
    pcapDir: need('E2E_SIPP_PCAP_DIR'),
  };
}

/**
 * Refuses to run anything that could send a packet off this machine: the process must be in a
 * network namespace whose only interface is loopback, with a resolv.conf naming only 127.0.0.1.
 */
export function assertLoopbackOnly(): void {
  if (process.env.E2E_NETNS !== '1') {
    throw new Error('the e2e suite runs only through `npm run test:e2e`, which isolates it in a loopback-only network namespace');
  }
  for (const [name, addresses] of Object.entries(os.networkInterfaces())) {
    if (name !== 'lo' || (addresses ?? []).some((a) => !a.internal)) {
      throw new Error(`refusing to run: network interface ${name} is visible; the e2e suite must run in a loopback-only namespace`);
    }
  }
  const resolv = fs.readFileSync('/etc/resolv.conf', 'utf8');
  const servers = [...resolv.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => m[1]);
  if (servers.some((s) => s !== '127.0.0.1')) {
    throw new Error(`refusing to run: /etc/resolv.conf names ${servers.join(', ')}; the e2e namespace mounts one naming 127.0.0.1 only`);
  }
}


/** Children are recorded so the runner can end them by PID should this process die first. */
function recordPid(runDir: string, child: ChildProcess, what: string): void {
  fs.appendFileSync(path.join(runDir, 'pids'), `${child.pid} ${what}\n`);
}

async function stopChild(child: ChildProcess | undefined, graceMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, graceMs);
  await exited;
  clearTimeout(timer);
}

/** Is something bound to this UDP address? Read from /proc (our own namespace), without binding. */
function udpBound(ip: string, port: number): boolean {
  const hexIp = ip.split('.').map((o) => Number(o).toString(16).padStart(2, '0').toUpperCase()).reverse().join('');
  const wanted = `${hexIp}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  try {
    return fs.readFileSync('/proc/net/udp', 'utf8').split('\n').some((line) => line.trim().split(/\s+/)[1] === wanted);
  } catch {
    return false;
  }
}

function tail(file: string, lines = 40): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** One sipp process: a provider (UAS) for the whole suite, or a one-call UAC. */
export class Sipp {
  readonly trace: SipTrace;
  private exit?: Promise<number | null>;

  private constructor(readonly name: string, readonly ip: string, readonly port: number, readonly dir: string, private readonly child: ChildProcess) {
    this.trace = new SipTrace(path.join(dir, 'messages.log'));
    this.exit = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** A provider: answers INVITEs from Asterisk by its setup's scenario (the suite's: spec/e2e/sipp/provider-uas.xml). */
  static async provider(pre: Prerequisites, labDir: string, name: ProviderName, setup: ProviderSetup = suiteProvider(pre)): Promise<Sipp> {
    const ip = PROVIDERS[name];
    const dir = path.join(labDir, `sipp-${name}`);
    fs.mkdirSync(dir, { recursive: true });
    // sipp looks for play_pcap_audio files next to the scenario: both go into its own directory.
    const scenario = path.join(dir, path.basename(setup.scenario));
    fs.copyFileSync(setup.scenario, scenario);
    for (const [file, source] of Object.entries(setup.files)) fs.symlinkSync(source, path.join(dir, file));
    const args = [
      '-sf', scenario,
      '-i', ip, '-p', '5060', '-bind_local', '-mi', ip, '-mp', '16000',
      '-trace_msg', '-message_file', path.join(dir, 'messages.log'),
      '-trace_err', '-error_file', path.join(dir, 'errors.log'),
      '-nostdin', '-aa',
      ...setup.args,
    ];
    const sipp = Sipp.spawn(pre, name, ip, 5060, dir, args);
    await waitFor(() => {
      if (sipp.child.exitCode !== null) throw new Error(`sipp ${name} exited with ${sipp.child.exitCode}:\n${tail(path.join(dir, 'stdout.log'))}`);
      return udpBound(ip, 5060);
    }, { timeoutMs: 10000, everyMs: 20, what: `sipp ${name} listening on ${ip}:5060` }).catch((err: Error) => {
      throw new Error(`${err.message}\n${tail(path.join(dir, 'stdout.log'))}`);
    });
    return sipp;
  }

  /** Sends one INVITE from `ip:port` to Asterisk and waits for sipp to finish (scenario stranger-uac.xml). */
  static async uac(
    pre: Prerequisites, labDir: string, name: string, ip: string, port: number, dialed: string, scenario = 'stranger-uac.xml', timeoutS = 10,
  ): Promise<{ code: number | null; trace: SipTrace; stdout: string }> {
    const dir = path.join(labDir, `sipp-${name}`);
    fs.mkdirSync(dir, { recursive: true });
    const args = [
      '-sf', path.join(SIPP_DIR, scenario),
      '-i', ip, '-p', String(port), '-bind_local', '-mi', ip, '-mp', String(port + 1000),
      '-s', dialed, '-m', '1', '-timeout', `${timeoutS}s`, '-timeout_error',
      '-trace_msg', '-message_file', path.join(dir, 'messages.log'),
      '-trace_err', '-error_file', path.join(dir, 'errors.log'),
      '-nostdin',
      `${ASTERISK_SIP.ip}:${ASTERISK_SIP.port}`,
    ];
    const sipp = Sipp.spawn(pre, name, ip, port, dir, args);
    const code = await sipp.exit!;
    return { code, trace: sipp.trace, stdout: tail(path.join(dir, 'stdout.log')) };
  }

  private static spawn(pre: Prerequisites, name: string, ip: string, port: number, dir: string, args: string[]): Sipp {
    const out = fs.openSync(path.join(dir, 'stdout.log'), 'a');
    const child = spawn(pre.sippBin, args, { cwd: dir, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    recordPid(pre.runDir, child, `sipp ${name}`);
    return new Sipp(name, ip, port, dir, child);
  }

  /** For the load bench's CPU readings (/proc/<pid>/stat). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Unexpected messages sipp saw (its -trace_err log). */
  errors(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'errors.log'), 'utf8');
    } catch {
      return '';
    }
  }

  async stop(): Promise<void> {
    await stopChild(this.child, 2000);
  }
}

export interface Channel {
  id: string;
  name: string;
  state: string;
}

/** A private Asterisk plus the two providers. */
export class AsteriskLab {
  readonly ari = { username: 'callbot', password: `e2e-${randomBytes(9).toString('base64url')}` };
  readonly ami = { username: 'e2e', secret: `e2e-${randomBytes(9).toString('base64url')}` };
  main!: Sipp;
  dev!: Sipp;
  private asterisk?: ChildProcess;
  /** Whether stop() ends the providers (not when they are another lab's). */
  private ownsProviders = true;

  private constructor(
    private readonly pre: Prerequisites,
    readonly dir: string,
    readonly httpPort: number,
    readonly amiPort: number,
    private readonly opts: LabOptions = {},
  ) {}

  /** For the load bench's CPU readings (/proc/<pid>/stat). */
  get asteriskPid(): number | undefined {
    return this.asterisk?.pid;
  }

  /** The address Asterisk binds SIP, ARI and AMI to. */
  get ip(): string {
    return this.opts.ip ?? ASTERISK_SIP.ip;
  }

  get ariUrl(): string {
    return `http://${this.ip}:${this.httpPort}`;
  }

  get consoleLog(): string {
    return path.join(this.dir, 'asterisk-console.log');
  }

  static async start(name: string, opts: LabOptions = {}): Promise<AsteriskLab> {
    assertLoopbackOnly();
    const pre = prerequisites();
    const dir = fs.mkdtempSync(path.join(pre.runDir, `${name}-`));
    const lab = new AsteriskLab(pre, dir, await freePort(), await freePort(), opts);
    try {
      lab.writeConfig();
      await lab.startAsterisk();
      if (opts.providers) {
        lab.ownsProviders = false;
        lab.main = opts.providers.main;
        lab.dev = opts.providers.dev;
      } else {
        lab.main = await Sipp.provider(pre, dir, 'main', opts.provider);
        lab.dev = await Sipp.provider(pre, dir, 'dev', opts.provider);
      }
    } catch (err) {
      await lab.stop();
      throw err;
    }
    return lab;
  }

  /** The bundle for loopback, rendered by the product's own command, plus what only the lab needs. */
  private writeConfig(): void {
    const d = (sub: string) => path.join(this.dir, sub);
    for (const sub of ['etc', 'varlib', 'db', 'keys', 'data', 'agi', 'spool', 'run', 'log', 'sbin']) fs.mkdirSync(d(sub), { recursive: true });
    // ARI's bridge recordings go to <spool>/recording, which Asterisk does not make: without it every
    // POST /bridges/{id}/record answers 500 ("Unrecognized recording error: No such file or directory").
    fs.mkdirSync(path.join(d('spool'), 'recording'), { recursive: true });
    // Asterisk needs its XML documentation (or Stasis refuses to start) and the ARI API declarations.
    fs.symlinkSync(path.join(this.pre.dataDir, 'documentation'), path.join(d('data'), 'documentation'));
    fs.symlinkSync(path.join(this.pre.dataDir, 'rest-api'), path.join(d('data'), 'rest-api'));
    // Music on hold (class `default`) when the install has files for it (<data dir>/moh, e.g. Debian's
    // asterisk-moh-opsound-wav): the recorder's hold and consultation scenarios need it.
    const moh = path.join(this.pre.dataDir, 'moh');
    const hasMoh = fs.existsSync(moh) && fs.readdirSync(moh).some((f) => /\.(wav|gsm|ulaw|alaw|sln)$/i.test(f));
    if (hasMoh) fs.symlinkSync(moh, path.join(d('data'), 'moh'));
    // Asterisk's own sounds (the consent announcement's default, the recording scenarios): the install's, else
    // Debian's asterisk-core-sounds-en-wav (/usr/share/asterisk/sounds, installed by scripts/e2e/lab-prerequisites.sh's check).
    const sounds = [path.join(this.pre.dataDir, 'sounds'), '/usr/share/asterisk/sounds'].find((dir) => fs.existsSync(path.join(dir, 'en', 'hello-world.wav')));
    if (sounds) fs.symlinkSync(sounds, path.join(d('data'), 'sounds'));

    const vars: Record<string, string> = {
      ARI_USERNAME: this.ari.username,
      ARI_PASSWORD: this.ari.password,
      ARI_APP: 'callbot',
      ASTERISK_HTTP_BIND: this.ip,
      ASTERISK_HTTP_PORT: String(this.httpPort),
      SIP_BIND: this.ip,
      SIP_PORT: String(ASTERISK_SIP.port),
      PROVIDER_MAIN_HOST: PROVIDERS.main,
      PROVIDER_MAIN_PORT: '5060',
      PROVIDER_MAIN_MATCH: PROVIDERS.main,
      PROVIDER_DEV_HOST: PROVIDERS.dev,
      PROVIDER_DEV_PORT: '5060',
      PROVIDER_DEV_MATCH: PROVIDERS.dev,
    };
    const rendered = spawnSync('npm', ['run', '--silent', 'asterisk:config', '--', '--out', d('etc')], {
      cwd: REPO, env: { ...process.env, ...vars, npm_config_update_notifier: 'false' }, encoding: 'utf8', timeout: 60000,
    });
    if (rendered.status !== 0) {
      throw new Error(`npm run asterisk:config failed (${rendered.status}):\n${rendered.stdout}\n${rendered.stderr}`);
    }
    for (const file of ['ari.conf', 'http.conf', 'pjsip.conf', 'extensions.conf', 'modules.conf', 'rtp.conf']) {
      if (!fs.existsSync(path.join(d('etc'), file))) throw new Error(`npm run asterisk:config did not write ${file}`);
    }

    const write = (file: string, text: string) => fs.writeFileSync(path.join(d('etc'), file), text);
    if (this.opts.rtp) {
      const rtp = path.join(d('etc'), 'rtp.conf');
      const text = fs.readFileSync(rtp, 'utf8');
      const ranged = text.replace(/^rtpstart = \d+$/m, `rtpstart = ${this.opts.rtp.start}`).replace(/^rtpend = \d+$/m, `rtpend = ${this.opts.rtp.end}`);
      if (ranged === text) throw new Error('the rendered rtp.conf has no rtpstart/rtpend lines to change');
      fs.writeFileSync(rtp, ranged);
    }
    write('asterisk.conf', [
      '; e2e lab: every directory in the lab\'s temporary directory (modules excepted)',
      '[directories]',
      `astetcdir => ${d('etc')}`,
      `astmoddir => ${this.pre.modulesDir}`,
      `astvarlibdir => ${d('varlib')}`,
      `astdbdir => ${d('db')}`,
      `astkeydir => ${d('keys')}`,
      `astdatadir => ${d('data')}`,
      `astagidir => ${d('agi')}`,
      `astspooldir => ${d('spool')}`,
      `astrundir => ${d('run')}`,
      `astlogdir => ${d('log')}`,
      `astsbindir => ${d('sbin')}`,
      '[options]',
      `entityid = ${this.opts.entityId ?? '02:00:00:00:00:01'}`,
      'verbose = 3',
      '',
    ].join('\n'));
    if (hasMoh) write('musiconhold.conf', '[general]\n[default]\nmode = files\ndirectory = moh\n');
    write('logger.conf', '[general]\n[logfiles]\nconsole => notice,warning,error,verbose\n');
    // tone:ring and the hold tone (tone:callwaiting) read their cadence from here (the product README asks for the stock file).
    write('indications.conf', [
      '[general]',
      'country = us',
      '[us]',
      'description = United States (e2e lab)',
      'ringcadence = 2000,4000',
      'dial = 350+440',
      'busy = 480+620/500,0/500',
      'ring = 440+480/2000,0/4000',
      'congestion = 480+620/250,0/250',
      'callwaiting = 440/300,0/10000',
      '',
    ].join('\n'));
    // AMI exists only in the lab, on loopback, for the Originate + Dial() comparison.
    write('manager.conf', [
      '[general]',
      'enabled = yes',
      `bindaddr = ${this.ip}`,
      `port = ${this.amiPort}`,
      '',
      `[${this.ami.username}]`,
      `secret = ${this.ami.secret}`,
      'deny = 0.0.0.0/0.0.0.0',
      'permit = 127.0.0.0/255.0.0.0',
      'read = system,call,originate',
      'write = system,call,originate',
      '',
    ].join('\n'));
    fs.appendFileSync(path.join(d('etc'), 'extensions.conf'), [
      '',
      '; ---- e2e lab only, not part of the callbot bundle ----',
      '; The baseline of the answer-to-dial measurement: an AMI Originate of the agent leg into this',
      '; context, which Dial()s the target through the same trunk once the agent answers.',
      '[e2e-compare]',
      'exten => _+X.,1,Dial(PJSIP/${EXTEN}@trunk-main,5)',
      ' same => n,Hangup()',
      '',
    ].join('\n'));
  }

  private async startAsterisk(): Promise<void> {
    const conf = path.join(this.dir, 'etc', 'asterisk.conf');
    const out = fs.openSync(this.consoleLog, 'a');
    const child = spawn(this.pre.asteriskBin, ['-C', conf, '-f', '-n'], { cwd: this.dir, stdio: ['ignore', out, out] });
    fs.closeSync(out);
    this.asterisk = child;
    recordPid(this.pre.runDir, child, 'asterisk');
    const booted = async () => {
      if (child.exitCode !== null) throw new Error(`Asterisk exited with ${child.exitCode}`);
      return (await this.rest('GET', '/asterisk/info')).status === 200;
    };
    try {
      await waitFor(booted, { timeoutMs: 30000, everyMs: 50, what: 'Asterisk ARI to answer' });
    } catch (err) {
      throw new Error(`Asterisk did not start: ${(err as Error).message}\n${tail(this.consoleLog)}`);
    }
    const ready = spawnSync(this.pre.asteriskBin, ['-C', conf, '-rx', 'core waitfullybooted'], { encoding: 'utf8', timeout: 30000 });
    if (ready.status !== 0) throw new Error(`Asterisk never fully booted:\n${ready.stdout}${ready.stderr}\n${tail(this.consoleLog)}`);
    if (process.env.E2E_ARI_DEBUG) this.cli('ari set debug all on');
  }

  /** Runs an Asterisk CLI command through the control socket. */
  cli(command: string): string {
    const conf = path.join(this.dir, 'etc', 'asterisk.conf');
    const r = spawnSync(this.pre.asteriskBin, ['-C', conf, '-rx', command], { encoding: 'utf8', timeout: 10000 });
    return `${r.stdout ?? ''}${r.stderr ?? ''}`;
  }

  /** A raw ARI request (the app under test uses its own client; this is the lab's view). */
  async rest(method: string, pathAndQuery: string): Promise<{ status: number; body: unknown }> {
    try {
      const response = await fetch(`${this.ariUrl}/ari${pathAndQuery}`, {
        method,
        headers: { authorization: `Basic ${Buffer.from(`${this.ari.username}:${this.ari.password}`).toString('base64')}` },
        signal: AbortSignal.timeout(3000),
      });
      const text = await response.text();
      let body: unknown = text;
      try { body = JSON.parse(text); } catch { /* not JSON */ }
      return { status: response.status, body };
    } catch {
      return { status: 0, body: undefined };
    }
  }

  async channels(): Promise<Channel[]> {
    const r = await this.rest('GET', '/channels');
    if (r.status !== 200) throw new Error(`GET /ari/channels answered ${r.status}`);
    return r.body as Channel[];
  }

  async bridges(): Promise<Array<{ id: string; channels: string[] }>> {
    const r = await this.rest('GET', '/bridges');
    if (r.status !== 200) throw new Error(`GET /ari/bridges answered ${r.status}`);
    return r.body as Array<{ id: string; channels: string[] }>;
  }

  /** Waits until Asterisk holds no channel and no bridge; throws with what is left. */
  async expectNothingLeft(timeoutMs = 5000): Promise<void> {
    let last: { channels: Channel[]; bridges: unknown[] } = { channels: [], bridges: [] };
    try {
      await waitFor(async () => {
        last = { channels: await this.channels(), bridges: await this.bridges() };
        return last.channels.length === 0 && last.bridges.length === 0;
      }, { timeoutMs, everyMs: 50, what: 'no channel and no bridge left in Asterisk' });
    } catch (err) {
      throw new Error(`${(err as Error).message}; left: ${JSON.stringify(last)}`);
    }
  }

  /** Hangs up and destroys whatever a failed scenario left, so the next one starts clean. */
  async clearLeftovers(): Promise<void> {
    const channels = await this.channels().catch(() => [] as Channel[]);
    const bridges = await this.bridges().catch(() => []);
    await Promise.all([
      ...channels.map((c) => this.rest('DELETE', `/channels/${encodeURIComponent(c.id)}`)),
      ...bridges.map((b) => this.rest('DELETE', `/bridges/${encodeURIComponent(b.id)}`)),
    ]);
  }

  /** One INVITE from `ip:port`; `scenario`: a UAC scenario of spec/e2e/sipp/ (default stranger-uac.xml, which expects a refusal). */
  /** `timeoutS`: how long the whole scenario may take before sipp gives up (a call that waits for an announcement takes longer). */
  uac(name: string, ip: string, port: number, dialed: string, scenario?: string, timeoutS?: number) {
    return Sipp.uac(this.pre, this.dir, name, ip, port, dialed, scenario, timeoutS);
  }

  provider(name: ProviderName): Sipp {
    return name === 'main' ? this.main : this.dev;
  }

  async stop(): Promise<void> {
    if (this.ownsProviders) await Promise.all([this.main?.stop(), this.dev?.stop()]);
    await stopChild(this.asterisk, 5000);
  }
}
