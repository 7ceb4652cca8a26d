/**
 * The code-level faults (issue 25): `exception` and `error_return` manifest only where they should.
 *
 * Each system is simulated twice with the same seed and the same `tiny`-timed schedule of code-level
 * faults (`SimulateOptions.pairs`): once with the faults, once as a control recording in which none
 * takes effect (`withholdFaults`). Known answers:
 * - exception: the target's spans fail (500, `error` true) exactly when it logs its exception (TT with a
 *   stack trace the raw reader counts as continuation lines, never as errors); its callers log the 500
 *   naming it and retry (a second span into the target); none of it in the control.
 * - error_return: the target's spans, logs, CPU and latency are those of a normal service; its callers
 *   log the wrong answers and, rejecting one, make no call after it.
 * - both: the target's CPU and per-operation latency match the control; symptomSeconds are exactly the
 *   seconds of the target's exception lines / the callers' wrong-answer lines; symptomSources are logs
 *   and traces, so a KPI-only view of the windows finds them silent (src/evaluation/detectability.ts).
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { EadroError } from '../../src/core/errors.js';
import { EVIDENCE, windowEvidence, type RecordedFault } from '../../src/evaluation/detectability.js';
import { normalizeRawConfig, rawDefaults } from '../../src/raw/config.js';
import { readLogLines } from '../../src/raw/logs.js';
import { SkipCollector } from '../../src/raw/skips.js';
import { resolveSystem, simulate, type CallSpec, type SystemName, type TestbedFault, type TestbedManifest, type TestbedRun } from '../../src/testbed/index.js';
import { flowSteps } from '../../src/testbed/topology.js';
import { CPP_LINE, JAVA_LINE, logTime, mean, quantile, readLogs, readMetric, readSpans, sd, tmpDir, type ParsedSpan } from './helpers.js';
import { TINY_SEED } from './fixtures.js';

type Pair = readonly [string, 'exception' | 'error_return'];

/** Busy services with callers (SN's 60-s tiny faults need > 30 calls a minute into the target). */
const PAIRS: Record<SystemName, Pair[]> = {
  tt: [['ts-order-service', 'exception'], ['ts-ticketinfo-service', 'error_return'], ['ts-travel-service', 'exception'], ['ts-basic-service', 'error_return']],
  sn: [['home-timeline-service', 'exception'], ['user-service', 'error_return'], ['user-timeline-service', 'exception'], ['post-storage-service', 'error_return']],
};

interface Sim {
  root: string;
  manifest: TestbedManifest;
  /** Per run id: spans and logs. */
  spans: Map<string, ParsedSpan[]>;
  logs: Map<string, Record<string, string[]>>;
}

async function run(system: SystemName, withholdFaults: boolean): Promise<Sim> {
  const root = tmpDir(`${system}-code-${withholdFaults ? 'control' : 'faults'}`);
  const manifest = await simulate({ system, profile: 'tiny', seed: TINY_SEED, out: root, pairs: PAIRS[system], withholdFaults });
  const spans = new Map<string, ParsedSpan[]>();
  const logs = new Map<string, Record<string, string[]>>();
  for (const r of manifest.runs) {
    spans.set(r.id, readSpans(path.join(root, r.dir)));
    logs.set(r.id, readLogs(path.join(root, r.dir)));
  }
  return { root, manifest, spans, logs };
}

const CONTINUATION = new RegExp(rawDefaults.logContinuationPattern!);
const ERROR_LINE = / ERROR |<error>/;

function faultsOf(sim: Sim, type: string): Array<{ run: TestbedRun; fault: TestbedFault }> {
  return sim.manifest.runs.flatMap((r) => r.faults.filter((f) => f.type === type).map((fault) => ({ run: r, fault })));
}

/** [start - 1, end + grace): a trace started in the fault may end (and log) after it. */
const near = (f: TestbedFault, t: number, grace = 30): boolean => t >= f.start - 1 && t < f.start + f.duration + grace;
const during = (f: TestbedFault, t: number): boolean => t >= f.start && t < f.start + f.duration;

/** Log lines of `run`, [service, time, line], continuation lines carrying their header's time. */
function lines(sim: Sim, runId: string): Array<[string, number, string]> {
  const out: Array<[string, number, string]> = [];
  for (const [service, ls] of Object.entries(sim.logs.get(runId)!)) {
    let t = Number.NaN;
    for (const l of ls) {
      if (!CONTINUATION.test(l)) t = logTime(l);
      out.push([service, t, l]);
    }
  }
  return out;
}

/** The CallSpec of (service, operation) in the topology's flows, for its `parallel` flag and calls. */
function callSpecOf(system: SystemName, service: string, operation: string): CallSpec | undefined {
  let found: CallSpec | undefined;
  const visit = (c: CallSpec): void => {
    if (c.service === service && c.operation === operation) found ??= c;
    for (const child of c.calls ?? []) visit(child);
  };
  for (const f of resolveSystem(system).flows) for (const step of flowSteps(f)) visit(step);
  return found;
}

/** Target's CPU and latency against the control during the fault. */
function assertNoOwnEffect(system: SystemName, sim: Sim, control: Sim, run: TestbedRun, fault: TestbedFault): void {
  const cpu = (s: Sim): number[] => readMetric(path.join(s.root, run.dir), fault.service, 'cpu_usage_total').filter(([t]) => during(fault, t)).map(([, v]) => v);
  const [withFault, without] = [cpu(sim), cpu(control)];
  // A CPU hog adds 45-95 points (faults.ts); the callers' retries add a few requests, within noise.
  assert.ok(Math.abs(mean(withFault) - mean(without)) < 0.5 * sd(without), `${fault.service}: CPU ${mean(withFault).toFixed(3)} vs control ${mean(without).toFixed(3)} (sd ${sd(without).toFixed(3)})`);
  // Latency per operation (the mix of operations shifts when scenarios stop at an error).
  const byOp = (s: Sim): Map<string, number[]> => {
    const m = new Map<string, number[]>();
    for (const sp of s.spans.get(run.id)!) if (sp.service === fault.service && during(fault, sp.start)) m.set(sp.operation, [...(m.get(sp.operation) ?? []), sp.duration]);
    return m;
  };
  const [a, b] = [byOp(sim), byOp(control)];
  // Per operation the log ratio of the medians, averaged with weight min(n, n_control): one op's few
  // spans (log-normal processing, sigma 0.45) are too noisy alone.
  let logSum = 0;
  let weight = 0;
  let compared = 0;
  for (const [op, xs] of a) {
    const ys = b.get(op) ?? [];
    if (xs.length < 5 || ys.length < 5) continue;
    const w = Math.min(xs.length, ys.length);
    logSum += w * Math.log(quantile(xs, 0.5) / quantile(ys, 0.5));
    weight += w;
    compared++;
  }
  const ratio = Math.exp(logSum / weight);
  // network_delay moves the target's median by >= 1.5x (manifestation.test.ts); this must stay near 1.
  assert.ok(ratio > 1 / 1.25 && ratio < 1.25, `${system} ${fault.service}: median latency ratio ${ratio.toFixed(2)} against the control (${compared} operations, weight ${weight})`);
  assert.ok(compared >= 1, `${fault.service}: no operation with enough spans to compare`);
}

for (const system of ['tt', 'sn'] as SystemName[]) {
  describe(`testbed code-level faults (${system})`, function () {
    this.timeout(180_000);
    let sim: Sim;
    let control: Sim;
    before(async () => {
      sim = await run(system, false);
      control = await run(system, true);
    });

    it('schedules the pairs with their timing and records severity, symptom sources and the control flag', async () => {
      const faults = sim.manifest.runs.flatMap((r) => r.faults);
      assert.deepEqual(faults.map((f) => [f.service, f.type]), PAIRS[system].map(([s, t]) => [s, t]));
      for (const f of faults) {
        assert.deepEqual(f.symptomSources, ['logs', 'traces']);
        const rate = f.type === 'exception' ? f.severity.exceptionRate : f.severity.wrongResultRate;
        assert.ok(rate !== undefined && rate >= 0.3 && rate <= 0.7, `${f.service}: severity ${JSON.stringify(f.severity)}`);
      }
      assert.deepEqual(sim.manifest.counts.faultsByType, { exception: 2, error_return: 2 });
      assert.equal(sim.manifest.faultsWithheld, undefined);
      assert.equal(control.manifest.faultsWithheld, true);
      assert.ok(control.manifest.runs.flatMap((r) => r.faults).every((f) => f.symptomSeconds!.length === 0), 'a withheld fault has no symptom');
      await assert.rejects(simulate({ system, profile: 'tiny', seed: 1, out: tmpDir('bad-pairs'), pairs: [['no-such-service', 'exception']] }), (e: unknown) => e instanceof EadroError && /pairs\[0\]\[0\]/.test(e.message));
    });

    it('the control recording has no error span and no error log at all', () => {
      for (const r of control.manifest.runs) {
        assert.equal(control.spans.get(r.id)!.filter((s) => s.error).length, 0);
        assert.equal(lines(control, r.id).filter(([, , l]) => ERROR_LINE.test(l)).length, 0);
      }
    });

    it('exception: the target fails its spans (500, error) exactly as often as it logs its exception, and only under the fault', () => {
      for (const { run: r, fault } of faultsOf(sim, 'exception')) {
        // Outside every fault of the run no span fails (the target may fail as a caller in another
        // fault's window: rejecting a wrong answer); near its own fault, only this fault is active.
        assert.ok(sim.spans.get(r.id)!.filter((s) => s.error).every((s) => r.faults.some((f) => near(f, s.start))), 'an error span outside every fault');
        const spans = sim.spans.get(r.id)!.filter((s) => s.service === fault.service && s.error && near(fault, s.start));
        assert.ok(spans.every((s) => s.status === 500), 'error spans carry http.status_code 500');
        const headers = lines(sim, r.id).filter(([service, t, l]) => service === fault.service && near(fault, t) && ERROR_LINE.test(l));
        assert.ok(spans.length >= 5, `${fault.service}: ${spans.length} error spans`);
        assert.equal(headers.length, spans.length, `${fault.service}: one exception line per failed span`);
        assert.ok(headers.every(([, , l]) => (system === 'tt' ? /Request processing failed: [a-z.]+\.[A-Za-z]+Exception/ : /ServiceException|std::/).test(l)), headers[0]?.[2]);
      }
    });

    it('exception: TT writes a stack trace after each exception line; the raw reader counts it as continuation lines, not errors', async () => {
      for (const r of sim.manifest.runs) {
        const file = path.join(sim.root, r.dir, 'logs.json');
        let continuation = 0;
        for (const [service, ls] of Object.entries(sim.logs.get(r.id)!)) {
          ls.forEach((l, i) => {
            if (CONTINUATION.test(l)) {
              continuation++;
              const prev = ls[i - 1]!;
              assert.ok(CONTINUATION.test(prev) || /Request processing failed/.test(prev), `${service}: a stack line after ${prev}`);
            } else assert.match(l, system === 'tt' ? JAVA_LINE : CPP_LINE);
          });
        }
        if (system === 'sn') assert.equal(continuation, 0, 'C++ exceptions are one line');
        else if (r.faults.some((f) => f.type === 'exception')) assert.ok(continuation >= 10, `${r.id}: ${continuation} stack lines`);
        const skips = new SkipCollector();
        let read = 0;
        for await (const _ of readLogLines(file, normalizeRawConfig({ onBadInput: 'error' }), skips)) read++;
        const counted = skips.reports().filter((x) => /continuation/.test(x.reason)).reduce((a, x) => a + x.count, 0);
        assert.equal(counted, continuation, `${r.id}: continuation lines counted`);
        assert.equal(read + continuation, Object.values(sim.logs.get(r.id)!).reduce((a, ls) => a + ls.length, 0));
      }
    });

    it('exception: callers log the 500 naming the target and retry it (a second span into the target)', () => {
      for (const { run: r, fault } of faultsOf(sim, 'exception')) {
        const all = lines(sim, r.id);
        const serverErrors = all.filter(([service, t, l]) => service !== fault.service && near(fault, t) && ERROR_LINE.test(l) && l.includes(fault.service) && /500 Internal Server Error|TApplicationException/.test(l));
        const retries = all.filter(([service, t, l]) => service !== fault.service && near(fault, t) && l.includes(fault.service) && /status 500|code 500/.test(l));
        assert.ok(serverErrors.length >= 3, `${fault.service}: ${serverErrors.length} caller server-error lines`);
        assert.ok(retries.length >= 1, `${fault.service}: ${retries.length} retries`);
        // A retry: a caller span with a failed target child followed by another target child of the same operation.
        const spans = sim.spans.get(r.id)!;
        const children = new Map<string, ParsedSpan[]>();
        for (const s of spans) if (s.service === fault.service && s.parentId !== null) children.set(`${s.traceId}/${s.parentId}`, [...(children.get(`${s.traceId}/${s.parentId}`) ?? []), s]);
        const retried = [...children.values()].filter((cs) => cs.some((a) => a.error && cs.some((b) => b !== a && b.operation === a.operation && b.start >= a.start + a.duration / 1e6 - 1e-6)));
        assert.ok(retried.length >= 1, `${fault.service}: no retried call in the spans`);
      }
    });

    it('error_return: the target looks normal (no error span, no error line); callers log the wrong answers', () => {
      for (const { run: r, fault } of faultsOf(sim, 'error_return')) {
        assert.equal(sim.spans.get(r.id)!.filter((s) => s.service === fault.service && s.error).length, 0, `${fault.service}: error spans`);
        assert.equal(lines(sim, r.id).filter(([service, t, l]) => service === fault.service && near(fault, t) && ERROR_LINE.test(l)).length, 0);
        const wrong = lines(sim, r.id).filter(([service, t, l]) => service !== fault.service && near(fault, t) && /Invalid (response|reply) from/.test(l) && l.includes(fault.service));
        assert.ok(wrong.length >= 3, `${fault.service}: ${wrong.length} wrong-answer lines`);
        assert.ok(wrong.some(([, , l]) => ERROR_LINE.test(l)) && wrong.some(([, , l]) => / WARN |<warning>/.test(l)), 'rejections (ERROR) and fallbacks (WARN)');
        assert.equal(lines(control, r.id).filter(([, , l]) => /Invalid (response|reply) from/.test(l)).length, 0, 'none in the control');
      }
    });

    it('error_return: a caller that rejects a wrong answer fails its span and makes no call after it', () => {
      let rejected = 0;
      let laterCallsInControl = 0;
      for (const { run: r, fault } of faultsOf(sim, 'error_return')) {
        for (const [s, isControl] of [[sim, false], [control, true]] as const) {
          const spans = s.spans.get(r.id)!;
          const kids = new Map<string, ParsedSpan[]>();
          for (const sp of spans) if (sp.parentId !== null) kids.set(`${sp.traceId}/${sp.parentId}`, [...(kids.get(`${sp.traceId}/${sp.parentId}`) ?? []), sp]);
          for (const caller of spans) {
            if (!during(fault, caller.start)) continue;
            const cs = kids.get(`${caller.traceId}/${caller.spanId}`) ?? [];
            const target = cs.filter((c) => c.service === fault.service);
            if (target.length === 0 || callSpecOf(system, caller.service, caller.operation)?.parallel === true) continue;
            const lastTarget = Math.max(...target.map((c) => c.start));
            const after = cs.filter((c) => c.service !== fault.service && c.start > lastTarget);
            if (isControl) {
              if (after.length > 0) laterCallsInControl++;
            } else if (caller.error && cs.every((c) => !c.error)) {
              // Failed with every call answered: it rejected a wrong answer (no other fault is active).
              assert.equal(caller.status, 500);
              assert.equal(after.length, 0, `${caller.service} ${caller.operation}: calls after the rejected answer`);
              rejected++;
            }
          }
        }
      }
      assert.ok(rejected >= 1, 'no rejected request');
      assert.ok(laterCallsInControl >= 1, 'the callers make calls after the target in the control (the check means something)');
    });

    it('neither fault moves the target\'s CPU or latency against the control', () => {
      for (const type of ['exception', 'error_return']) for (const { run: r, fault } of faultsOf(sim, type)) assertNoOwnEffect(system, sim, control, r, fault);
    });

    it('symptomSeconds are exactly the seconds of the exception lines / the callers\' wrong-answer lines', () => {
      for (const { run: r, fault } of [...faultsOf(sim, 'exception'), ...faultsOf(sim, 'error_return')]) {
        const marks = new Set<number>();
        for (const [service, t, l] of lines(sim, r.id)) {
          if (CONTINUATION.test(l)) continue;
          const k = Math.floor(t - fault.start);
          if (k < 0 || k >= fault.duration) continue;
          const mark = fault.type === 'exception' ? service === fault.service && ERROR_LINE.test(l) : service !== fault.service && /Invalid (response|reply) from/.test(l) && l.includes(fault.service);
          if (mark) marks.add(k);
        }
        assert.deepEqual(fault.symptomSeconds, [...marks].sort((a, b) => a - b), `${fault.service} ${fault.type}`);
        assert.ok(marks.size >= 3, `${fault.service}: ${marks.size} symptom seconds`);
      }
    });

    it('detectability: windows of these faults show in logs and traces, and are silent to KPIs alone', () => {
      const nodes = sim.manifest.topology.services;
      const recorded: RecordedFault[] = sim.manifest.runs.flatMap((r) =>
        r.faults.map((f) => ({ service: f.service, type: f.type, start: f.start, duration: f.duration, symptomSeconds: f.symptomSeconds!, symptomSources: f.symptomSources! })),
      );
      const T = 10;
      const starts: number[] = [];
      const labels: number[] = [];
      for (const f of recorded) {
        for (let s = f.start; s + T <= f.start + f.duration; s += T) {
          starts.push(s);
          labels.push(nodes.indexOf(f.service));
        }
      }
      const all = windowEvidence({ starts, labels, nodes, T }, recorded);
      assert.ok(all.some((e) => e === EVIDENCE.symptom), 'some window shows its fault');
      assert.deepEqual(Array.from(windowEvidence({ starts, labels, nodes, T }, recorded, 'logs')), Array.from(all));
      assert.deepEqual(Array.from(windowEvidence({ starts, labels, nodes, T }, recorded, 'traces')), Array.from(all));
      assert.ok(Array.from(windowEvidence({ starts, labels, nodes, T }, recorded, 'kpis')).every((e) => e === EVIDENCE.silent), 'KPIs show none');
    });
  });
}
