/**
 * Jest's global setup: the run gets a temporary directory of its own, and TMPDIR points the specs
 * (and their workers, started after this) at it, so the SQLite files, service directories and
 * anything else a spec makes under os.tmpdir() go with it at the end (temp-root-teardown.js), even
 * when a spec fails before its own clean-up. Plain JavaScript: jest loads it before any transform.
 */
'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

module.exports = function setUpTempRoot() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'callbot-jest-'));
  // Open to other users as /tmp is, for the specs that run a check as an unprivileged one.
  fs.chmodSync(root, 0o755);
  process.env.CALLBOT_JEST_TEMP_ROOT = root;
  process.env.TMPDIR = root;
};
