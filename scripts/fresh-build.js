#!/usr/bin/env node
/**
 * Builds dist/ with tsc only when a source is newer than the last build, so `npm start`,
 * `npm run migrate` and `npm run demo` start at once after the first build (done by `npm ci`
 * through the `prepare` hook). `node scripts/fresh-build.js --always` builds unconditionally.
 * Plain JavaScript on purpose: it must run before anything is compiled.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawnSync } = require('node:child_process');

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
/** Written after every successful build; its time is when that build started. */
const STAMP = path.join(DIST, '.build-stamp');
/** Held while tsc writes dist/, so two starts at once never read a half-written build. */
const LOCK = path.join(ROOT, '.build-lock');
/** A lock older than this was left by a build that was killed. */
const STALE_LOCK_MS = 5 * 60_000;

/** The build's inputs: what tsconfig.build.json includes, and the configuration files themselves. */
function sources() {
  const config = JSON.parse(fs.readFileSync(path.join(ROOT, 'tsconfig.build.json'), 'utf8'));
  const files = [path.join(ROOT, 'tsconfig.json'), path.join(ROOT, 'tsconfig.build.json')];
  const walk = (p) => {
    let stat;
    try {
      stat = fs.statSync(p);
    } catch {
      return;
    }
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(p)) if (entry !== 'node_modules') walk(path.join(p, entry));
    } else if (/\.(ts|json|html|css)$/.test(p) && !p.endsWith('.d.ts')) {
      files.push(p);
    }
  };
  for (const entry of config.include) walk(path.join(ROOT, entry));
  return files;
}

function newestSourceTime() {
  let newest = 0;
  for (const file of sources()) {
    try {
      newest = Math.max(newest, fs.statSync(file).mtimeMs);
    } catch {
      // deleted while we looked: nothing to compare
    }
  }
  return newest;
}

function isFresh() {
  let built;
  try {
    built = fs.statSync(STAMP).mtimeMs;
  } catch {
    return false;
  }
  return newestSourceTime() <= built;
}

function sleep(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function takeLock() {
  for (;;) {
    try {
      fs.mkdirSync(LOCK);
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      try {
        if (Date.now() - fs.statSync(LOCK).mtimeMs > STALE_LOCK_MS) fs.rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      sleep(100);
    }
  }
}

function tscPath() {
  try {
    return require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  } catch {
    return undefined;
  }
}

/**
 * Makes dist/ match the sources. Returns 'fresh' (nothing to do), 'built', or a sentence saying
 * why it could not build; never throws for a failed compile (tsc has printed why).
 */
function ensureBuilt({ always = false } = {}) {
  if (!always && isFresh()) return 'fresh';
  takeLock();
  try {
    // Another process may have built while this one waited for the lock.
    if (!always && isFresh()) return 'fresh';
    const tsc = tscPath();
    if (!tsc) return 'dist/ is older than the sources and TypeScript is not installed: run `npm ci` (with dev dependencies), then `npm run build`';
    const started = Date.now();
    const result = spawnSync(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
    if (result.status !== 0) return 'the TypeScript build failed (see above)';
    // The Mini App's page (miniapp/web) is bundled beside the compiled service, which serves it.
    // Required here, not at the top: a production install runs this script only to find dist/ fresh.
    const { buildMiniApp } = require('./build-miniapp');
    const miniApp = buildMiniApp();
    if (miniApp) return miniApp;
    fs.writeFileSync(STAMP, '');
    // The stamp carries the build's start: a source saved during the build still counts as newer.
    fs.utimesSync(STAMP, started / 1000, started / 1000);
    return 'built';
  } finally {
    fs.rmSync(LOCK, { recursive: true, force: true });
  }
}

module.exports = { ensureBuilt, isFresh };

if (require.main === module) {
  const always = process.argv.includes('--always');
  const outcome = ensureBuilt({ always });
  if (outcome !== 'fresh' && outcome !== 'built') {
    process.stderr.write(`build: ${outcome}\n`);
    // As the `prepare` hook of an install without dev dependencies, a missing compiler is not an install failure.
    process.exit(process.argv.includes('--if-possible') && !tscPath() ? 0 : 1);
  }
}
