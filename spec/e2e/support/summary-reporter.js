/**
 * Prints what the e2e suite measured (tables the specs leave in E2E_RUN_DIR/report-*.txt) and
 * writes one plain line, `E2E: N passed, N failed`, to E2E_RUN_DIR/summary: the runner script
 * (scripts/e2e/run-e2e.sh) prints it last, after jest's own summary. A suite that failed to run
 * (an error in a hook, a crash) counts as failed.
 */
const fs = require('node:fs');
const path = require('node:path');

class E2eSummaryReporter {
  onRunComplete(_contexts, results) {
    const runDir = process.env.E2E_RUN_DIR;
    const lines = [''];
    if (runDir && fs.existsSync(runDir)) {
      for (const file of fs.readdirSync(runDir).filter((f) => /^report-.*\.txt$/.test(f)).sort()) {
        lines.push(fs.readFileSync(path.join(runDir, file), 'utf8').trimEnd(), '');
      }
    }
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const summary = `E2E: ${results.numPassedTests} passed, ${failed} failed`;
    if (!runDir) lines.push(summary);
    process.stdout.write(`${lines.join('\n')}\n`);
    if (runDir && fs.existsSync(runDir)) fs.writeFileSync(path.join(runDir, 'summary'), `${summary}\n`);
  }
}

module.exports = E2eSummaryReporter;
