import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRng } from '../../src/core/rng.js';
import { EadroError } from '../../src/core/errors.js';
import { normalizeRawConfig } from '../../src/raw/config.js';
import { SkipCollector } from '../../src/raw/skips.js';
import { readTraces } from '../../src/raw/spans.js';
import type { SpanRecord } from '../../src/raw/types.js';
import { tmpDir } from './synth.js';
import { rejection } from './errors.js';

async function readAll(file: string, opts: { chunkBytes?: number; skip?: boolean; offset?: number } = {}) {
  const cfg = normalizeRawConfig({ onBadInput: opts.skip ? 'skip' : 'error', offsets: { spans: opts.offset ?? 0, logs: 0, metrics: 0, records: 0 } });
  const skips = new SkipCollector();
  const traces: SpanRecord[][] = [];
  for await (const t of readTraces(file, cfg, skips, opts.chunkBytes === undefined ? {} : { chunkBytes: opts.chunkBytes })) traces.push(t);
  return { traces, skips };
}

function trace(traceID: string, extra: Partial<Record<string, unknown>> = {}) {
  return {
    traceID,
    spans: [
      { traceID, spanID: 'a1', operationName: 'root', references: [], startTime: 1650230461000000, duration: 1500, processID: 'p1', tags: [{ key: 'http.status_code', type: 'int64', value: 503 }] },
      { traceID, spanID: 'b2', operationName: 'child', references: [{ refType: 'FOLLOWS_FROM', traceID, spanID: 'zz' }, { refType: 'CHILD_OF', traceID, spanID: 'a1' }], startTime: 1650230461000100, duration: 700, processID: 'p2', tags: [{ key: 'error', type: 'bool', value: true }] },
      { traceID, spanID: 'c3', operationName: 'ok', references: [{ refType: 'CHILD_OF', traceID, spanID: 'b2' }], startTime: 1650230461000200, duration: 300, processID: 'p2', tags: { 'http.status_code': '200' } },
    ],
    processes: { p1: { serviceName: 'ts-travel-service', tags: [] }, p2: { serviceName: 'ts-order-service', tags: [] } },
    ...extra,
  };
}

describe('raw/spans', () => {
  it('resolves services through processes, parents through CHILD_OF, errors from tags, and applies the offset', async () => {
    const dir = tmpDir('spans');
    const file = path.join(dir, 'spans.json');
    fs.writeFileSync(file, JSON.stringify([trace('t1')]));
    const { traces } = await readAll(file, { offset: 8 * 3600 });
    assert.equal(traces.length, 1);
    const [a, b, c] = traces[0]!;
    assert.deepEqual(
      [a!.service, b!.service, c!.service, a!.parentSpanId, b!.parentSpanId, c!.parentSpanId],
      ['ts-travel-service', 'ts-order-service', 'ts-order-service', null, 'a1', 'b2'],
    );
    assert.deepEqual([a!.error, b!.error, c!.error], [true, true, false]); // 503, error=true, 200
    assert.deepEqual([a!.statusCode, b!.statusCode, c!.statusCode], [503, null, 200]);
    assert.equal(a!.startUs, 1650230461000000 + 8 * 3600 * 1e6);
    assert.equal(a!.durationUs, 1500);
    assert.equal(b!.operation, 'child');
  });

  it('accepts the Jaeger API wrapper {"data": [...]}', async () => {
    const dir = tmpDir('spans');
    const file = path.join(dir, 'spans.json');
    fs.writeFileSync(file, JSON.stringify({ data: [trace('t1'), trace('t2')], total: 0, limit: 0, offset: 0, errors: null }));
    const { traces } = await readAll(file);
    assert.deepEqual(traces.map((t) => t[0]!.traceId), ['t1', 't2']);
    fs.writeFileSync(file, JSON.stringify({ data: [], total: 0 }));
    assert.equal((await readAll(file)).traces.length, 0);
    fs.writeFileSync(file, JSON.stringify({ traces: [trace('t1')] }));
    assert.match((await rejection(readAll(file))).message, /without a "data" list/);
  });

  it('streams a generated multi-MB file with chunk boundaries inside strings and escapes', async () => {
    const dir = tmpDir('spans');
    const file = path.join(dir, 'spans.json');
    const rng = createRng(7);
    const nasty = ['"quoted"', 'back\\slash', ']}{[', 'é✓😀', 'tab\there\nnewline', '\\\\"'];
    const traces = [];
    for (let i = 0; i < 3000; i++) {
      const id = `trace-${i}-${nasty[i % nasty.length]}`;
      const t = trace(id);
      for (const s of t.spans) s.operationName = `${nasty[rng.int(nasty.length)]} op ${rng.int(1000)} ${'x'.repeat(rng.int(300))}`;
      traces.push(t);
    }
    const text = JSON.stringify(traces, null, 1);
    fs.writeFileSync(file, text);
    assert.ok(Buffer.byteLength(text) > 2e6, `file is ${Buffer.byteLength(text)} bytes`);
    // 4093 is prime: boundaries fall everywhere, including inside escapes and UTF-8 sequences.
    for (const chunkBytes of [4093]) {
      const { traces: got } = await readAll(file, { chunkBytes });
      assert.equal(got.length, traces.length);
      assert.equal(got.flat().length, traces.length * 3);
      for (let i = 0; i < traces.length; i += 97) {
        assert.equal(got[i]![0]!.traceId, traces[i]!.traceID);
        assert.deepEqual(got[i]!.map((s) => s.operation), traces[i]!.spans.map((s) => s.operationName));
      }
    }
  });

  it('duplicate spans (same traceID and spanID) are skipped and counted', async () => {
    const dir = tmpDir('spans');
    const file = path.join(dir, 'spans.json');
    fs.writeFileSync(file, JSON.stringify([trace('t1'), trace('t2'), trace('t1')]));
    const { traces, skips } = await readAll(file);
    assert.equal(traces.length, 2); // the repeated trace had only duplicates
    assert.equal(skips.total(), 3);
    const [r] = skips.reports();
    assert.equal(r!.file, file);
    assert.match(r!.reason, /duplicate span/);
    assert.match(r!.example ?? '', /\[2\]\.spans\[0\].*traceID t1, spanID a1/);
  });

  it('a missing spans.json is a named error', async () => {
    const dir = tmpDir('spans');
    const file = path.join(dir, 'spans.json');
    const err = await rejection(readAll(file));
    assert.match(err.message, /File not found/);
    assert.equal(err.details.file, file);
  });

  it('a span with an unknown processID names the field (or is counted with skip)', async () => {
    const dir = tmpDir('spans');
    const file = path.join(dir, 'spans.json');
    const t = trace('t1');
    t.spans[1]!.processID = 'p9';
    fs.writeFileSync(file, JSON.stringify([t]));
    const err = await rejection(readAll(file));
    assert.equal(err.details.file, file);
    assert.equal(err.details.field, '[0].spans[1].processID');
    const { traces, skips } = await readAll(file, { skip: true });
    assert.equal(traces[0]!.length, 2);
    assert.equal(skips.total(), 1);
  });

  it('truncated spans.json names the file and the trace index', async () => {
    const dir = tmpDir('spans');
    const file = path.join(dir, 'spans.json');
    const text = JSON.stringify([trace('t1'), trace('t2'), trace('t3')]);
    fs.writeFileSync(file, text.slice(0, Math.floor(text.length * 0.8)));
    const err = await rejection(readAll(file));
    assert.match(err.message, /Truncated JSON/);
    assert.equal(err.details.file, file);
    assert.match(err.details.field ?? '', /element 2/);
  });
});
