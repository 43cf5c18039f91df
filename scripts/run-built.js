#!/usr/bin/env node
/**
 * `npm start`, `npm run migrate`, `npm run demo`: builds dist/ if a source is newer, then runs the
 * compiled entry point in this same process. npm's shell execs this one `node` command, so a
 * SIGTERM or SIGINT sent to `npm start` reaches the service itself, and no process is left behind.
 * Usage: node scripts/run-built.js dist/app/main.js [arguments for it…]
 */
'use strict';
const path = require('node:path');
const { ensureBuilt } = require('./fresh-build');

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  process.stderr.write('usage: node scripts/run-built.js <dist entry point> [arguments…]\n');
  process.exit(64);
}
const outcome = ensureBuilt();
if (outcome !== 'fresh' && outcome !== 'built') {
  process.stderr.write(`cannot start: ${outcome}\n`);
  process.exit(1);
}
// The entry point reads its own arguments from process.argv, as if started as `node <entry> …`.
const target = path.resolve(__dirname, '..', entry);
process.argv = [process.argv[0], target, ...rest];
require(target);
