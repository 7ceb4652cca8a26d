// Mocha's spec reporter, followed by the list of skipped tests (each with the reason its title or
// its suite printed) and one plain closing line `N passed, N failed[, N skipped]`.
// CI recognises that line in any language; it does not recognise mocha's own "N passing".
'use strict';
const Mocha = require('mocha');

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const skipped = [];
    runner.on('pending', (test) => skipped.push(test.fullTitle()));
    // Registered after Spec's own 'end' handler, so these lines are printed last.
    runner.once('end', () => {
      const { passes, failures, pending } = runner.stats;
      if (skipped.length > 0) {
        process.stdout.write(`skipped (${skipped.length}), each for want of a tool this machine lacks (its reason is in its title or printed above; Jupyter and Chromium: bash scripts/setup-system.sh):\n`);
        for (const title of skipped) process.stdout.write(`  - ${title}\n`);
      }
      const skippedText = pending > 0 ? `, ${pending} skipped` : '';
      process.stdout.write(`${passes} passed, ${failures} failed${skippedText}\n`);
    });
  }
}

module.exports = SpecWithSummary;
