import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../support/built-app';

/** The files that tell an operator or CI which script to run. */
function scriptTexts(): Array<{ file: string; text: string }> {
  const files = ['package.json', '.ci/run'];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(rel);
      else if (/\.(sh|js)$/.test(entry.name)) files.push(rel);
    }
  };
  walk('scripts');
  return files.map((file) => ({ file, text: fs.readFileSync(path.join(ROOT, file), 'utf8') }));
}

describe('the scripts', () => {
  it('given every scripts/… path that a script, package.json or CI names, then that file exists', () => {
    const missing = scriptTexts().flatMap(({ file, text }) => [...text.matchAll(/(?<![\w./-])scripts\/[\w./-]*\w/g)]
      .map((m) => m[0])
      .filter((named) => !fs.existsSync(path.join(ROOT, named)))
      .map((named) => `${file} names ${named}`));
    expect(missing).toEqual([]);
  });
});
