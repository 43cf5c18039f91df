import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT, buildApp } from '../support/built-app';

/**
 * docs/demo.md shows `npm run demo`'s output; this runs the demo as `npm run demo` does (node on
 * dist/scripts/demo.js) and compares. What differs from run
 * to run is normalised: the seconds, the verification code and its expiry, the /history date and
 * the talk time. A status edit of "You answered — dialing…" is dropped when it appears: that stage
 * lasts milliseconds, and the status message's one edit a second shows it only by chance.
 */
const DOCS_PAGE = path.join(ROOT, 'docs', 'demo.md');

function transcriptOfDocsPage(): string {
  const block = /```text\n([\s\S]*?)```/.exec(fs.readFileSync(DOCS_PAGE, 'utf8'));
  if (!block?.[1]) throw new Error(`${DOCS_PAGE} has no \`\`\`text block: the demo's transcript goes there`);
  return block[1];
}

function withoutMomentaryStages(lines: readonly string[]): string[] {
  const kept: string[] = [];
  let skipping = false;
  for (const line of lines) {
    if (/^\s*[\d.]+s {2}\S/.test(line)) skipping = / ✎ edits the status for .*: ✅ You answered — dialing/.test(line);
    if (!skipping) kept.push(line);
  }
  return kept;
}

function normalised(transcript: string): string[] {
  const lines = transcript.split('\n').map((line) =>
    line
      .replace(/^\s*\d+\.\ds {2}/, '  T  ')
      .replace(/\b(\d ){5}\d\b/g, 'C C C C C C')
      .replace(/valid until \d\d:\d\d UTC/, 'valid until HH:MM UTC')
      .replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/, 'YYYY-MM-DD HH:MM UTC')
      .replace(/(— |· )\d+:\d\d\b/g, '$1M:SS')
      .trimEnd(),
  );
  while (lines.at(-1) === '') lines.pop();
  return withoutMomentaryStages(lines);
}

describe('the demo and its page in the docs', () => {
  let demoTmp: string;
  let printed: string;

  beforeAll(async () => {
    buildApp();
    // The demo runs with a temporary directory of this spec's own, so what it leaves behind is seen.
    demoTmp = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-demo-spec-'));
    const demo = await promisify(execFile)(process.execPath, [path.join(ROOT, 'dist', 'scripts', 'demo.js')], {
      cwd: ROOT, env: { ...process.env, TMPDIR: demoTmp }, timeout: 60000,
    });
    printed = demo.stdout;
  }, 120000);

  afterAll(() => {
    fs.rmSync(demoTmp, { recursive: true, force: true });
  });

  it('given the demo has run, then docs/demo.md shows its output line for line', () => {
    expect(normalised(transcriptOfDocsPage())).toEqual(normalised(printed));
  });

  it('given the demo has run, then it left nothing in the temporary directory', () => {
    expect(fs.readdirSync(demoTmp)).toEqual([]);
  });
});
