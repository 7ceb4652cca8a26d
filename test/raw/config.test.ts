import { strict as assert } from 'node:assert';
import { EadroError } from '../../src/core/errors.js';
import { normalizeRawConfig, rawDefaults } from '../../src/raw/config.js';
import { SkipCollector } from '../../src/raw/skips.js';
import { thrown } from './errors.js';

describe('raw/config', () => {
  it('fills defaults: zero offsets, the 7 Eadro KPIs, TT and SN log formats', () => {
    const cfg = normalizeRawConfig();
    assert.deepEqual(cfg.offsets, { spans: 0, logs: 0, metrics: 0, records: 0 });
    assert.equal(cfg.metricColumns.length, 7);
    assert.deepEqual(cfg.logFormats.map((f) => f.name), ['tt-java', 'sn-cpp']);
    assert.equal(cfg.services, 'discover');
    assert.equal(cfg.onBadInput, 'error');
    assert.deepEqual(normalizeRawConfig({ offsets: { logs: 28800 } as never }).offsets, { spans: 0, logs: 28800, metrics: 0, records: 0 });
    assert.notEqual(normalizeRawConfig().metricColumns, rawDefaults.metricColumns); // a copy
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
