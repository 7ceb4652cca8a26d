/** Confounders: drawn deterministically, recorded in testbed.json, and visible in the data. */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { createRng } from '../../src/core/rng.js';
import { assignHosts, confounderDefaults, drawConfounders, loadFactor } from '../../src/testbed/confounders.js';
import { mean, readMetric } from './helpers.js';
import { tinyData } from './fixtures.js';

describe('testbed confounders', function () {
  this.timeout(120_000);

  it('hosts hold about servicesPerHost services each; draws are seeded', () => {
    const hosts = assignHosts(27, createRng(1).fork('hosts'));
    const count = Math.max(...hosts) + 1;
    assert.equal(count, Math.round(27 / confounderDefaults.servicesPerHost));
    assert.deepEqual(hosts, assignHosts(27, createRng(1).fork('hosts')));
    const a = drawConfounders(27, count, 0, 36_000, createRng(2));
    const b = drawConfounders(27, count, 0, 36_000, createRng(2));
    assert.deepEqual(a, b);
    // 10 h x 27 services x jobsPerServiceHour jobs expected; Poisson, so within a generous band.
    const expected = 10 * 27 * confounderDefaults.jobsPerServiceHour;
    assert.ok(a.jobs.length > 0.7 * expected && a.jobs.length < 1.3 * expected, `${a.jobs.length} jobs vs ${expected}`);
    for (let t = 0; t < 86_400; t += 997) {
      const f = loadFactor(a, t);
      assert.ok(f > 0.5 && f < 1.6, `load factor ${f}`);
    }
  });

  it('background jobs listed in testbed.json raise their service CPU while they run', async () => {
    const data = await tinyData('tt');
    let checked = 0;
    for (const run of data.manifest.runs) {
      for (const job of run.distractors.jobs) {
        if (job.end - job.start < 20 || job.cpuPercent < 30) continue;
        const series = readMetric(path.join(data.root, run.dir), job.service, 'cpu_usage_total');
        const inside = series.filter(([t]) => t >= Math.ceil(job.start) && t < Math.floor(job.end)).map(([, v]) => v);
        const outside = series.filter(([t]) => t < job.start - 1 || t > job.end + 1).map(([, v]) => v);
        assert.ok(mean(inside) > mean(outside) + 0.5 * job.cpuPercent, `${job.service} ${job.name}: ${mean(inside)} vs ${mean(outside)}`);
        checked++;
      }
    }
    assert.ok(checked >= 1, 'tiny data holds at least one sizeable background job');
  });

  it("a job's extra CPU is partly system time, a CPU hog's nearly all user time (the KPI that tells them apart)", async () => {
    const data = await tinyData('tt');
    // Extra user share = (user inside - user outside) / (total inside - total outside), per interval.
    const extraUserShare = (runDir: string, service: string, start: number, end: number): number => {
      const user = readMetric(runDir, service, 'cpu_usage_user');
      const total = readMetric(runDir, service, 'cpu_usage_total');
      const pick = (series: Array<[number, number]>, inside: boolean): number[] =>
        series.filter(([t]) => (inside ? t >= Math.ceil(start) && t < Math.floor(end) : t < start - 1 || t > end + 1)).map(([, v]) => v);
      return (mean(pick(user, true)) - mean(pick(user, false))) / (mean(pick(total, true)) - mean(pick(total, false)));
    };
    const jobShares: number[] = [];
    const hogShares: number[] = [];
    for (const run of data.manifest.runs) {
      const dir = path.join(data.root, run.dir);
      for (const job of run.distractors.jobs) if (job.end - job.start >= 20 && job.cpuPercent >= 30) jobShares.push(extraUserShare(dir, job.service, job.start, job.end));
      for (const f of run.faults) if (f.type === 'cpu_exhaustion') hogShares.push(extraUserShare(dir, f.service, f.start, f.start + f.duration));
    }
    assert.ok(jobShares.length >= 1 && hogShares.length >= 1);
    // kpiDefaults: hogs 0.97 user, jobs 0.6; load and noise blur each interval a little.
    for (const x of hogShares) assert.ok(x > 0.9, `hog user share ${x}`);
    for (const x of jobShares) assert.ok(x < 0.75, `job user share ${x}`);
  });
});
