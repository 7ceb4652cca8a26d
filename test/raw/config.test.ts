import { strict as assert } from 'node:assert';
import { EadroError } from '../../src/core/errors.js';
import { eadroMetricColumns, normalizeRawConfig, rawDefaults } from '../../src/raw/config.js';
import { SkipCollector } from '../../src/raw/skips.js';
import { thrown } from './errors.js';

describe('raw/config', () => {
  it("fills defaults: zero offsets, 'auto' KPI columns, TT and SN log formats first, then common ones", () => {
    const cfg = normalizeRawConfig();
    assert.deepEqual(cfg.offsets, { spans: 0, logs: 0, metrics: 0, records: 0 });
    assert.equal(cfg.metricColumns, 'auto');
    assert.deepEqual(normalizeRawConfig({ metricColumns: [...eadroMetricColumns] }).metricColumns, eadroMetricColumns);
    assert.deepEqual(cfg.logFormats.map((f) => f.name), ['tt-java', 'sn-cpp', 'loki-tsv', 'iso8601', 'go-log', 'logfmt', 'loki-json', 'json-lines', 'epoch']);
    assert.deepEqual(cfg.logFormats.find((f) => f.name === 'json-lines')!.fields!.time, ['ts', 'time', 'timestamp', '@timestamp']);
    assert.equal(cfg.services, 'discover');
    assert.equal(cfg.onBadInput, 'error');
    assert.deepEqual(normalizeRawConfig({ offsets: { logs: 28800 } as never }).offsets, { spans: 0, logs: 28800, metrics: 0, records: 0 });
    const list = ['cpu', 'mem'];
    assert.notEqual(normalizeRawConfig({ metricColumns: list }).metricColumns, list); // a copy
    assert.notEqual(normalizeRawConfig().logFormats[6]!.fields, rawDefaults.logFormats[6]!.fields); // a copy
  });

  it('rejects bad fields, naming them', () => {
    assert.equal(thrown(() => normalizeRawConfig({ offsets: { spans: 'x' } as never })).details.field, 'offsets.spans');
    assert.equal(thrown(() => normalizeRawConfig({ offsets: { traces: 1 } as never })).details.field, 'offsets.traces');
    assert.equal(thrown(() => normalizeRawConfig({ logFormats: [{ name: 'a', pattern: '^(?<ts>.*)$', timestamp: 'java' }] })).details.field, 'logFormats[0].pattern');
    assert.equal(thrown(() => normalizeRawConfig({ logFormats: [{ name: 'a', pattern: '(?<ts>(?<msg>', timestamp: 'java' }] })).details.field, 'logFormats[0].pattern');
    assert.equal(thrown(() => normalizeRawConfig({ metricIntervalSeconds: 0 })).details.field, 'metricIntervalSeconds');
    assert.equal(thrown(() => normalizeRawConfig({ services: [] })).details.field, 'services');
    assert.equal(thrown(() => normalizeRawConfig({ containerPattern: '^(.*)$' })).details.field, 'containerPattern');
    assert.equal(thrown(() => normalizeRawConfig({ onBadInput: 'ignore' as never })).details.field, 'onBadInput');
    assert.equal(thrown(() => normalizeRawConfig({ metricColumn: ['cpu'] } as never)).details.field, 'metricColumn');
    assert.equal(thrown(() => normalizeRawConfig({ metricColumns: 'all' as never })).details.field, 'metricColumns');
    assert.equal(thrown(() => normalizeRawConfig({ metricColumns: [] })).details.field, 'metricColumns');
    // A structured format needs no ts/msg groups, but valid fields.
    const json = { name: 'j', pattern: '^\\{', timestamp: 'iso-or-epoch' as const };
    assert.equal(normalizeRawConfig({ logFormats: [{ ...json, fields: { syntax: 'json', time: ['t'], message: [] } }] }).logFormats[0]!.fields!.syntax, 'json');
    assert.equal(thrown(() => normalizeRawConfig({ logFormats: [{ ...json, fields: { syntax: 'xml' as never, time: ['t'], message: [] } }] })).details.field, 'logFormats[0].fields.syntax');
    assert.equal(thrown(() => normalizeRawConfig({ logFormats: [{ ...json, fields: { syntax: 'json', time: [], message: [] } }] })).details.field, 'logFormats[0].fields.time');
    assert.equal(thrown(() => normalizeRawConfig({ logFormats: [{ ...json, fields: { syntax: 'json', time: ['t'], message: [] }, timestamp: 'epoch-h' as never }] })).details.field, 'logFormats[0].timestamp');
  });

  it('SkipCollector counts per file and reason and keeps the first example', () => {
    const s = new SkipCollector();
    s.add('a.json', 'dup', 'first');
    s.add('a.json', 'dup', 'second');
    s.add('b.json', 'dup');
    s.addMany('a.json', 'filled', 59);
    assert.equal(s.total(), 62);
    assert.deepEqual(s.reports(), [
      { file: 'a.json', reason: 'dup', count: 2, example: 'first' },
      { file: 'b.json', reason: 'dup', count: 1 },
      { file: 'a.json', reason: 'filled', count: 59 },
    ]);
  });
});
