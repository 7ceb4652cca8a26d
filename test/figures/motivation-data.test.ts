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

  /** The fault record of a run folder (names are container names: `<system>_<service>_1`). */
  const recordOf = (run: string) => JSON.parse(fs.readFileSync(path.join(root, 'data', `${run}.json`), 'utf8')) as { start: number; faults: { name: string; fault?: string; start: number; duration: number }[] };

  it('each figure shows a run and a stretch holding the fault its caption names, on the plotted service', () => {
    const claims: [keyof MotivationData['focus'], string, string[]][] = [
      ['latency', data.latency.callee, ['network_delay']],
      ['logEvent', data.logEvent.service, ['network_delay', 'packet_loss']],
      ['kpi', data.kpi.service, ['cpu_exhaustion']],
    ];
    for (const [figure, service, types] of claims) {
      const focus = data.focus[figure];
      assert.equal(focus.fault.service, service, figure);
      assert.ok(types.includes(focus.fault.type), `${figure}: ${focus.fault.type}`);
      assert.ok(focus.fault.startSeconds >= focus.window.startSeconds && focus.fault.endSeconds <= focus.window.endSeconds, `${figure}: the fault lies in the stretch shown`);
      // The record says so too (ground truth, not the figure's own bookkeeping).
      const rec = recordOf(focus.run);
      assert.ok(rec.faults.some((f) => f.name.includes(service) && Math.abs(f.start - rec.start - focus.fault.startSeconds) < 1e-6), `${figure}: in ${focus.run}'s record`);
      // The labelled bands are the plotted service's faults; the others are unlabelled context.
      const faults = data[figure].faults;
      assert.ok(faults.some((f) => f.context !== true && f.fault.includes(types.includes('cpu_exhaustion') ? 'cpu exhaustion' : 'network') && f.fault.includes(service)));
      for (const f of faults) assert.equal(f.context === true, !f.fault.includes(`(${service})`), f.fault);
    }
    const times = [...data.latency.invocations.timeSeconds, ...data.kpi.samples.timeSeconds];
    assert.ok(times.length > 0);
    for (const t of data.latency.invocations.timeSeconds) assert.ok(t >= data.focus.latency.window.startSeconds && t < data.focus.latency.window.endSeconds);
    assert.equal(data.skipped, 0);
  });

  it('Fig. 2: the callee\'s latency stands out under network delay, not under CPU exhaustion', () => {
    assert.ok(data.latency.invocations.values.length > 50);
    const rows = new Map(summarizeByPhase(data.latency.invocations, data.latency.faults.filter((f) => f.context !== true)).map((r) => [r.phase, r]));
    const normal = rows.get('normal')!.median;
    const delay = [...rows.entries()].find(([p]) => p.startsWith('network delay (ts-travel-service)'));
    const cpu = [...rows.entries()].find(([p]) => p.startsWith('cpu exhaustion (ts-travel-service)'));
    assert.ok(delay !== undefined && cpu !== undefined, 'the chosen run injects both into the callee (preferred when one exists)');
    assert.ok(delay[1].median > 3 * normal, `network delay median ${delay[1].median} ms vs normal ${normal} ms`);
    assert.ok(cpu[1].median < 1.5 * normal, `CPU exhaustion median ${cpu[1].median} ms vs normal ${normal} ms`);
  });

  it('Fig. 3: the event drops during the network fault on its service (here a stand-in: no run faults the paper\'s route service)', () => {
    assert.notEqual(data.logEvent.service, 'ts-route-service', 'the tiny schedule has no network fault on ts-route-service');
    assert.match(data.logEvent.eventTemplate, /\S/);
    const f = data.focus.logEvent.fault;
    const during: number[] = [];
    const outside: number[] = [];
    data.logEvent.occurrences.timeSeconds.forEach((t, i) => {
      const v = data.logEvent.occurrences.values[i]!;
      if (t >= f.startSeconds && t + 10 <= f.endSeconds) during.push(v);
      else if (t + 10 <= f.startSeconds || t >= f.endSeconds) outside.push(v);
    });
    const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;
    assert.ok(during.length > 0 && outside.length > 0);
    assert.ok(mean(during) < mean(outside), `during ${mean(during).toFixed(2)} vs outside ${mean(outside).toFixed(2)} per bin`);
  });

  it('Fig. 4: the CPU of a service under CPU exhaustion, high during it', () => {
    assert.equal(data.focus.kpi.fault.type, 'cpu_exhaustion');
    const rows = summarizeByPhase(data.kpi.samples, data.kpi.faults.filter((f) => f.context !== true));
    const cpu = rows.find((r) => r.phase.startsWith('cpu exhaustion'))!;
    assert.ok(cpu.median > 5 * rows.find((r) => r.phase === 'normal')!.median, 'CPU usage is high under CPU exhaustion');
  });

  it('names the runs when asked for one that does not exist', async () => {
    await assert.rejects(loadMotivationData(root, { run: 'no-such-run' }), (e: unknown) => e instanceof EadroError && /no-such-run/.test(e.message) && e.message.includes(data.run));
  });
});
