/** Granger ssr F-test and ADF (granger.ts): statsmodels 0.13.5 values (test/fixtures/granger-statsmodels.json), the segment path, degenerate inputs. */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import jstatPkg from 'jstat';
import { GRANGER_MISSING, GrangerSegmentTester, adfTest, fSurvival, grangerTest, mackinnonPValue, type GrangerResult } from '../../../src/baselines/localizers/granger.js';
import { EadroError } from '../../../src/core/errors.js';
import { createRng } from '../../../src/core/rng.js';

const { jStat } = jstatPkg;

interface FTest { lag: number; F: number; p: number; dfDenom: number; dfNum: number }
interface Fixture {
  statsmodels: string;
  granger: { name: string; y: number[]; x: number[]; tests: FTest[] }[];
  segments: { pair: string; start: number; end: number; tests: FTest[] }[];
  adf: { name: string; x: number[]; maxlag: number; stat: number; p: number; usedLag: number; nObs: number; icBest: number }[];
}
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/granger-statsmodels.json', import.meta.url), 'utf8')) as Fixture;

const rel = (actual: number, expected: number, tol: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) <= tol * Math.abs(expected), `${what}: ${actual} vs ${expected} (relative ${Math.abs(actual - expected) / Math.abs(expected)})`);

function matchesStatsmodels(r: GrangerResult, t: FTest, what: string): void {
  assert.equal(r.status, 'ok', what);
  assert.equal(r.dfDenom, t.dfDenom, `${what}: df`);
  assert.equal(r.dfNum, t.dfNum, `${what}: df_num`);
  rel(r.F, t.F, 1e-9, `${what}: F`);
  // jStat's incomplete beta is good to ~1e-7 relative (granger.ts module comment), down to p ≈ 1e-85 here.
  rel(r.pValue, t.p, 1e-6, `${what}: p`);
}

function noise(seed: number, n: number): Float64Array {
  const rng = createRng(seed);
  return Float64Array.from({ length: n }, () => rng.normal());
}

describe('localizers/granger', () => {
  it('fixtures come from statsmodels 0.13.5', () => {
    assert.match(fixture.statsmodels, /^0\.13\.5/);
    assert.equal(fixture.granger.length, 7);
  });

  it('direct regression: F, p and df equal statsmodels ssr_ftest (lags 5 and 2, n = 40, 70, 300)', () => {
    for (const g of fixture.granger) for (const t of g.tests) matchesStatsmodels(grangerTest(g.y, g.x, t.lag), t, `${g.name} lag ${t.lag}`);
  });

  it('segment path: whole series and slices equal statsmodels', () => {
    for (const g of fixture.granger) {
      for (const t of g.tests) matchesStatsmodels(new GrangerSegmentTester([g.y, g.x], t.lag).test(0, 1, 0, g.y.length), t, `${g.name} lag ${t.lag} (segments)`);
    }
    for (const s of fixture.segments) {
      const g = fixture.granger.find((q) => q.name === s.pair)!;
      // x as series 0 and y as series 1 too: the pair's sums are oriented both ways.
      for (const t of s.tests) {
        matchesStatsmodels(new GrangerSegmentTester([g.y, g.x], t.lag).test(0, 1, s.start, s.end), t, `${s.pair} [${s.start}, ${s.end}) lag ${t.lag}`);
        matchesStatsmodels(new GrangerSegmentTester([g.x, g.y], t.lag).test(1, 0, s.start, s.end), t, `${s.pair} [${s.start}, ${s.end}) lag ${t.lag}, swapped`);
      }
    }
  });

  it('segment path equals the direct regression on every orientation and segment', () => {
    const L = 150;
    const s = [noise(1, L), noise(2, L), noise(3, L)];
    for (let t = 2; t < L; t++) (s[2] as Float64Array)[t] += 0.7 * ((s[0] as Float64Array)[t - 2] as number);
    for (let t = 0; t < L; t++) (s[1] as Float64Array)[t] = 1000 + 5 * ((s[1] as Float64Array)[t] as number); // offset: the prefix sums are of standardised values
    for (const lag of [1, 3, 5]) {
      const tester = new GrangerSegmentTester(s, lag);
      for (const [y, x] of [[0, 1], [1, 0], [2, 0], [0, 2], [1, 2], [2, 1]] as const) {
        for (const [a, b] of [[0, L], [10, 90], [37, 150], [100, 140]] as const) {
          const direct = grangerTest((s[y] as Float64Array).subarray(a, b), (s[x] as Float64Array).subarray(a, b), lag);
          const seg = tester.test(y, x, a, b);
          const what = `lag ${lag} ${x}->${y} [${a}, ${b})`;
          assert.equal(seg.status, 'ok', what);
          assert.equal(seg.dfDenom, direct.dfDenom, what);
          rel(seg.F, direct.F, 1e-9, `${what}: F`);
          rel(seg.pValue, direct.pValue, 1e-9, `${what}: p`);
          rel(seg.ssrFull, direct.ssrFull, 1e-9, `${what}: ssr_f (original units)`);
          rel(seg.ssrRestricted, direct.ssrRestricted, 1e-9, `${what}: ssr_r`);
        }
      }
    }
    // The planted link 0 -> 2 (lag 2) is found; its reverse is not.
    const t = new GrangerSegmentTester(s, 5);
    assert.ok(t.test(2, 0, 0, L).pValue < 1e-6);
    assert.ok(t.test(0, 2, 0, L).pValue > 0.001);
  });

  it('the F survival function is jstat F cdf complement, exact in the far tail', () => {
    for (const [F, d1, d2] of [[0.5, 5, 24], [2.2, 5, 54], [7, 2, 293]] as const) {
      assert.ok(Math.abs(fSurvival(F, d1, d2) + jStat.centralF.cdf(F, d1, d2) - 1) < 1e-9);
    }
    assert.equal(fSurvival(0, 5, 10), 1);
    assert.equal(fSurvival(-1e-12, 5, 10), 1);
    assert.equal(fSurvival(Number.POSITIVE_INFINITY, 5, 10), 0);
    assert.ok(fSurvival(500, 5, 284) > 0); // 1 − cdf would be 0 here
  });

  it('degenerate inputs give the missing p-value −1 with a status, in both paths', () => {
    const lag = 5;
    const n = 60;
    const x = noise(4, n);
    const y = noise(5, n);
    const both = (yy: ArrayLike<number>, xx: ArrayLike<number>): [GrangerResult, GrangerResult] => [
      grangerTest(yy, xx, lag),
      new GrangerSegmentTester([Float64Array.from(yy), Float64Array.from(xx)], lag).test(0, 1, 0, yy.length),
    ];
    const expectMissing = (rs: [GrangerResult, GrangerResult], status: string): void => {
      for (const r of rs) {
        assert.equal(r.status, status);
        assert.equal(r.pValue, GRANGER_MISSING);
        assert.ok(Number.isNaN(r.F));
      }
    };
    // n ≤ 3·lag + 1 = 16 points: statsmodels' "Insufficient observations"; 17 points is enough.
    expectMissing(both(y.subarray(0, 16), x.subarray(0, 16)), 'too-few-points');
    for (const r of both(y.subarray(0, 17), x.subarray(0, 17))) {
      assert.equal(r.status, 'ok');
      assert.equal(r.dfDenom, 1);
    }
    expectMissing(both(new Float64Array(n).fill(3), x), 'constant-target');
    expectMissing(both(y, new Float64Array(n).fill(-2)), 'constant-regressor');
    // x constant over the rows' lags only (it changes at its very last point, never a regressor value).
    const xLate = new Float64Array(n).fill(1);
    xLate[n - 1] = 2;
    expectMissing(both(y, xLate), 'constant-regressor');
    // x an affine copy of y: its lags are y's lags, the full design is singular.
    expectMissing(both(y, Float64Array.from(y, (v) => 2 * v + 1)), 'singular-design');
    // y a straight line: its lags are collinear with the constant.
    expectMissing(both(Float64Array.from({ length: n }, (_, t) => 3 + 0.5 * t), x), 'singular-design');
    // y two sinusoids and a decay: an exact order-5 recursion, lags independent; the restricted model fits exactly.
    expectMissing(both(Float64Array.from({ length: n }, (_, t) => Math.sin(0.3 * t) + Math.sin(1.1 * t) + 3 * 0.9 ** t), x), 'perfect-fit');
  });

  it('refuses bad arguments, naming the field', () => {
    const field = (f: string) => (e: unknown): boolean => e instanceof EadroError && e.details.field === f;
    const a = noise(6, 30);
    assert.throws(() => grangerTest(a, a.subarray(0, 29), 2), field('x'));
    assert.throws(() => grangerTest(a, a, 0), field('lag'));
    assert.throws(() => grangerTest([1, 2, Number.NaN, 4], [1, 2, 3, 4], 1), field('y[2]'));
    const t = new GrangerSegmentTester([a, noise(7, 30)], 2);
    assert.throws(() => t.test(0, 0, 0, 30), field('source'));
    assert.throws(() => t.test(2, 0, 0, 30), field('target'));
    assert.throws(() => t.test(0, 1, 10, 10), field('end'));
    assert.throws(() => t.test(0, 1, -1, 10), field('start'));
    assert.throws(() => new GrangerSegmentTester([a, a.subarray(1)], 2), field('series[1]'));
    assert.throws(() => adfTest(a, -1), field('maxlag'));
  });

  it('ADF: stat, p-value, chosen lag, rows and AIC equal statsmodels adfuller(maxlag=5)', () => {
    for (const f of fixture.adf) {
      const r = adfTest(f.x, f.maxlag);
      assert.equal(r.status, 'ok', f.name);
      assert.equal(r.usedLag, f.usedLag, `${f.name}: usedlag`);
      assert.equal(r.nObs, f.nObs, `${f.name}: nobs`);
      rel(r.stat, f.stat, 1e-9, `${f.name}: stat`);
      rel(r.icBest, f.icBest, 1e-9, `${f.name}: icbest`);
      // jstat's normal cdf is good to ~1e-16 absolute: relative 1e-6 above 1e-8, absolute below.
      if (f.p > 1e-8) rel(r.pValue, f.p, 1e-6, `${f.name}: p`);
      else assert.ok(Math.abs(r.pValue - f.p) < 1e-12, `${f.name}: p ${r.pValue} vs ${f.p}`);
    }
    // A random walk is not stationary at 10 %, white noise is.
    const byName = Object.fromEntries(fixture.adf.map((f) => [f.name, adfTest(f.x, 5).pValue]));
    assert.ok((byName['random-walk-n120'] as number) > 0.1);
    assert.ok((byName['white-noise-n70'] as number) < 0.1);
  });

  it('ADF degenerate inputs and MacKinnon bounds', () => {
    // maxlag 5 needs ⌊n/2⌋ − 2 ≥ 5: n = 14 is enough, 13 is not (statsmodels raises).
    assert.equal(adfTest(noise(8, 13), 5).status, 'too-few-points');
    assert.equal(adfTest(noise(8, 14), 5).status, 'ok');
    const flat = adfTest(new Float64Array(40).fill(7), 5);
    assert.equal(flat.status, 'constant');
    assert.ok(Number.isNaN(flat.pValue));
    assert.equal(mackinnonPValue(3), 1);
    assert.equal(mackinnonPValue(-19), 0);
    assert.ok(mackinnonPValue(-1.61) < mackinnonPValue(-1.6));
  });
});
