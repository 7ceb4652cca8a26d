/**
 * Each fault type manifests per modality, statistically, on `tiny` data (issue 3, "Done when"):
 * CPU hog -> target's cpu_usage_total above its fault-free level by > 3 sd and no latency shift;
 * network delay -> target's median span duration >= 1.5x, callers' latency up, target's log
 * occurrences down, callers' time-outs logged; packet loss -> callers' failures logged and their spans
 * failing (the target writes no time-out span of its own), a heavy latency tail, log occurrences down.
 */
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import type { SystemName, TestbedFault, TestbedRun } from '../../src/testbed/index.js';
import { mean, quantile, readMetric, sd } from './helpers.js';
import { inFault, tinyData, type TinyData } from './fixtures.js';

function median(xs: number[]): number {
  return quantile(xs, 0.5);
}

function faults(data: TinyData, type: string): Array<{ run: TestbedRun; fault: TestbedFault }> {
  return data.manifest.runs.flatMap((run) => run.faults.filter((f) => f.type === type).map((fault) => ({ run, fault })));
}

const during = (f: TestbedFault, t: number): boolean => t >= f.start && t < f.start + f.duration;

/** Durations (us) of spans served by `service`: during the fault, and in all fault-free time. */
function targetDurations(data: TinyData, f: TestbedFault): { fault: number[]; free: number[] } {
  const fault: number[] = [];
  const free: number[] = [];
  for (const s of data.spans) {
    if (s.service !== f.service) continue;
    if (during(f, s.start)) fault.push(s.duration);
    else if (!inFault(data, s.start)) free.push(s.duration);
  }
  return { fault, free };
}

/**
 * Request-handling (INFO) log lines of the target per second: during the fault, and in the fault-free
 * gaps of the same run (each run draws its own request rate, so other runs are not comparable).
 */
function infoRates(data: TinyData, run: TestbedRun, f: TestbedFault): { fault: number; free: number } {
  let inWindow = 0;
  let free = 0;
  for (const [service, t, line] of data.logs) {
    if (service !== f.service || t < run.start || t >= run.end || !/ INFO |<info>/.test(line)) continue;
    if (during(f, t)) inWindow++;
    else if (!inFault(data, t)) free++;
  }
  const freeSeconds = run.end - run.start - run.faults.reduce((a, x) => a + x.duration, 0);
  return { fault: inWindow / f.duration, free: free / freeSeconds };
}

for (const system of ['tt', 'sn'] as SystemName[]) {
  describe(`testbed fault manifestation (${system}, tiny)`, function () {
    this.timeout(120_000);
    let data: TinyData;
    before(async () => {
      data = await tinyData(system);
    });

    it('has every fault type', () => {
      for (const type of ['cpu_exhaustion', 'network_delay', 'packet_loss']) assert.ok(faults(data, type).length >= 1, type);
    });

    it('cpu_exhaustion: target cpu_usage_total > fault-free mean + 3 sd; latency not shifted 1.5x', () => {
      for (const { run, fault } of faults(data, 'cpu_exhaustion')) {
        const series = readMetric(path.join(data.root, run.dir), fault.service, 'cpu_usage_total');
        const gap = data.manifest.schedule.gapSeconds;
        const before = series.filter(([t]) => t >= fault.start - gap && t < fault.start).map(([, v]) => v);
        const inside = series.filter(([t]) => during(fault, t)).map(([, v]) => v);
        assert.ok(mean(inside) > mean(before) + 3 * sd(before), `${fault.service}: ${mean(inside)} vs ${mean(before)} + 3 x ${sd(before)}`);
        const d = targetDurations(data, fault);
        assert.ok(d.fault.length >= 5, `${fault.service}: too few spans under the fault (${d.fault.length})`);
        const ratio = median(d.fault) / median(d.free);
        assert.ok(ratio < 1.5, `${fault.service}: CPU hog shifted median latency by ${ratio.toFixed(2)}x`);
      }
    });

    it('network_delay: target median span duration >= 1.5x, callers slower, target log occurrences down, callers log time-outs', () => {
      for (const { run, fault } of faults(data, 'network_delay')) {
        const d = targetDurations(data, fault);
        assert.ok(d.fault.length >= 5, `${fault.service}: too few spans (${d.fault.length})`);
        const ratio = median(d.fault) / median(d.free);
        assert.ok(ratio >= 1.5, `${fault.service}: median ratio ${ratio.toFixed(2)}`);
        // Callers: spans that are parents of a span served by the target.
        const byId = new Map(data.spans.map((s) => [`${s.traceId}/${s.spanId}`, s]));
        const callerFault: number[] = [];
        const callerFree: number[] = [];
        for (const s of data.spans) {
          if (s.service !== fault.service || s.parentId === null) continue;
          const parent = byId.get(`${s.traceId}/${s.parentId}`)!;
          if (during(fault, parent.start)) callerFault.push(parent.duration);
          else if (!inFault(data, parent.start)) callerFree.push(parent.duration);
        }
        if (callerFault.length >= 3) {
          const r = median(callerFault) / median(callerFree);
          assert.ok(r >= 1.2, `${fault.service}: callers' median latency ratio ${r.toFixed(2)}`);
        }
        const logs = infoRates(data, run, fault);
        assert.ok(logs.fault < 0.8 * logs.free, `${fault.service}: log lines/s ${logs.fault.toFixed(3)} vs fault-free ${logs.free.toFixed(3)}`);
        // Calls that did not get through still leave their trace: the callers log a read time-out
        // naming the target during the fault, and none in fault-free time (10 s after a fault's end
        // allows for the last calls' time-outs and retries); the target, which never served them, has
        // no error span (a delay alone makes none).
        const timeouts = (when: (t: number) => boolean) =>
          data.logs.filter(([service, t, line]) => service !== fault.service && when(t) && /Read timed out|THRIFT_TIMED_OUT/.test(line) && line.includes(fault.service)).length;
        const inside = timeouts((t) => during(fault, t));
        assert.ok(inside >= 3, `${fault.service}: ${inside} caller time-outs`);
        assert.equal(timeouts((t) => !inFault(data, t) && !inFault(data, t - 10)), 0, `${fault.service}: caller time-outs in fault-free time`);
        assert.equal(data.spans.filter((s) => s.service === fault.service && during(fault, s.start) && s.error).length, 0, `${fault.service}: error spans`);
      }
    });

    it('records the seconds in which each fault left a symptom (testbed.json symptomSeconds)', () => {
      let silentNetworkSeconds = 0;
      const byId = new Map(data.spans.map((sp) => [`${sp.traceId}/${sp.spanId}`, sp]));
      for (const run of data.manifest.runs) {
        for (const f of run.faults) {
          const seconds = f.symptomSeconds!;
          assert.ok(seconds.every((k, i) => Number.isInteger(k) && k >= 0 && k < f.duration && (i === 0 || k > seconds[i - 1]!)), `${f.service}: offsets`);
          if (f.type === 'cpu_exhaustion') {
            assert.equal(seconds.length, f.duration, `${f.service}: a hog shows in CPU every second`);
            continue;
          }
          const marked = new Set(seconds);
          // Every second in which the target served a span (always shaped by the delay or loss) or its
          // callers logged a time-out or failure naming it is marked.
          for (const sp of data.spans) {
            if (sp.service === f.service && during(f, sp.start)) assert.ok(marked.has(Math.floor(sp.start - f.start)), `${f.service}: span at +${(sp.start - f.start).toFixed(2)} s`);
          }
          // And nothing beyond: a marked second has some call through the target (served, failed or
          // timed out at the caller; the latter logged up to a time-out later) or a target error log.
          for (const k of seconds) {
            const t0 = f.start + k;
            const served = data.spans.some((sp) => (sp.service === f.service && sp.start >= t0 && sp.start < t0 + 1));
            const logged = data.logs.some(([service, t, line]) => t >= t0 && t < t0 + 12 && (service === f.service ? / ERROR |<error>/i.test(line) : line.includes(f.service)));
            // A call out of the target: a span started in that second whose parent the target served.
            const calledOut = data.spans.some((sp) => sp.start >= t0 && sp.start < t0 + 1 && sp.parentId !== null && byId.get(`${sp.traceId}/${sp.parentId}`)?.service === f.service);
            assert.ok(served || logged || calledOut, `${f.service}: +${k} s marked without a call or log`);
          }
          silentNetworkSeconds += f.duration - seconds.length;
        }
      }
      // At TT's request rate some fault seconds carry no call through the target at all.
      if (system === 'tt') assert.ok(silentNetworkSeconds > 0, 'TT network faults have silent seconds');
    });

    it('packet_loss: callers see failed calls, the target writes no error span, a heavy latency tail, log occurrences down', () => {
      for (const { run, fault } of faults(data, 'packet_loss')) {
        // A failed exchange lost its request (the target never saw it) or its reply (the target served
        // it normally): the evidence is at the callers, which log the failure naming the target.
        const failures = (when: (t: number) => boolean) =>
          data.logs.filter(([service, t, line]) => service !== fault.service && when(t) && / ERROR |<error>/i.test(line) && line.includes(fault.service)).length;
        const inside = failures((t) => during(fault, t));
        assert.ok(inside >= 3, `${fault.service}: ${inside} caller failure logs`);
        // A trace is generated whole with the world state of the second it started in (traces.ts), and
        // each of its failed calls waits up to a 3-s time-out, some retried: 30 s of grace after a fault.
        assert.equal(failures((t) => !inFault(data, t) && !inFault(data, t - 30)), 0, `${fault.service}: caller failures in fault-free time`);
        assert.equal(data.spans.filter((s) => s.service === fault.service && during(fault, s.start) && s.error && s.status !== 500).length, 0,
          `${fault.service}: the target's own spans fail only when a call it made failed (500), never with a timeout status`);
        // Errors reach the spans of the callers (through the target's failed calls) in the fault, never without one.
        const arrival = new Map<string, number>(); // a trace belongs to the time its request arrived
        for (const sp of data.spans) if (sp.parentId === null) arrival.set(sp.traceId, sp.start);
        const errFault = data.spans.filter((sp) => sp.service !== fault.service && during(fault, sp.start) && sp.error);
        const errFree = data.spans.filter((sp) => !inFault(data, arrival.get(sp.traceId)!) && sp.error);
        assert.ok(errFault.length >= 1, `${fault.service}: ${errFault.length} error spans at other services`);
        assert.ok(errFault.every((sp) => sp.status !== null && sp.status >= 500), 'error spans carry a 5xx status');
        assert.equal(errFree.length, 0, 'no error spans without a fault');
        const d = targetDurations(data, fault);
        const tail = quantile(d.fault, 0.95) / quantile(d.free, 0.95);
        assert.ok(tail >= 2, `${fault.service}: p95 ratio ${tail.toFixed(2)}`);
        const logs = infoRates(data, run, fault);
        assert.ok(logs.fault < 0.8 * logs.free, `${fault.service}: log lines/s ${logs.fault.toFixed(3)} vs fault-free ${logs.free.toFixed(3)}`);
      }
    });
  });
}
