import path from 'node:path';

export const ROOT = path.resolve(__dirname, '../..');
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
