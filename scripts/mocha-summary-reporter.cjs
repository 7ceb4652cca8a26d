// Mocha's spec reporter, followed by one plain closing line `N passed, N failed[, N skipped]`.
// CI recognises that line in any language; it does not recognise mocha's own "N passing".
'use strict';
const Mocha = require('mocha');

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    // Registered after Spec's own 'end' handler, so this line is printed last.
    runner.once('end', () => {
      const { passes, failures, pending } = runner.stats;
      const skipped = pending > 0 ? `, ${pending} skipped` : '';
      process.stdout.write(`${passes} passed, ${failures} failed${skipped}\n`);
    });
  }
}

module.exports = SpecWithSummary;
