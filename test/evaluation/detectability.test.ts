import { strict as assert } from 'node:assert';
import { EadroError } from '../../src/core/errors.js';
import { detectabilityCeiling, EVIDENCE, flaggedByContext, flaggedByEvidence, NORMAL_CONTEXT, normalWindowContext, windowEvidence, type RecordedFault } from '../../src/evaluation/detectability.js';

// Two services; a network fault on b over [100, 130) with symptoms in its seconds 3 and 20, i.e. in
// [103, 104) and [120, 121); a CPU hog on a over [200, 220), every second marked.
const faults: RecordedFault[] = [
  { service: 'b', type: 'network_delay', start: 100, duration: 30, symptomSeconds: [3, 20] },
  { service: 'a', type: 'cpu_exhaustion', start: 200, duration: 20, symptomSeconds: Array.from({ length: 20 }, (_, k) => k) },
];
const nodes = ['a', 'b'];
const T = 10;
// Windows [start, start + 10): normal, b-faulty ones at 95, 104, 110, 121, 125, an a-faulty one at 205.
const starts = [50, 95, 104, 110, 121, 125, 205];
const labels = [-1, 1, 1, 1, 1, 1, 0];

describe('evaluation/detectability', () => {
  it('marks each faulty window by whether a symptom second of its fault lies inside it', () => {
    const ev = windowEvidence({ starts, labels, nodes, T }, faults);
    // 95: [95,105) holds [103,104) -> symptom. 104: [104,114) holds neither -> silent (second 3 ended at 104).
    // 110: [110,120) -> silent (second 20 starts at 120). 121: [121,131) -> silent. 125: silent. 205: hog -> symptom.
    assert.deepEqual(Array.from(ev), [EVIDENCE.normal, EVIDENCE.symptom, EVIDENCE.silent, EVIDENCE.silent, EVIDENCE.silent, EVIDENCE.silent, EVIDENCE.symptom]);
    // Window [111, 121) holds [120, 121).
    assert.deepEqual(Array.from(windowEvidence({ starts: [111], labels: [1], nodes, T }, faults)), [EVIDENCE.symptom]);
  });

  it('picks the fault on the culprit that overlaps the window most', () => {
    // Two faults on b: [0, 12) silent and [12, 40) with a symptom at second 0 ([12, 13)); window [5, 15)
    // overlaps the first by 7 s and the second by 3 s, so it is judged by the first: silent.
    const two: RecordedFault[] = [
      { service: 'b', type: 'packet_loss', start: 0, duration: 12, symptomSeconds: [] },
      { service: 'b', type: 'packet_loss', start: 12, duration: 28, symptomSeconds: [0] },
    ];
    assert.deepEqual(Array.from(windowEvidence({ starts: [5, 8], labels: [1, 1], nodes, T }, two)), [EVIDENCE.silent, EVIDENCE.symptom]);
  });

  it('judges windows by one source: a fault whose symptoms do not show in it is silent there', () => {
    // An exception on b over [100, 130), symptoms in its seconds 3 and 20, shown in logs and traces only;
    // a hog on a shown in KPIs; a fault without recorded sources counts as shown everywhere.
    const bySource: RecordedFault[] = [
      { service: 'b', type: 'exception', start: 100, duration: 30, symptomSeconds: [3, 20], symptomSources: ['logs', 'traces'] },
      { service: 'a', type: 'cpu_exhaustion', start: 200, duration: 20, symptomSeconds: Array.from({ length: 20 }, (_, k) => k), symptomSources: ['kpis'] },
    ];
    const w = { starts: [95, 104, 205], labels: [1, 1, 0], nodes, T };
    assert.deepEqual(Array.from(windowEvidence(w, bySource)), [EVIDENCE.symptom, EVIDENCE.silent, EVIDENCE.symptom]);
    assert.deepEqual(Array.from(windowEvidence(w, bySource, 'logs')), [EVIDENCE.symptom, EVIDENCE.silent, EVIDENCE.silent]);
    assert.deepEqual(Array.from(windowEvidence(w, bySource, 'kpis')), [EVIDENCE.silent, EVIDENCE.silent, EVIDENCE.symptom]);
    assert.deepEqual(Array.from(windowEvidence(w, faults, 'kpis')), [EVIDENCE.symptom, EVIDENCE.silent, EVIDENCE.symptom]);
  });

  it('computes the ceiling: F1 of flagging exactly the windows with a symptom', () => {
    const ev = windowEvidence({ starts, labels, nodes, T }, faults);
    const c = detectabilityCeiling(ev, [0, 1, 2, 3, 6]);
    // 1 normal, 2 with a symptom, 2 silent: prevalence 4/5, recall 2/4.
    assert.deepEqual({ windows: c.windows, faulty: c.faulty, withSymptom: c.withSymptom, silent: c.silent }, { windows: 5, faulty: 4, withSymptom: 2, silent: 2 });
    assert.ok(Math.abs(c.prevalence - 0.8) < 1e-12);
    assert.ok(Math.abs(c.allAnomalousF1 - (2 * 0.8) / 1.8) < 1e-12);
    assert.ok(Math.abs(c.ceilingRecall - 0.5) < 1e-12);
    assert.ok(Math.abs(c.ceilingF1 - 2 / 3) < 1e-12);
  });

  it('splits a detector\'s flags by evidence', () => {
    const ev = windowEvidence({ starts, labels, nodes, T }, faults);
    const shares = flaggedByEvidence(ev, [0, 1, 2, 3, 6], [true, true, false, true, true]);
    assert.deepEqual(shares, { normal: 1, symptom: 1, silent: 0.5 });
    assert.deepEqual(flaggedByEvidence(ev, [2], [false]), { normal: null, symptom: null, silent: 0 });
    assert.throws(() => flaggedByEvidence(ev, [0, 1], [true]), /windows\/flagged/);
  });

  it('classes normal windows by the distractors inside them; a job wins over a neighbour; faulty windows are left out', () => {
    // Windows [s, s + 10): 0 clean, 10 meets the job [15, 30), 30 meets only the neighbour [35, 50),
    // 40 meets both a job [45, 46) and the neighbour, 60 is faulty (inside the job [55, 70) too), 70 clean
    // (the job ended at 70: [start, end) is half-open).
    const starts2 = [0, 10, 30, 40, 60, 70];
    const labels2 = [-1, -1, -1, -1, 1, -1];
    const d = { jobs: [{ start: 15, end: 30 }, { start: 45, end: 46 }, { start: 55, end: 70 }], neighbours: [{ start: 35, end: 50 }] };
    const ctx = normalWindowContext({ starts: starts2, labels: labels2, T }, d);
    assert.deepEqual(Array.from(ctx), [NORMAL_CONTEXT.clean, NORMAL_CONTEXT.job, NORMAL_CONTEXT.neighbour, NORMAL_CONTEXT.job, NORMAL_CONTEXT.notNormal, NORMAL_CONTEXT.clean]);
    const f = flaggedByContext(ctx, [0, 1, 2, 3, 4, 5], [false, true, true, false, true, true]);
    assert.deepEqual(f, { clean: { windows: 2, flagged: 0.5 }, job: { windows: 2, flagged: 0.5 }, neighbour: { windows: 1, flagged: 1 } });
    assert.deepEqual(flaggedByContext(ctx, [4], [true]).clean, { windows: 0, flagged: null });
    assert.throws(() => flaggedByContext(ctx, [0, 1], [true]), /windows\/flagged/);
  });

  it('refuses faults that do not belong to the windows, naming the window', () => {
    assert.throws(
      () => windowEvidence({ starts: [300], labels: [1], nodes, T }, faults),
      (e: unknown) => e instanceof EadroError && /labels\[0\]/.test(e.message) && /overlaps no recorded fault/.test(e.message),
    );
    assert.throws(() => windowEvidence({ starts: [1, 2], labels: [1], nodes, T }, faults), /starts\/labels/);
  });
});
