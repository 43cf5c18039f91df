/** Jest's global teardown: removes the run's temporary directory (temp-root-setup.js). */
'use strict';
const fs = require('node:fs');

module.exports = function tearDownTempRoot() {
  const root = process.env.CALLBOT_JEST_TEMP_ROOT;
  if (root) fs.rmSync(root, { recursive: true, force: true });
};
