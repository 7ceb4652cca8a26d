/** The naive localizer on hand-made raw data with known answers. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EADRO_KPIS, naiveHitRate, naiveLocalize } from '../../src/testbed/index.js';
import { serviceOfContainer } from '../../src/testbed/naive-localizer.js';
import { tmpDir } from './helpers.js';

/** A run of 6 s: fault on `b` during seconds 3..5; `a` flat-noisy, `b`'s cpu jumps, `c` has slow spans. */
function makeRun(root: string): void {
  const run = path.join(root, 'data', 'r1');
  fs.mkdirSync(path.join(run, 'metrics'), { recursive: true });
  const t0 = 1000;
  const header = `timestamp,${EADRO_KPIS.join(',')},memory_cache`;
  const row = (t: number, cpu: number) => `${t},${EADRO_KPIS.map((k) => (k === 'cpu_usage_total' ? cpu : 10)).join(',')},0`;
  const series: Record<string, number[]> = { a: [1, 2, 3, 2, 1, 2], b: [1, 2, 3, 5, 5, 5], c: [4, 4, 4, 4, 4, 4] };
  for (const [svc, cpu] of Object.entries(series)) {
    fs.writeFileSync(path.join(run, 'metrics', `${svc}.csv`), [header, ...cpu.map((v, i) => row(t0 + i, v))].join('\n') + '\n');
  }
  // c's spans: before 10,20,30 us (mean 20, sd 10); during 40,40,40 -> z = 2 (below b's 3).
  const spans = [10, 20, 30, 40, 40, 40].map((d, i) => ({
    traceID: `t${i}`,
    spans: [{ traceID: `t${i}`, spanID: 's', references: [], startTime: (t0 + i) * 1e6, duration: d, processID: 'p1', tags: [] }],
    processes: { p1: { serviceName: 'c' } },
  }));
  fs.writeFileSync(path.join(run, 'spans.json'), JSON.stringify(spans));
  fs.writeFileSync(path.join(run, 'logs.json'), '{}');
  fs.writeFileSync(path.join(root, 'data', 'r1.json'), JSON.stringify({ start: t0, end: t0 + 6, faults: [{ name: 'prefix_b_1', fault: 'cpu_exhaustion', start: t0 + 3, duration: 3 }] }));
}

describe('testbed naive localizer', () => {
  it('scores |mean(during) - mean(before)| / sd(before) per series and ranks by the best series', () => {
    const root = tmpDir('naive');
    makeRun(root);
    const [r] = naiveLocalize(path.join(root, 'data', 'r1'), path.join(root, 'data', 'r1.json'));
    assert.equal(r!.service, 'b');
    assert.deepEqual(r!.ranking.map((x) => x.service), ['b', 'c', 'a']);
    assert.equal(r!.ranking[0]!.series, 'cpu_usage_total');
    assert.ok(Math.abs(r!.ranking[0]!.score - 3) < 1e-9); // before 1,2,3: mean 2, sd 1; during 5
    assert.equal(r!.ranking[1]!.series, 'latency');
    assert.ok(Math.abs(r!.ranking[1]!.score - 2) < 1e-9);
    assert.ok(r!.ranking[2]!.score < 1e-9 + 0.5);
    const hr = naiveHitRate(root);
    assert.equal(hr.hr1, 1);
    assert.deepEqual(hr.byType['cpu_exhaustion'], { faults: 1, hits: 1, hr1: 1 });
  });

  it('maps container names to the longest service name they contain', () => {
    const services = ['ts-order-service', 'ts-order-other-service', 'user-service', 'user-timeline-service'];
    assert.equal(serviceOfContainer('train-ticket_ts-order-other-service_1', services), 'ts-order-other-service');
    assert.equal(serviceOfContainer('socialnetwork-user-timeline-service-1', services), 'user-timeline-service');
    assert.equal(serviceOfContainer('nothing', services), null);
  });
});
