#!/usr/bin/env node
/**
 * Builds the Telegram Mini App's page (miniapp/web) into dist/miniapp/web with esbuild: one script
 * bundling Telegram's Web App script (@twa-dev/sdk) and libphonenumber-js, the stylesheet and the
 * HTML, so the service serves it with nothing fetched from a CDN. Run by scripts/fresh-build.js
 * after the TypeScript build; plain JavaScript for the same reason as that script.
 */
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SOURCE = path.join(ROOT, 'miniapp', 'web');
const OUT = path.join(ROOT, 'dist', 'miniapp', 'web');

/** Builds into `out` (dist/miniapp/web unless told); returns undefined when built, or a sentence saying why not. */
function buildMiniApp(out = OUT) {
  let esbuild;
  try {
    esbuild = require(require.resolve('esbuild', { paths: [ROOT] }));
  } catch {
    return 'esbuild is not installed: run `npm ci` (with dev dependencies), then `npm run build`';
  }
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  try {
    esbuild.buildSync({
      entryPoints: [path.join(SOURCE, 'main.ts')],
      outfile: path.join(out, 'app.js'),
      bundle: true,
      minify: true,
      sourcemap: true,
      format: 'iife',
      // Telegram's in-app browsers on phones a few years old.
      target: 'es2020',
      tsconfig: path.join(SOURCE, 'tsconfig.json'),
      logLevel: 'warning',
    });
  } catch {
    return 'the Mini App\'s bundle failed to build (esbuild said why above)';
  }
  for (const file of ['index.html', 'app.css']) fs.copyFileSync(path.join(SOURCE, file), path.join(out, file));
  return undefined;
}

module.exports = { buildMiniApp };

if (require.main === module) {
  const problem = buildMiniApp();
  if (problem) {
    process.stderr.write(`build: ${problem}\n`);
    process.exit(1);
  }
}
