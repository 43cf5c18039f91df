import fs from 'node:fs';
import path from 'node:path';

/**
 * The project directory: the nearest one above this file with package.json, so that the same code
 * finds it from spec/support (under jest) and from dist/spec/support (compiled into a bench).
 */
export const ROOT = projectRoot(__dirname);

function projectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}
/** The service's entry point as deployed. */
export const MAIN = path.join(ROOT, 'dist', 'app', 'main.js');

interface FreshBuild {
  ensureBuilt(options?: { always?: boolean }): string;
}

/** Builds dist/ if a source is newer (the same check `npm start` makes); specs that run the compiled app call it first. */
export function buildApp(): void {
  const { ensureBuilt } = require(path.join(ROOT, 'scripts', 'fresh-build.js')) as FreshBuild;
  const outcome = ensureBuilt();
  if (outcome !== 'fresh' && outcome !== 'built') throw new Error(`cannot build the app: ${outcome}`);
}
