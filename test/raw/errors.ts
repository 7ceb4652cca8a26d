/** Assertion helpers of the raw-reader tests: the EadroError a call or a promise ends with. */
import { strict as assert } from 'node:assert';
import { EadroError } from '../../src/core/errors.js';

/** The EadroError `fn` throws; fails the test if it throws nothing or something else. */
export function thrown(fn: () => unknown): EadroError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof EadroError, `expected EadroError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected an error');
}

/** The EadroError `p` rejects with; fails the test if it resolves or rejects with something else. */
export async function rejection(p: Promise<unknown>): Promise<EadroError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof EadroError, `expected EadroError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}
