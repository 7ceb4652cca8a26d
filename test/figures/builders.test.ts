import { strict as assert } from 'node:assert';
import { EadroError } from '../../src/core/errors.js';
import { markdownTable } from '../../src/figures/markdown.js';
import {
  assignPhases, faultLabelDefaults, kpiUnderFaultFigure, labelRows, summarizeByPhase, latencyUnderFaultsFigure, logEventOccurrenceFigure, NORMAL_PHASE, type FaultInterval,
} from '../../src/figures/motivation.js';
import { rankingFigure, rankServices } from '../../src/figures/ranking.js';
import { categoryColors, deltaE, distinctPalette, distinctPaletteDefaults, figureStyleDefaults, hexToLab } from '../../src/figures/style.js';
import { tsneFigure } from '../../src/figures/tsne-figure.js';

const faults: FaultInterval[] = [
  { fault: 'network delay', startSeconds: 10, endSeconds: 20 },
  { fault: 'CPU exhaustion', startSeconds: 30, endSeconds: 40 },
];

describe('figures/motivation', () => {
  it('assigns each time to the fault interval holding it, [start, end)', () => {
    assert.deepEqual(assignPhases([0, 10, 19.9, 20, 35, 40], faults), [
      NORMAL_PHASE, 'network delay', 'network delay', NORMAL_PHASE, 'CPU exhaustion', NORMAL_PHASE,
    ]);
  });

  it('Fig. 2: one marker trace per phase, faults as stars, intervals shaded and labelled', () => {
    const fig = latencyUnderFaultsFigure({
      callee: 'travel', faults,
      invocations: { timeSeconds: [1, 2, 12, 15, 33, 50], values: [20, 22, 300, 280, 21, 19] },
    });
    assert.deepEqual(fig.data.map((t) => t.name), ['normal', 'during CPU exhaustion', 'during network delay']);
    const byName = new Map(fig.data.map((t) => [t.name, t]));
    assert.deepEqual(byName.get('normal')!.y, [20, 22, 19]);
    assert.deepEqual(byName.get('during network delay')!.x, [12, 15]);
    assert.equal(byName.get('during network delay')!.marker!['symbol'], 'star');
    assert.equal(byName.get('normal')!.marker!['color'], figureStyleDefaults.normalColor);
    const shapes = fig.layout['shapes'] as { x0: number; x1: number }[];
    assert.deepEqual(shapes.map((s) => [s.x0, s.x1]), [[10, 20], [30, 40]]);
    assert.deepEqual((fig.layout['annotations'] as { text: string }[]).map((a) => a.text), ['network delay', 'CPU exhaustion']);
    assert.match(JSON.stringify(fig.layout['yaxis']), /latency \(ms\)/);
    assert.match(JSON.stringify(fig.layout['xaxis']), /time \(s\)/);
  });

  it('Figs. 3 and 4: a single line with the axis naming the quantity', () => {
    const log = logEventOccurrenceFigure({ service: 'route', eventTemplate: 'Route id: <*>', faults, occurrences: { timeSeconds: [0, 10, 20], values: [40, 5, 38] } });
    assert.equal(log.data.length, 1);
    assert.deepEqual(log.data[0]!.y, [40, 5, 38]);
    assert.match(JSON.stringify(log.layout['title']), /Route id: <\*>/);
    const kpi = kpiUnderFaultFigure({ service: 'payment', kpi: 'total CPU usage', unit: '%', faults, samples: { timeSeconds: [0, 1], values: [20, 90] } });
    assert.equal(kpi.data[0]!.mode, 'lines');
    assert.match(JSON.stringify(kpi.layout['yaxis']), /total CPU usage \(%\)/);
  });

  it('summarises values per phase: count, nearest-rank median and p95, mean', () => {
    const rows = summarizeByPhase({ timeSeconds: [0, 1, 2, 12, 13, 31], values: [10, 30, 20, 300, 100, 25] }, faults);
    assert.deepEqual(rows, [
      { phase: NORMAL_PHASE, count: 3, median: 20, p95: 30, mean: 20 },
      { phase: 'network delay', count: 2, median: 100, p95: 300, mean: 200 },
      { phase: 'CPU exhaustion', count: 1, median: 25, p95: 25, mean: 25 },
    ]);
  });

  it('rejects mismatched lengths and inverted intervals, naming the field', () => {
    assert.throws(
      () => latencyUnderFaultsFigure({ callee: 'x', faults, invocations: { timeSeconds: [1, 2], values: [1] } }, 'spans.json'),
      (e: unknown) => e instanceof EadroError && /invocations/.test(e.message) && /spans\.json/.test(e.message),
    );
    assert.throws(
      () => kpiUnderFaultFigure({ service: 's', kpi: 'k', unit: '%', samples: { timeSeconds: [1], values: [1] }, faults: [{ fault: 'f', startSeconds: 5, endSeconds: 5 }] }),
      (e: unknown) => e instanceof EadroError && /faults\[0\]/.test(e.message),
    );
  });
});

describe('figures/ranking', () => {
  it('ranks by probability, ties in input order', () => {
    assert.deepEqual(rankServices(['a', 'b', 'c', 'd'], [0.1, 0.4, 0.1, 0.4]).map((r) => `${r.rank}${r.service}`), ['1b', '2d', '3a', '4c']);
  });

  it('draws the top-K top-down with the true culprit highlighted', () => {
    const fig = rankingFigure({ services: ['a', 'b', 'c'], probabilities: [0.2, 0.7, 0.1], trueCulprit: 'a', topK: 2 });
    const bar = fig.data[0]!;
    assert.equal(bar.type, 'bar');
    assert.equal(bar.orientation, 'h');
    // Plotly draws the first category at the bottom, so the list is reversed: rank 1 last.
    assert.deepEqual(bar.y, ['2. a', '1. b']);
    assert.deepEqual(bar.x, [0.2, 0.7]);
    assert.deepEqual(bar.marker!['color'], [figureStyleDefaults.highlightColor, figureStyleDefaults.palette[0]]);
    assert.match(JSON.stringify(fig.layout['title']), /true culprit: a \(highlighted\)/);
    const missed = rankingFigure({ services: ['a', 'b', 'c'], probabilities: [0.2, 0.7, 0.1], trueCulprit: 'c', topK: 2 });
    assert.match(JSON.stringify(missed.layout['title']), /not in the top 2/);
  });

  it('rejects negative or non-finite probabilities', () => {
    assert.throws(() => rankServices(['a'], [-0.1]), (e: unknown) => e instanceof EadroError && /probabilities\[0\]/.test(e.message));
  });
});

describe('figures/tsne-figure', () => {
  const panels = [
    { variant: 'Eadro', points: [[0, 0], [0, 1], [9, 9], [9, 8]], rootCauses: ['x', 'x', 'y', 'y'] },
    { variant: 'w/o logs', points: [[0, 0], [9, 9], [0, 1], [9, 8]], rootCauses: ['x', 'x', 'y', 'y'] },
  ];

  it('draws one panel per variant on its own axes, one legend entry per root cause', () => {
    const fig = tsneFigure({ panels });
    assert.deepEqual(fig.data.map((t) => `${t.xaxis}/${t.yaxis}/${t.name}/${t.showlegend}`), [
      'x/y/x/true', 'x/y/y/true', 'x2/y2/x/false', 'x2/y2/y/false',
    ]);
    const d1 = (fig.layout['xaxis'] as { domain: number[] }).domain;
    const d2 = (fig.layout['xaxis2'] as { domain: number[] }).domain;
    assert.ok(d1[1]! < d2[0]!, 'panels do not overlap');
    assert.equal((fig.layout['yaxis2'] as { anchor: string }).anchor, 'x2');
    const colours = new Map(fig.data.map((t) => [t.name, t.marker!['color']]));
    assert.notEqual(colours.get('x'), colours.get('y'));
  });

  it('puts the leave-one-out 1-NN accuracy in each panel title', () => {
    const titles = (tsneFigure({ panels }).layout['annotations'] as { text: string }[]).map((a) => a.text);
    assert.match(titles[0]!, /Eadro.*1-NN accuracy 1\.00 \(n=4\)/);
    assert.match(titles[1]!, /w\/o logs.*1-NN accuracy 0\.00/);
  });

  it('rejects points without a root cause each', () => {
    assert.throws(() => tsneFigure({ panels: [{ variant: 'v', points: [[0, 0]], rootCauses: [] }] }), (e: unknown) => e instanceof EadroError && /rootCauses/.test(e.message));
  });
});

describe('figures/markdown', () => {
  it('formats a table with right-aligned numbers and escaped pipes', () => {
    assert.equal(
      markdownTable(['service', 'p'], [['a|b', 0.12345], ['c', 1]]),
      ['| service | p |', '| --- | ---: |', '| a\\|b | 0.123 |', '| c | 1 |'].join('\n'),
    );
  });
});

describe('figures: labels and colours a reader can tell apart', () => {
  it('fault labels never overlap: close bands go to separate rows, far ones share a row', () => {
    // Nine faults 20 s apart on a 600 s axis: each label is wider than the gap.
    const faults = Array.from({ length: 9 }, (_, i) => ({ fault: `network delay (ts-service-${i})`, startSeconds: 100 + 20 * i, endSeconds: 160 + 20 * i }));
    const xRange: [number, number] = [0, 600];
    const rows = labelRows(faults, xRange);
    const width = (f: { fault: string }): number => f.fault.length * faultLabelDefaults.charWidthShare * 600;
    for (let i = 0; i < faults.length; i++) {
      for (let j = i + 1; j < faults.length; j++) {
        if (rows[i] !== rows[j]) continue;
        const ci = (faults[i]!.startSeconds + faults[i]!.endSeconds) / 2;
        const cj = (faults[j]!.startSeconds + faults[j]!.endSeconds) / 2;
        assert.ok(Math.abs(ci - cj) >= (width(faults[i]!) + width(faults[j]!)) / 2, `labels ${i} and ${j} overlap in row ${rows[i]}`);
      }
    }
    assert.ok(Math.max(...rows) >= 1, 'they needed more than one row');
    assert.deepEqual(labelRows([faults[0]!, { ...faults[1]!, startSeconds: 500, endSeconds: 560 }], xRange), [0, 0], 'far apart: one row');
  });

  it('a figure labels only the faults on its own service; the others are grey, unlabelled context', () => {
    const fig = kpiUnderFaultFigure({
      service: 'svc-a', kpi: 'cpu', unit: '%',
      samples: { timeSeconds: [0, 10, 20, 30], values: [1, 2, 50, 1] },
      faults: [{ fault: 'cpu exhaustion (svc-a)', startSeconds: 15, endSeconds: 25 }, { fault: 'network delay (svc-b)', startSeconds: 5, endSeconds: 12, context: true }],
    });
    const layout = fig.layout as { annotations: { text: string }[]; shapes: { fillcolor: string }[] };
    const texts = layout.annotations.map((a) => a.text);
    assert.ok(texts.includes('cpu exhaustion (svc-a)'));
    assert.ok(!texts.includes('network delay (svc-b)'));
    assert.ok(texts.some((t) => /grey bands: faults on other services/.test(t)));
    assert.equal(layout.shapes[1]!.fillcolor, figureStyleDefaults.normalColor);
  });

  it('categorical colours stay distinct for up to 30 categories (27 TT services)', () => {
    for (const n of [12, 27, 30]) {
      const p = distinctPalette(n);
      assert.equal(new Set(p).size, n);
      let min = Infinity;
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) min = Math.min(min, deltaE(p[i]!, p[j]!));
      assert.ok(min > 25, `n = ${n}: closest pair ΔE ${min.toFixed(1)}`);
      for (const c of p) assert.ok(hexToLab(c)[0] <= distinctPaletteDefaults.maxLightness, `${c} readable on white`);
    }
    const colours = [...categoryColors(Array.from({ length: 12 }, (_, i) => `svc${i}`)).values()];
    assert.equal(new Set(colours).size, 12, "Fig. 7's 12 SN root causes: no colour twice");
    assert.ok(Math.abs(deltaE('#FFFFFF', '#000000') - 100) < 1e-6, 'ΔE of white and black is 100');
  });
});

