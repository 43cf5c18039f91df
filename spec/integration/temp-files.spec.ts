import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/built-app';

jest.setTimeout(60_000);

/** A jest run of this project's configuration, on one fixture that makes temporary files as the specs do. */
describe('the specs\' temporary files', () => {
  let tmp: string;

  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-temp-files-')); });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('given a run whose specs make SQLite and service directories and leave them, then nothing of them is left in the temporary directory after the run', () => {
    const run = spawnSync(process.execPath, [
      path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--config', path.join(ROOT, 'jest.config.js'),
      '--roots', '<rootDir>/spec/fixtures/temp-files', '--testMatch', '**/*.fixture.ts', '--ci', '--cacheDirectory', jestCache(),
    ], { cwd: ROOT, env: { ...process.env, TMPDIR: tmp }, encoding: 'utf8' });

    expect(run.stderr).toMatch(/1 passed/);
    expect(run.status).toBe(0);
    expect(fs.readdirSync(tmp).filter((name) => name.startsWith('callbot-'))).toEqual([]);
  });
});

/** Jest's own cache where this run keeps it (its default, under the temporary directory it started with), so the inner run starts warm. */
function jestCache(): string {
  const startedWith = process.env.CALLBOT_JEST_TEMP_ROOT ? path.dirname(process.env.CALLBOT_JEST_TEMP_ROOT) : os.tmpdir();
  return path.join(startedWith, `jest_${(process.getuid?.() ?? 0).toString(36)}`);
}
