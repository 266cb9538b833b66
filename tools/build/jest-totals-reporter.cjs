// Appends each project's counts to tmp/test-totals.jsonl so `.ci/run` can print one closing
// line for the whole run ("N passed, N failed, N skipped").
const fs = require('node:fs');
const path = require('node:path');

class TotalsReporter {
  constructor(globalConfig) {
    this.globalConfig = globalConfig;
  }

  onRunComplete(_contexts, results) {
    const file = process.env.KEYHAVEN_TEST_TOTALS;
    if (!file) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.appendFileSync(
      file,
      `${JSON.stringify({
        passed: results.numPassedTests,
        failed: results.numFailedTests + results.numRuntimeErrorTestSuites,
        skipped: results.numPendingTests + results.numTodoTests,
      })}\n`,
    );
  }
}

module.exports = TotalsReporter;
