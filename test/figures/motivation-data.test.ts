import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EadroError } from '../../src/core/errors.js';
import { loadMotivationData, type MotivationData } from '../../src/figures/motivation-data.js';
import { summarizeByPhase } from '../../src/figures/motivation.js';
import { simulate } from '../../src/testbed/index.js';

describe('figures/motivation-data (testbed telemetry)', function () {
  this.timeout(180_000);
  let root = '';
  let data: MotivationData;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-motivation-'));
    await simulate({ system: 'tt', profile: 'tiny', seed: 0, out: root });
    data = await loadMotivationData(root);
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('picks the fault run with the most injections into the callee and shows its faults', () => {
    const record = JSON.parse(fs.readFileSync(path.join(root, 'data', `${data.run}.json`), 'utf8')) as { start: number; faults: { name: string; start: number; duration: number }[] };
    const intoCallee = record.faults.filter((f) => f.name.includes('ts-travel-service')).length;
    for (const file of fs.readdirSync(path.join(root, 'data')).filter((f) => f.endsWith('.json'))) {
      const other = JSON.parse(fs.readFileSync(path.join(root, 'data', file), 'utf8')) as { faults: { name: string }[] };
      assert.ok(other.faults.filter((f) => f.name.includes('ts-travel-service')).length <= intoCallee);
    }
    assert.deepEqual(
      data.latency.faults.map((f) => [f.startSeconds, f.endSeconds]),
      record.faults.map((f) => [f.start - record.start, f.start + f.duration - record.start]),
    );
    assert.equal(data.skipped, 0);
  });

  it('Fig. 2 input holds the callee spans; their latency stands out under network delay, not CPU exhaustion', () => {
    assert.ok(data.latency.invocations.values.length > 50);
    const rows = new Map(summarizeByPhase(data.latency.invocations, data.latency.faults).map((r) => [r.phase, r]));
    const normal = rows.get('normal')!.median;
    const delay = [...rows.entries()].find(([p]) => p.startsWith('network delay (ts-travel-service)'));
    const cpu = [...rows.entries()].find(([p]) => p.startsWith('cpu exhaustion (ts-travel-service)'));
    assert.ok(delay !== undefined && cpu !== undefined, 'the chosen run injects both into the callee');
    assert.ok(delay[1].median > 3 * normal, `network delay median ${delay[1].median} ms vs normal ${normal} ms`);
    assert.ok(cpu[1].median < 1.5 * normal, `CPU exhaustion median ${cpu[1].median} ms vs normal ${normal} ms`);
  });

  it('Figs. 3-4 inputs: per-bin event counts and the CPU of the exhausted service', () => {
    const bins = data.logEvent.occurrences.timeSeconds;
    assert.deepEqual(bins.slice(0, 3), [0, 10, 20]);
    assert.ok(data.logEvent.occurrences.values.reduce((a, b) => a + b, 0) > 0);
    assert.equal(data.kpi.service, 'ts-travel-service');
    const rows = summarizeByPhase(data.kpi.samples, data.kpi.faults);
    const cpu = rows.find((r) => r.phase.startsWith('cpu exhaustion'))!;
    assert.ok(cpu.median > 5 * rows.find((r) => r.phase === 'normal')!.median, 'CPU usage is high under CPU exhaustion');
  });

  it('names the runs when asked for one that does not exist', async () => {
    await assert.rejects(loadMotivationData(root, { run: 'no-such-run' }), (e: unknown) => e instanceof EadroError && /no-such-run/.test(e.message) && e.message.includes(data.run));
  });
});
