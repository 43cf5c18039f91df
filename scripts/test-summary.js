// Adds up the run's reports into the one closing line CI reads: "N passed, N failed, N skipped".
// Each file is a jest --json report or the e2e runner's {"passed","failed","skipped"} (a skipped
// e2e suite reports its tests as skipped). A report that is missing or unreadable counts as a
// failure: a run that wrote no report did not pass.
const fs = require('node:fs');

let passed = 0;
let failed = 0;
let skipped = 0;
const count = (value) => (Number.isInteger(value) && value >= 0 ? value : NaN);
for (const file of process.argv.slice(2)) {
  let report;
  try {
    report = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    failed += 1;
    continue;
  }
  const isJest = report !== null && typeof report === 'object' && 'numPassedTests' in report;
  const figures = isJest
    ? [report.numPassedTests, report.numFailedTests + report.numRuntimeErrorTestSuites, report.numPendingTests + report.numTodoTests]
    : [report?.passed, report?.failed, report?.skipped];
  const [p, f, s] = figures.map(count);
  if ([p, f, s].some(Number.isNaN)) {
    failed += 1;
    continue;
  }
  passed += p;
  failed += f;
  skipped += s;
}
console.log(`callbot tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
