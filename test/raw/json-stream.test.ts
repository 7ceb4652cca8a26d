import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError } from '../../src/core/errors.js';
import { streamJsonElements, type JsonElement } from '../../src/raw/json-stream.js';
import { tmpDir } from './synth.js';
import { rejection } from './errors.js';

async function collect(file: string, chunkBytes?: number): Promise<JsonElement[]> {
  const out: JsonElement[] = [];
  for await (const batch of streamJsonElements(file, chunkBytes === undefined ? {} : { chunkBytes })) out.push(...batch);
  return out;
}

// Strings that stress the splitter: escaped quotes and backslashes, brackets inside strings, and
// multi-byte UTF-8 characters that chunk boundaries can cut.
const TRICKY = ['a"b', 'back\\slash\\', '[not]{an}array,', 'é✓😀', 'line\nbreak\ttab', '\\"', '', 'q\\\\"'];

describe('raw/json-stream', () => {
  it('splits a top-level array identically for every chunk size from 1 to 17 bytes', async () => {
    const dir = tmpDir('json');
    const doc = [
      { s: TRICKY, n: [1, [2, [3]]], o: { '}': '{', k: null } },
      'plain "string" ]',
      42.5e-3,
      true,
      null,
      [],
      {},
      TRICKY.join(''),
    ];
    const file = path.join(dir, 'a.json');
    fs.writeFileSync(file, `\ufeff  ${JSON.stringify(doc, null, 1)}\n`);
    for (let chunk = 1; chunk <= 17; chunk++) {
      const els = await collect(file, chunk);
      assert.deepEqual(els.map((e) => e.value), doc, `chunk ${chunk}`);
      assert.deepEqual(els.map((e) => e.index), doc.map((_, i) => i));
      assert.ok(els.every((e) => e.key === null));
    }
  });

  it('splits an object of arrays (logs.json shape) and yields non-array members whole', async () => {
    const dir = tmpDir('json');
    const doc = { 'svc-a': ['x "1"', 'y\\'], 'svc "b"': [], total: 3, 'svc-c': ['z'] };
    const file = path.join(dir, 'o.json');
    fs.writeFileSync(file, JSON.stringify(doc));
    for (const chunk of [1, 3, 5, 64]) {
      const els = await collect(file, chunk);
      assert.deepEqual(
        els.map((e) => [e.key, e.index, e.value]),
        [
          ['svc-a', 0, 'x "1"'],
          ['svc-a', 1, 'y\\'],
          ['total', -1, 3],
          ['svc-c', 0, 'z'],
        ],
      );
    }
  });

  it('reports byte offsets of elements', async () => {
    const dir = tmpDir('json');
    const file = path.join(dir, 'b.json');
    fs.writeFileSync(file, '[{"a":1}, "é", 7]');
    const els = await collect(file, 2);
    assert.deepEqual(els.map((e) => e.offset), [1, 10, 16]); // 'é' is 2 bytes
  });

  it('truncated JSON: names the file, the element and the end-of-file byte', async () => {
    const dir = tmpDir('json');
    const file = path.join(dir, 'spans.json');
    fs.writeFileSync(file, '[{"a": 1}, {"b": [1, 2');
    const err = await rejection(collect(file, 4));
    assert.match(err.message, /Truncated JSON/);
    assert.equal(err.details.file, file);
    assert.match(err.details.field ?? '', /element 1/);
    assert.match(err.details.found ?? '', /end of file at byte 22/);
  });

  it('invalid JSON inside an element: names the file, element index and byte offset', async () => {
    const dir = tmpDir('json');
    const file = path.join(dir, 'spans.json');
    fs.writeFileSync(file, '[{"a": 1}, {"b": tru}, {"c": 3}]');
    const err = await rejection(collect(file));
    assert.match(err.message, /Invalid JSON/);
    assert.equal(err.details.file, file);
    assert.match(err.details.field ?? '', /element 1 at byte 11/);
  });

  it('invalid JSON between elements: names the byte and what was expected', async () => {
    const dir = tmpDir('json');
    const file = path.join(dir, 'x.json');
    fs.writeFileSync(file, '[1, 2 3]');
    const err = await rejection(collect(file));
    assert.match(err.details.field ?? '', /byte 6/);
    assert.match(err.details.expected ?? '', /',' or ']'/);
    const trailing = path.join(dir, 'y.json');
    fs.writeFileSync(trailing, '[1] x');
    assert.match((await rejection(collect(trailing))).details.expected ?? '', /nothing after the end/);
  });
});
