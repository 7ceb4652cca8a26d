import { strict as assert } from 'node:assert';
import { createRng } from '../../src/core/rng.js';
import { EadroError } from '../../src/core/errors.js';
import {
  bordaRanking,
  countAlarms,
  episodeMetrics,
  runOfEpisodeKey,
  unionSeconds,
  type EpisodeWindows,
} from '../../src/evaluation/episode-metrics.js';

const close = (a: number | null | undefined, b: number, msg?: string): void => {
  assert.ok(a !== null && a !== undefined, `${msg ?? 'value'} is null`);
  assert.ok(Math.abs(a - b) < 1e-12, `${msg ?? 'value'}: ${a} != ${b}`);
};

const identity = (n: number): number[] => Array.from({ length: n }, (_, j) => j);

/** Windows from rows [label, flagged, episode, start], T = 10 s, N = 4, identity rankings. */
function windows(rows: [number, 0 | 1, string, number][], extra: Partial<EpisodeWindows> = {}): EpisodeWindows {
  return {
    labels: rows.map((r) => r[0]),
    predictedAnomalous: rows.map((r) => r[1]),
    episodes: rows.map((r) => r[2]),
    windowStart: rows.map((r) => r[3]),
    ranking: rows.map(() => identity(4)),
    windowSeconds: 10,
    nodeCount: 4,
    ...extra,
  };
}

describe('evaluation/episode-metrics', () => {
  it('an episode whose faulty windows name two culprits (synthetic or overlapping faults) counts as two fault cases', () => {
    // Culprit 1 flagged at 0 s; culprit 2 never flagged. Identity rankings: 1 is second, 2 third.
    const m = episodeMetrics(windows([[1, 1, 'r/0', 0], [2, 0, 'r/0', 2]]));
    assert.equal(m['ep.faultEpisodes'], 2);
    assert.equal(m['ep.detectedEpisodes'], 1);
    assert.equal(m['ep.recall'], 0.5);
    assert.equal(m['ep.ac@1'], 0);
    assert.equal(m['ep.ac@3'], 1);
  });

  it('episode recall and delay: one episode detected 4 s into its test part, one missed', () => {
    // Episode r1/0 (culprit 2): faulty test windows start at 100, 102, 104, 106 s; the first flagged
    // one starts at 104 → delay 4 s. Episode r1/1 (culprit 1): 300, 302, never flagged → missed.
    // A flagged NORMAL window before the fault (start 90) must not count as a detection.
    const m = episodeMetrics(windows([
      [-1, 1, 'r1/0', 90],
      [2, 0, 'r1/0', 100],
      [2, 0, 'r1/0', 102],
      [2, 1, 'r1/0', 104],
      [2, 1, 'r1/0', 106],
      [1, 0, 'r1/1', 300],
      [1, 0, 'r1/1', 302],
    ]));
    assert.equal(m['ep.faultEpisodes'], 2);
    assert.equal(m['ep.detectedEpisodes'], 1);
    close(m['ep.recall'], 1 / 2, 'recall');
    close(m['ep.delaySeconds'], 4, 'mean delay');
    close(m['ep.delaySecondsMedian'], 4, 'median delay');
  });

  it('delay is measured from the earliest faulty test window even when rows are out of time order', () => {
    // Episode a: first faulty 10, first flagged 16 → 6 s; episode b: flagged at once → 0 s;
    // episode c: 50 → 60 → 10 s. Mean 16/3, median 6. Episode d has only normal test windows: not a fault episode.
    const m = episodeMetrics(windows([
      [0, 1, 'r/a', 16],
      [0, 0, 'r/a', 10],
      [0, 1, 'r/a', 20],
      [3, 1, 'r/b', 30],
      [1, 1, 'r/c', 60],
      [1, 0, 'r/c', 50],
      [-1, 0, 'r/d', 80],
    ]));
    assert.equal(m['ep.faultEpisodes'], 3);
    close(m['ep.recall'], 1, 'recall');
    close(m['ep.delaySeconds'], 16 / 3, 'mean delay');
    close(m['ep.delaySecondsMedian'], 6, 'median delay (odd count)');
    // Even count: delays 6 and 0 → median 3.
    const even = episodeMetrics(windows([
      [0, 0, 'r/a', 10],
      [0, 1, 'r/a', 16],
      [3, 1, 'r/b', 30],
    ]));
    close(even['ep.delaySecondsMedian'], 3, 'median delay (even count)');
  });

  it('false alarms: overlapping flagged normal windows are one alarm, a later one a second; normal time counted once', () => {
    // Run r1, T = 10 s. Normal windows at 120 (flagged), 122 (flagged), 124 (not), 160 (flagged).
    // Alarms: {120, 122} and {160} → 2. Normal time: [120, 134) ∪ [160, 170) = 14 + 10 = 24 s.
    const m = episodeMetrics(windows([
      [-1, 1, 'r1/0', 120],
      [-1, 1, 'r1/0', 122],
      [-1, 0, 'r1/0', 124],
      [-1, 1, 'r1/0', 160],
    ]));
    assert.equal(m['ep.falseAlarms'], 2);
    close(m['ep.normalHours'], 24 / 3600, 'normal hours');
    close(m['ep.falseAlarmsPerHour'], 2 / (24 / 3600), 'alarms per hour');
    assert.equal(m['ep.faultEpisodes'], 0);
  });

  it('alarms and normal time are per run; flagged faulty windows are not false alarms', () => {
    // Run r1: normal at 120 (flagged). Run r2: normal at 125 (flagged) — overlapping in time but another
    // run, so a second alarm and its own 10 s. The flagged faulty window at 121 is a detection, not an alarm.
    // Episode keys of one run differ (r1/0, r1/3) but share the run: 150 is 10 s after 140 → one alarm.
    const m = episodeMetrics(windows([
      [-1, 1, 'r1/0', 120],
      [2, 1, 'r1/0', 121],
      [-1, 1, 'r2/0', 125],
      [-1, 1, 'r1/0', 140],
      [-1, 1, 'r1/3', 150],
    ]));
    assert.equal(m['ep.falseAlarms'], 3, '{120}, {140, 150} in r1 and {125} in r2');
    close(m['ep.normalHours'], (10 + 20 + 10) / 3600, 'normal hours');
    // Explicit run ids override the episode-key prefix: in one run, 120 → 125 is 5 s (same alarm), 125 → 140 is 15 s (new alarm).
    const oneRun = episodeMetrics(windows([
      [-1, 1, 'r1/0', 120],
      [2, 1, 'r1/0', 121],
      [-1, 1, 'r2/0', 125],
      [-1, 1, 'r1/0', 140],
      [-1, 1, 'r1/3', 150],
    ], { runs: ['x', 'x', 'x', 'x', 'x'] }));
    assert.equal(oneRun['ep.falseAlarms'], 2, '{120, 125} and {140, 150}');
    close(oneRun['ep.normalHours'], (15 + 20) / 3600, 'union of [120,135) and [140,160)');
  });

  it('helpers: alarm grouping, interval union, run of an episode key', () => {
    assert.equal(countAlarms([], 10), 0);
    assert.equal(countAlarms([30, 0, 10, 21], 10), 2, '0-10 touch (10 s apart), 21 is 11 s after 10, 30 within 10 s of 21');
    assert.equal(unionSeconds([], 10), 0);
    assert.equal(unionSeconds([5, 0, 0, 30], 10), 15 + 10);
    assert.equal(runOfEpisodeKey('run-a/7'), 'run-a');
    assert.equal(runOfEpisodeKey('dir/run-a/7'), 'dir/run-a');
    assert.equal(runOfEpisodeKey('solo'), 'solo');
  });

  it('Borda aggregation and episode AC@k / Avg@5 worked by hand', () => {
    // Episode r1/0, culprit 2, four faulty windows:
    //   [0,2,1,3] [2,0,3,1] [1,2,0,3] [0,1,2,3]  → rank sums: node0 1+2+3+1=7, node1 3+4+1+2=10,
    //   node2 2+1+2+3=8, node3 4+3+4+4=15 → ranking [0,2,1,3], culprit at rank 2.
    // Episode r1/1, culprit 1: [1,0,2,3] [0,1,2,3] → node0 and node1 tie at 3; the lower id wins → rank 2.
    // Episode r2/0, culprit 3: [0,1,2,3] → rank 4.
    // A normal window with a ranking that would help nobody must not enter any episode's aggregate.
    const rows: [number, 0 | 1, string, number][] = [
      [2, 0, 'r1/0', 0], [2, 0, 'r1/0', 2], [2, 0, 'r1/0', 4], [2, 0, 'r1/0', 6],
      [1, 0, 'r1/1', 100], [1, 0, 'r1/1', 102],
      [3, 0, 'r2/0', 0],
      [-1, 0, 'r1/0', 20],
    ];
    const ranking = [[0, 2, 1, 3], [2, 0, 3, 1], [1, 2, 0, 3], [0, 1, 2, 3], [1, 0, 2, 3], [0, 1, 2, 3], [0, 1, 2, 3], [2, 1, 0, 3]];
    assert.deepEqual(bordaRanking(ranking.slice(0, 4), 4), [0, 2, 1, 3]);
    assert.deepEqual(bordaRanking(ranking.slice(4, 6), 4), [0, 1, 2, 3]);
    const m = episodeMetrics(windows(rows, { ranking }));
    // Culprit ranks 2, 2, 4 → AC@1 0, AC@2 2/3, AC@3 2/3, AC@4 1, AC@5 1; Avg@5 = (0 + 2/3 + 2/3 + 1 + 1) / 5.
    close(m['ep.ac@1'], 0, 'AC@1');
    close(m['ep.ac@3'], 2 / 3, 'AC@3');
    close(m['ep.ac@5'], 1, 'AC@5');
    close(m['ep.avg@5'], (0 + 2 / 3 + 2 / 3 + 1 + 1) / 5, 'Avg@5');
    // Oracle detection: nothing was flagged, yet the rankings are scored.
    close(m['ep.recall'], 0, 'recall');
    // Chance with N = 4: min(k, 4) / 4, Avg@5 = (1 + 2 + 3 + 4 + 4) / 20.
    close(m['ep.chanceAc@1'], 0.25);
    close(m['ep.chanceAc@3'], 0.75);
    close(m['ep.chanceAc@5'], 1);
    close(m['ep.chanceAvg@5'], 14 / 20);
  });

  it('random rankings give AC@k near the chance level k/N', () => {
    // 3000 episodes, N = 10, 3 random windows each, culprit uniform: E[AC@k] = k/N exactly (the top k
    // of any aggregate is k nodes, the culprit is independent of it). 4 binomial standard deviations.
    const rng = createRng(7).fork('episode-ac-chance');
    const N = 10;
    const labels: number[] = [];
    const episodes: string[] = [];
    const ranking: number[][] = [];
    for (let e = 0; e < 3000; e++) {
      const culprit = rng.int(N);
      for (let j = 0; j < 3; j++) {
        labels.push(culprit);
        episodes.push(`run/${e}`);
        ranking.push(rng.shuffle(identity(N)));
      }
    }
    const m = episodeMetrics({
      labels, episodes, ranking,
      predictedAnomalous: labels.map(() => 1),
      windowStart: labels.map((_, i) => i * 2),
      windowSeconds: 10,
      nodeCount: N,
    });
    for (const k of [1, 3, 5]) {
      const p = k / N;
      const sd = Math.sqrt((p * (1 - p)) / 3000);
      const ac = m[`ep.ac@${k}`] as number;
      assert.ok(Math.abs(ac - p) < 4 * sd, `AC@${k} = ${ac}, chance ${p}`);
      close(m[`ep.chanceAc@${k}`], p);
    }
  });

  it('undefined quantities are null, not a made-up 0 or 1', () => {
    // No fault episode, no normal window: everything ratio-like is null.
    const empty = episodeMetrics(windows([]));
    assert.equal(empty['ep.faultEpisodes'], 0);
    for (const k of ['ep.recall', 'ep.delaySeconds', 'ep.delaySecondsMedian', 'ep.falseAlarmsPerHour', 'ep.ac@1', 'ep.ac@3', 'ep.ac@5', 'ep.avg@5']) {
      assert.equal(empty[k], null, k);
    }
    assert.equal(empty['ep.normalHours'], 0);
    assert.equal(empty['ep.falseAlarms'], 0);
    // Faults but nothing detected: recall 0 (defined), delay null (no detected episode).
    const missed = episodeMetrics(windows([[1, 0, 'r/0', 0]]));
    assert.equal(missed['ep.recall'], 0);
    assert.equal(missed['ep.delaySeconds'], null);
    assert.equal(missed['ep.falseAlarmsPerHour'], null, 'no normal time');
    // A detection-only method (no rankings): AC@k null, chance still given.
    const noRank = episodeMetrics(windows([[1, 1, 'r/0', 0], [-1, 0, 'r/0', 20]], { ranking: null }));
    assert.equal(noRank['ep.ac@1'], null);
    assert.equal(noRank['ep.avg@5'], null);
    close(noRank['ep.chanceAc@1'], 0.25);
    close(noRank['ep.falseAlarmsPerHour'], 0, 'normal time but no alarm: 0 per hour');
  });

  it('rejects bad input with an EadroError naming the field and what was expected; honours other cut-offs', () => {
    const good = windows([[1, 1, 'r/0', 0], [-1, 0, 'r/0', 20]]);
    const throwsWith = (w: EpisodeWindows, field: RegExp, expected: RegExp): void => {
      assert.throws(() => episodeMetrics(w), (e: unknown) => {
        assert.ok(e instanceof EadroError, 'an EadroError');
        assert.match(e.message, field);
        assert.match(e.message, expected);
        return true;
      });
    };
    throwsWith({ ...good, windowStart: [0] }, /field: windowStart/, /expected: 2 values/);
    throwsWith({ ...good, episodes: ['r/0'] }, /field: episodes/, /expected: 2 values/);
    throwsWith({ ...good, predictedAnomalous: [1, 0, 0] }, /field: predictedAnomalous/, /found: 3/);
    throwsWith({ ...good, ranking: [identity(4)] }, /field: ranking/, /expected: 2 values/);
    throwsWith({ ...good, windowSeconds: 0 }, /field: windowSeconds/, /T > 0/);
    throwsWith({ ...good, windowSeconds: Number.NaN }, /field: windowSeconds/, /T > 0/);
    throwsWith({ ...good, nodeCount: 0 }, /field: nodeCount/, /N >= 1/);
    throwsWith({ ...good, labels: [4, -1] }, /field: labels\[0\]/, /node index 0\.\.3/);
    throwsWith({ ...good, windowStart: [0, Number.POSITIVE_INFINITY] }, /field: windowStart\[1\]/, /finite/);
    throwsWith({ ...good, ranking: [identity(4), [0, 1, 2]] }, /field: ranking\[1\]/, /permutation .* \(length 4\)[\s\S]*found: length 3/);
    throwsWith({ ...good, ranking: [[0, 1, 1, 3], identity(4)] }, /field: ranking\[0\]/, /found: 1 at position 2/);
    throwsWith({ ...good, ranking: [[0, 1, 2, 4], identity(4)] }, /field: ranking\[0\]/, /found: 4 at position 3/);
    assert.throws(() => episodeMetrics(good, { acKs: [0] }), /field: settings\.acKs[\s\S]*integer cut-offs k >= 1/);
    // Other cut-offs are honoured: AC@2 and Avg@2 (N = 4, culprit 1 ranked second by the identity ranking).
    const custom = episodeMetrics(good, { acKs: [2], avgK: 2 });
    close(custom['ep.ac@2'], 1, 'AC@2');
    close(custom['ep.avg@2'], 0.5, 'Avg@2 = (AC@1 + AC@2) / 2');
    close(custom['ep.chanceAvg@2'], (0.25 + 0.5) / 2, 'chance Avg@2');
  });
});
