/**
 * What the notebooks say in prose about the code's defaults must be true of the code: a notebook once
 * told readers that the epoch with the lowest validation loss is kept while the trainer selected by
 * F1 and HR@1. Two checks: every `xxxDefaults.a.b` a notebook names exists, and each known claim in
 * prose appears only while the default it describes holds.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { eadroDefaults } from '../../src/models/eadro/config.js';
import { notebookSupportDefaults } from '../../src/experiments/notebook-support.js';
import { reproduceDefaults } from '../../src/experiments/reproduce.js';
import { protocolDefaults } from '../../src/evaluation/protocols.js';
import { windowDefaults } from '../../src/windows/build.js';

const DEFAULTS: Record<string, unknown> = { eadroDefaults, notebookSupportDefaults, reproduceDefaults, protocolDefaults, windowDefaults };

/** Prose claims about defaults, and whether each is true of the code now. */
const CLAIMS: { pattern: RegExp; holds: boolean; about: string }[] = [
  { pattern: /lowest validation loss/i, holds: eadroDefaults.common.selectBy === 'loss', about: 'checkpoint selection by validation loss' },
  { pattern: /mean of validation F1\s+and HR@1/i, holds: eadroDefaults.common.selectBy === 'f1-hr1', about: 'checkpoint selection by the mean of F1 and HR@1' },
  { pattern: /stride 1 s\b/, holds: windowDefaults.stride === 1, about: 'window stride 1 s' },
];

const NOTEBOOKS = path.resolve('notebooks');

function notebookText(file: string): string {
  const nb = JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, file), 'utf8')) as { cells: { source: string | string[] }[] };
  return nb.cells.map((c) => (Array.isArray(c.source) ? c.source.join('') : c.source)).join('\n');
}

function resolve(ref: string): unknown {
  const [root, ...keys] = ref.split('.');
  let v: unknown = DEFAULTS[root!];
  for (const k of keys) v = v === undefined || v === null ? undefined : (v as Record<string, unknown>)[k];
  return v;
}

describe('notebooks: stated defaults', () => {
  const files = fs.readdirSync(NOTEBOOKS).filter((f) => f.endsWith('.ipynb')).sort();

  it('finds the notebooks and checks itself', () => {
    assert.ok(files.length >= 5, files.join(', '));
    assert.equal(resolve('eadroDefaults.common.selectBy'), eadroDefaults.common.selectBy);
    assert.equal(resolve('eadroDefaults.common.noSuchField'), undefined);
    // the claim that started this test is caught while the code selects by F1 and HR@1
    assert.ok(CLAIMS.some((c) => c.pattern.test('The epoch with the lowest validation loss is kept') && !c.holds));
  });

  for (const file of files) {
    it(`${file}: every named default exists and every claim about a default holds`, () => {
      const text = notebookText(file);
      const unknown = [...text.matchAll(/`(\w+Defaults(?:\.\w+)+)`/g)].map((m) => m[1]!).filter((ref) => resolve(ref) === undefined);
      assert.deepEqual(unknown, [], `${file} names defaults the code does not have`);
      const untrue = CLAIMS.filter((c) => !c.holds && c.pattern.test(text)).map((c) => c.about);
      assert.deepEqual(untrue, [], `${file} states defaults the code does not have`);
    });
  }
});
