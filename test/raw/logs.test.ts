import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError } from '../../src/core/errors.js';
import { normalizeRawConfig, type RawConfig } from '../../src/raw/config.js';
import { readLogLines } from '../../src/raw/logs.js';
import { SkipCollector } from '../../src/raw/skips.js';
import { parseTimestamp } from '../../src/raw/timestamps.js';
import type { LogLine } from '../../src/raw/types.js';
import { tmpDir } from './synth.js';
import { rejection } from './errors.js';

async function readAll(file: string, partial: Partial<RawConfig> = {}) {
  const skips = new SkipCollector();
  const lines: LogLine[] = [];
  for await (const l of readLogLines(file, normalizeRawConfig(partial), skips)) lines.push(l);
  return { lines, skips };
}

function writeLogs(value: unknown): string {
  const file = path.join(tmpDir('logs'), 'logs.json');
  fs.writeFileSync(file, JSON.stringify(value));
  return file;
}

const T = Date.UTC(2022, 3, 17, 21, 21, 5) / 1000; // 2022-04-17 21:21:05 read as UTC

describe('raw/logs', () => {
  it('parses TT Java lines: timestamp as UTC, content after " : ", offset added', async () => {
    const file = writeLogs({
      'ts-order-service': [
        '2022-04-17 21:21:05.123  INFO 1 --- [http-nio-8080-exec-3] c.s.OrderServiceImpl : [getOrder] order id: 42',
        '2022-04-17 21:21:06.5 ERROR 1 --- [main] c.s.OrderController         : failed: a : b',
      ],
    });
    const { lines } = await readAll(file, { offsets: { spans: 0, logs: 8 * 3600, metrics: 0, records: 0 } });
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.service, 'ts-order-service');
    assert.ok(Math.abs(lines[0]!.time - (T + 0.123 + 8 * 3600)) < 1e-6);
    assert.equal(lines[0]!.content, '[getOrder] order id: 42');
    assert.equal(lines[1]!.content, 'failed: a : b');
    assert.ok(Math.abs(lines[1]!.time - (T + 1.5 + 8 * 3600)) < 1e-6);
    assert.match(lines[0]!.raw, /^2022-04-17 21:21:05.123/);
  });

  it('parses SN C++ lines: month names, microseconds, content after (file:line:fn)', async () => {
    const file = writeLogs({
      'compose-post-service': [
        '[2022-Apr-17 21:21:05.123456] <info>: (ComposePostHandler.h:120:ComposePost) Compose post request 7',
        '[2022-Apr-17 21:21:05.000001] <error>: no location here',
      ],
    });
    const { lines } = await readAll(file);
    assert.ok(Math.abs(lines[0]!.time - (T + 0.123456)) < 1e-6);
    assert.equal(lines[0]!.content, 'Compose post request 7');
    assert.equal(lines[1]!.content, 'no location here');
    assert.ok(Math.abs(lines[1]!.time - (T + 0.000001)) < 1e-6);
  });

  it('a line in no known format: error quotes the line and names file and field', async () => {
    const file = writeLogs({ svc: ['2022-04-17 21:21:05.123  INFO 1 --- [m] c.X : ok', 'Apr 17 21:21:05 host app[1]: syslog style'] });
    const err = await rejection(readAll(file));
    assert.match(err.message, /matches no known log format/);
    assert.equal(err.details.file, file);
    assert.equal(err.details.field, '"svc"[1]');
    assert.equal(err.details.found, 'Apr 17 21:21:05 host app[1]: syslog style');
    assert.match(err.details.expected ?? '', /tt-java, sn-cpp/);
  });

  it('a line in no known format with onBadInput skip: counted and reported', async () => {
    const file = writeLogs({ svc: ['nonsense 1', '2022-04-17 21:21:05.123  INFO 1 --- [m] c.X : ok', 'nonsense 2'] });
    const { lines, skips } = await readAll(file, { onBadInput: 'skip' });
    assert.equal(lines.length, 1);
    assert.equal(skips.total(), 2);
    assert.equal(skips.reports()[0]!.example, '"svc"[0]: nonsense 1');
  });

  it("users' own format through configuration (epoch milliseconds)", async () => {
    const file = writeLogs({ api: ['1650230465123|WARN|slow query', '1650230466000|INFO|ok'] });
    const { lines } = await readAll(file, {
      logFormats: [{ name: 'pipe', pattern: '^(?<ts>\\d+)\\|(?<level>\\w+)\\|(?<msg>.*)$', timestamp: 'epoch-ms' }],
    });
    assert.deepEqual(lines.map((l) => [l.time, l.content]), [
      [T + 0.123, 'slow query'],
      [T + 1, 'ok'],
    ]);
  });

  it('Java stack-trace continuation lines are counted, not errors', async () => {
    const file = writeLogs({
      svc: ['2022-04-17 21:21:05.123 ERROR 1 --- [m] c.X : boom', '\tat com.foo.Bar.baz(Bar.java:12)', 'Caused by: java.lang.NullPointerException'],
    });
    const { lines, skips } = await readAll(file);
    assert.equal(lines.length, 1);
    assert.equal(skips.total(), 2);
    assert.match(skips.reports()[0]!.reason, /continuation line/);
  });

  it('a missing logs.json is a named error', async () => {
    const file = path.join(tmpDir('logs'), 'logs.json');
    const err = await rejection(readAll(file));
    assert.match(err.message, /File not found/);
    assert.equal(err.details.file, file);
  });

  it('logs.json as an array instead of an object is a named error', async () => {
    const file = writeLogs(['2022-04-17 21:21:05.123  INFO 1 --- [m] c.X : ok']);
    const err = await rejection(readAll(file));
    assert.match(err.message, /object keyed by service/);
    assert.equal(err.details.file, file);
  });

  it('parseTimestamp: iso without zone is UTC, epoch seconds, garbage is NaN', () => {
    assert.equal(parseTimestamp('2022-04-17T21:21:05', 'iso'), T);
    assert.equal(parseTimestamp('2022-04-17T23:21:05+02:00', 'iso'), T);
    assert.equal(parseTimestamp('1650230465.5', 'epoch-s'), T + 0.5);
    assert.ok(Number.isNaN(parseTimestamp('2022-Foo-17 21:21:05.1', 'cpp')));
    assert.ok(Number.isNaN(parseTimestamp('2022-13-17 21:21:05.1', 'java')));
  });
});
