import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { STOP_HARD_CAP_MS } from '../../app/shutdown';

const UNIT = path.resolve(__dirname, '../../deploy/callbot.service');
const text = fs.readFileSync(UNIT, 'utf8');
const analyze = ['/usr/bin/systemd-analyze', '/bin/systemd-analyze'].find((p) => fs.existsSync(p));

/** The value of a directive in the unit (the last one wins, as for systemd). */
function directive(name: string): string | undefined {
  return [...text.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].at(-1)?.[1];
}

/** `systemd-analyze verify` on a copy named callbot.service; node is wherever this machine has it. */
function verify(unitText: string): { status: number | null; output: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-unit-'));
  const file = path.join(dir, 'callbot.service');
  fs.writeFileSync(file, unitText.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `));
  const r = spawnSync(analyze!, ['verify', file], { encoding: 'utf8' });
  fs.rmSync(dir, { recursive: true, force: true });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
}

describe('deploy/callbot.service', () => {
  it('runs node on the built entry point as a dedicated user, with the environment file, and stops with SIGTERM within the service\'s own bound', () => {
    expect(directive('User')).toBe('callbot');
    expect(directive('EnvironmentFile')).toBe('/etc/callbot/callbot.env');
    expect(directive('WorkingDirectory')).toBe('/opt/callbot');
    expect(directive('ExecStart')).toBe('/usr/bin/node /opt/callbot/dist/app/main.js');
    expect(directive('Restart')).toBe('on-failure');
    expect(directive('RestartPreventExitStatus')).toBe('2');
    expect(directive('KillSignal')).toBe('SIGTERM');
    // systemd's SIGKILL is a backstop: the service's own cap must come first.
    const stopS = Number(directive('TimeoutStopSec'));
    expect(stopS).toBeGreaterThan(STOP_HARD_CAP_MS / 1000);
    expect(stopS).toBeLessThanOrEqual(STOP_HARD_CAP_MS / 1000 + 5);
  });

  it('is hardened: no new privileges, a read-only system but for the SQLite directory, no home, a private /tmp', () => {
    expect({
      NoNewPrivileges: directive('NoNewPrivileges'), ProtectSystem: directive('ProtectSystem'), ReadWritePaths: directive('ReadWritePaths'),
      ProtectHome: directive('ProtectHome'), PrivateTmp: directive('PrivateTmp'), CapabilityBoundingSet: directive('CapabilityBoundingSet'),
    }).toEqual({ NoNewPrivileges: 'yes', ProtectSystem: 'strict', ReadWritePaths: '/var/lib/callbot', ProtectHome: 'yes', PrivateTmp: 'yes', CapabilityBoundingSet: '' });
    expect(text).toContain('DATABASE_URL=sqlite:/var/lib/callbot/callbot.sqlite');
  });

  if (!analyze) {
    // Loud, and counted as skipped (never as passed) in the run's summary.
    console.warn('SKIPPED: systemd-analyze is not installed, so deploy/callbot.service is not verified');
  }
  (analyze ? it : it.skip)('passes `systemd-analyze verify` without a single warning', () => {
    expect(verify(text)).toEqual({ status: 0, output: '' });
  });

  (analyze ? it : it.skip)('given a unit with an unknown directive or a bad signal, then the verification would say so (the check has teeth)', () => {
    expect(verify(text.replace('NoNewPrivileges=yes', 'NoNewPrivileges=yes\nNoSuchOption=1')).output).toMatch(/Unknown key 'NoSuchOption'/);
    expect(verify(text.replace('KillSignal=SIGTERM', 'KillSignal=SIGFOO')).output).toMatch(/Failed to parse signal name/);
  });
});
