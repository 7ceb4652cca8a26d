import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError } from '../../src/core/errors.js';
import { normalizeRawConfig, type RawConfig } from '../../src/raw/config.js';
import { LogLineParser, parseLogfmt, readLogLines } from '../../src/raw/logs.js';
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

  describe('default formats of other systems (issue 25): known lines to known unix times', () => {
    const U = 1704164645; // 2024-01-02T03:04:05Z
    const cases: { line: string; format: string; time: number; content: string }[] = [
      { line: '2024-01-02T03:04:05.123Z INFO user logged in', format: 'iso8601', time: U + 0.123, content: 'user logged in' },
      { line: '2024-01-02T05:04:05+02:00 [warn] disk slow', format: 'iso8601', time: U, content: 'disk slow' },
      { line: '2024-01-02T03:04:05 started worker 3', format: 'iso8601', time: U, content: 'started worker 3' },
      { line: '2024-01-02 03:04:05,500 ERROR main: boom', format: 'iso8601', time: U + 0.5, content: 'main: boom' },
      { line: '2024/01/02 03:04:05 listening on :8080', format: 'go-log', time: U, content: 'listening on :8080' },
      { line: '2024/01/02 03:04:05.250000 main.go:42: ready', format: 'go-log', time: U + 0.25, content: 'main.go:42: ready' },
      { line: 'ts=2024-01-02T03:04:05.75Z level=info msg="user \\"bob\\" logged in" caller=auth.go:12', format: 'logfmt', time: U + 0.75, content: 'user "bob" logged in' },
      { line: 'time="2024-01-02 03:04:05" level=warning msg=slow', format: 'logfmt', time: U, content: 'slow' },
      { line: 'level=error ts=1704164645.5 msg="db down"', format: 'logfmt', time: U + 0.5, content: 'db down' },
      { line: '{"ts":1704164645.5,"level":"info","msg":"zap line"}', format: 'json-lines', time: U + 0.5, content: 'zap line' },
      { line: '{"time":"2024-01-02T03:04:05.250Z","level":"info","message":"logrus line"}', format: 'json-lines', time: U + 0.25, content: 'logrus line' },
      { line: '{"@timestamp":"2024-01-02T03:04:05Z","log":"elastic line"}', format: 'json-lines', time: U, content: 'elastic line' },
      { line: '{"timestamp":1704164645123,"msg":"ms epoch"}', format: 'json-lines', time: U + 0.123, content: 'ms epoch' },
      { line: '{"timestamp":"2024-01-02T03:04:05Z","line":"GET /api 200","labels":{"app":"web"}}', format: 'loki-json', time: U, content: 'GET /api 200' },
      { line: '{"timestamp":"1704164645123456789","line":"ns as text"}', format: 'loki-json', time: U + 0.123456789, content: 'ns as text' },
      { line: '1704164645123456789\tGET /api 200', format: 'loki-tsv', time: U + 0.123456789, content: 'GET /api 200' },
      { line: '2024-01-02T03:04:05.5Z\tlevel=info msg=x', format: 'loki-tsv', time: U + 0.5, content: 'level=info msg=x' },
      { line: '1704164645 job started', format: 'epoch', time: U, content: 'job started' },
      { line: '1704164645123 job started', format: 'epoch', time: U + 0.123, content: 'job started' },
      { line: '1704164645123456 job started', format: 'epoch', time: U + 0.123456, content: 'job started' },
      { line: '1704164645123456789 job started', format: 'epoch', time: U + 0.123456789, content: 'job started' },
    ];
    for (const c of cases) {
      it(`${c.format}: ${c.line}`, () => {
        const parsed = new LogLineParser(normalizeRawConfig()).parse('svc', c.line);
        assert.ok(parsed !== null, 'no format matched');
        assert.equal(parsed.format, c.format);
        assert.ok(Math.abs(parsed.time - c.time) < 1e-6, `${parsed.time} != ${c.time}`);
        assert.equal(parsed.content, c.content);
      });
    }

    it('the tt-java and sn-cpp lines of the released data still match their own formats first', () => {
      const parser = new LogLineParser(normalizeRawConfig());
      const tt = parser.parse('a', '2022-04-17 21:21:05.123  INFO 1 --- [http-nio-8080-exec-3] c.s.OrderServiceImpl : [getOrder] order id: 42');
      assert.deepEqual(tt, { time: T + 0.123, content: '[getOrder] order id: 42', format: 'tt-java' });
      const sn = parser.parse('b', '[2022-Apr-17 21:21:05.123456] <info>: (ComposePostHandler.h:120:ComposePost) Compose post request 7');
      assert.equal(sn!.format, 'sn-cpp');
      assert.equal(sn!.content, 'Compose post request 7');
      // With a zone-less ISO "T": still tt-java (it is tried before iso8601).
      assert.equal(parser.parse('c', '2022-04-17T21:21:05.123 ERROR 1 --- [main] c.s.X : failed')!.format, 'tt-java');
    });

    it('a JSON line without a time key or a non-JSON brace line matches no format', () => {
      const parser = new LogLineParser(normalizeRawConfig());
      assert.equal(parser.parse('a', '{"msg":"no time"}'), null);
      assert.equal(parser.parse('a', '{not json'), null);
      assert.equal(parser.parse('a', '{"ts":"not a time","msg":"x"}'), null);
    });

    it('readLogLines counts the lines each format matched', async () => {
      const file = writeLogs({
        java: ['2022-04-17 21:21:05.123  INFO 1 --- [m] c.X : ok', '2022-04-17 21:21:06.123  INFO 1 --- [m] c.X : ok'],
        go: ['{"ts":1704164645,"msg":"a"}', 'ts=2024-01-02T03:04:05Z msg=b'],
      });
      const counts: Record<string, number> = {};
      const skips = new SkipCollector();
      const lines: LogLine[] = [];
      for await (const l of readLogLines(file, normalizeRawConfig(), skips, counts)) lines.push(l);
      assert.equal(lines.length, 4);
      assert.deepEqual(counts, { 'tt-java': 2, 'json-lines': 1, logfmt: 1 });
    });

    it('parseLogfmt: quoted values with escapes, bare keys, first value of a repeated key', () => {
      const m = parseLogfmt('a=1 b="x y" c="q\\"q" flag a=2 d=');
      assert.deepEqual([...m!.entries()], [['a', '1'], ['b', 'x y'], ['c', 'q"q'], ['flag', ''], ['d', '']]);
      assert.equal(parseLogfmt('   '), null);
    });
  });
});
