/**
 * One request -> one trace. Walks a flow's call tree: a span's duration is the per-hop network time
 * plus the callee's own processing (log-normal, with a rare heavy tail: slow endpoints) plus its
 * children (one after another, or concurrently). Durations are as the CALLER observes them (they
 * include the network both ways), so a delay on the target shows in the target's spans, in the spans
 * of the calls it makes, and in every ancestor's span.
 *
 * Also records what the trace did to the per-second counters (requests served, bytes, drops) and
 * emits the log lines of request handling and of failed calls. Serialises to Jaeger JSON; every span
 * carries `http.status_code` (200, or 500 when it failed) and failed ones `error: true`, as Jaeger's
 * HTTP instrumentation tags them (src/raw/spans.ts reads either as an error).
 *
 * Code-level faults (faults.ts): under `exception` a share of the target's calls throw once their work
 * is done (same processing, calls and duration; a 500 span and an exception log); under
 * `error_return` a share of its answers are wrong (a normal 200 span), which the caller notices.
 */
import type { Rng } from '../core/rng.js';
import type { CallSpec, Topology } from './topology.js';
import { faultDefaults } from './faults.js';
import type { KpiAccumulator } from './kpis.js';
import { logDefaults, type LogBuffer, type LogRenderer, type ServiceLogTemplates } from './logs.js';

export const traceDefaults = {
  /** ours: per-hop network time inside a cluster, median ms (log-normal, sigma 0.4). */
  hopMs: 0.6,
  /** ours: log-normal sigma of own processing time around the operation's median. */
  processingSigma: 0.45,
  /** ours: share of calls that hit a slow path (cold cache, big result) and its Pareto factor (scale, shape). */
  slowPathProbability: 0.015,
  slowPathScale: 3,
  slowPathShape: 1.5,
  /** ours: request and response sizes, median bytes (log-normal, sigma 0.5), per log style. */
  requestBytes: { java: 700, cpp: 280 },
  responseBytes: { java: 2600, cpp: 900 },
  /** ours: how long a caller waits on a call whose packets were dropped, or on an unreachable callee, before it gives up, ms. */
  failTimeoutMs: [800, 3000] as [number, number],
};

/** The state of every service at the current second, set by the simulator. */
export interface WorldState {
  /** Processing-time factor per service (faults, jobs, noisy neighbours). */
  slowdown: Float64Array;
  /** Added network delay per service (network_delay target), ms. */
  delayMs: Float64Array;
  /** Packet loss rate per service (packet_loss target). */
  lossRate: Float64Array;
  /** Share of served calls that throw (exception target). */
  exceptionRate: Float64Array;
  /** Share of answers that are wrong (error_return target). */
  wrongResultRate: Float64Array;
}

export interface TraceContext {
  topology: Topology;
  serviceIndex: Map<string, number>;
  /** `"<service>"` JSON-escaped, per service; operation names JSON-escaped, cached. */
  serviceJson: string[];
  opJson: Map<string, string>;
  hostNames: string[];
  ports: number[];
  templates: ServiceLogTemplates[];
  renderer: LogRenderer;
  logs: LogBuffer;
  kpi: KpiAccumulator;
  runStart: number;
  state: WorldState;
  rng: Rng;
}

interface SpanRec {
  spanId: string;
  parentId: string | null;
  service: number;
  operation: string;
  startUs: number;
  durationUs: number;
  status: number;
  error: boolean;
}

export interface TraceResult {
  json: string;
  spans: number;
  /** Duration of the root call as the client sees it, microseconds. */
  durationUs: number;
  /** Whether the client got an error (the root span is an error, or the root service was unreachable). */
  error: boolean;
}

/**
 * How one call ended for its caller: its duration as the caller saw it; whether it failed, and why
 * (`network`: no answer, a time-out or a reset, or a 500 caused by one further down; `server`: a 500
 * caused by a thrown exception or a rejected wrong answer); whether a 200 answer was wrong.
 */
interface CallOutcome {
  durationUs: number;
  error: boolean;
  failure: 'network' | 'server' | null;
  wrong: boolean;
}

function hex16(rng: Rng): string {
  return rng.nextUint32().toString(16).padStart(8, '0') + rng.nextUint32().toString(16).padStart(8, '0');
}

function repeatCount(spec: CallSpec, rng: Rng): number {
  const r = spec.repeat;
  if (r === undefined) return 1;
  if (typeof r === 'number') return r;
  return r[0] + rng.int(r[1] - r[0] + 1);
}

class TraceBuilder {
  readonly spans: SpanRec[] = [];
  constructor(
    private readonly ctx: TraceContext,
    private readonly styleKey: 'java' | 'cpp',
    /** Services this trace's calls cannot reach (network faults; simulate.ts draws them per step). */
    private readonly unreachable: ReadonlySet<number> | undefined,
  ) {}

  private log(service: number, time: number, tpl: Parameters<LogRenderer['render']>[0], values?: Parameters<LogRenderer['render']>[3]): void {
    this.ctx.logs.add(service, time, this.ctx.renderer.render(tpl, time, this.ctx.ports[service]!, values));
  }

  private count(arr: Float64Array, service: number, timeUs: number, amount: number): void {
    const slot = this.ctx.kpi.slot(service, Math.floor(timeUs / 1e6) - this.ctx.runStart);
    if (slot >= 0) arr[slot] += amount;
  }

  /** The stack trace of an exception: continuation lines at the header's time, so they stay right after it. */
  private logException(service: number, time: number, operation: string): void {
    const x = this.ctx.templates[service]!.exception.get(operation)!;
    this.log(service, time, x.header);
    for (const line of x.stack) this.ctx.logs.add(service, time, line);
  }

  /** Generate one call (and its subtree) starting at startUs; returns how it ended for the caller. */
  call(spec: CallSpec, caller: number, parentId: string | null, startUs: number): CallOutcome {
    const { ctx } = this;
    const rng = ctx.rng;
    const d = traceDefaults;
    const fd = faultDefaults;
    const callee = ctx.serviceIndex.get(spec.service)!;
    const st = ctx.state;
    let netUs = 1000 * d.hopMs * Math.exp(0.4 * rng.normal());
    const delay = st.delayMs[callee]! + (caller >= 0 ? st.delayMs[caller]! : 0);
    if (delay > 0) netUs += 1000 * delay * (1 + faultDefaults.delayJitter * (2 * rng.next() - 1));
    const loss = Math.max(st.lossRate[callee]!, caller >= 0 ? st.lossRate[caller]! : 0);
    // Ground truth only (no random draw): this call carries the mark of a network fault on either end.
    // An unreachable root service leaves nothing at all (no span is written; only the client knows).
    const unreachable = this.unreachable?.has(callee) === true;
    const calleeMarked = unreachable ? caller >= 0 : st.delayMs[callee]! > 0 || st.lossRate[callee]! > 0;
    if (calleeMarked) this.count(ctx.kpi.faultSymptoms, callee, startUs, 1);
    if (caller >= 0 && (st.delayMs[caller]! > 0 || st.lossRate[caller]! > 0)) this.count(ctx.kpi.faultSymptoms, caller, startUs, 1);
    const reqBytes = d.requestBytes[this.styleKey] * Math.exp(0.5 * rng.normal());
    const respBytes = d.responseBytes[this.styleKey] * Math.exp(0.5 * rng.normal());
    if (caller >= 0) this.count(ctx.kpi.txBytes, caller, startUs, reqBytes); // sent, whatever becomes of it
    if (unreachable) {
      // The call never gets through to the faulted target (the connection or the request is held up
      // past the caller's time-out): the target serves nothing, so it leaves no (server) span; the
      // caller waits its time-out, fails the call and logs it (below, in the caller's loop).
      return { durationUs: Math.round(netUs + 1000 * rng.uniform(d.failTimeoutMs[0], d.failTimeoutMs[1])), error: true, failure: 'network', wrong: false };
    }
    // A lost packet: usually TCP retransmits it (a heavy latency tail); in a share lossFailShare the
    // exchange fails. Then either the request was lost (the callee never handles it: no span, no log)
    // or the reply was (the callee served the call and its own span is normal); either way the caller
    // waits its time-out, or less on a connection reset, and sees an error.
    let lost: 'request' | 'reply' | null = null;
    let callerWaitUs = 0;
    if (loss > 0 && rng.next() < loss) {
      this.count(ctx.kpi.dropped, st.lossRate[callee]! > 0 ? callee : caller, startUs, 1 + rng.int(3));
      if (rng.next() < fd.lossFailShare) {
        lost = rng.bernoulli(fd.lossRequestShare) ? 'request' : 'reply';
        const waitMs = rng.bernoulli(0.5) ? rng.uniform(d.failTimeoutMs[0], d.failTimeoutMs[1]) : rng.uniform(5, 60);
        callerWaitUs = netUs + waitMs * 1000;
      } else netUs += 1000 * Math.min(rng.pareto(fd.retransmitScaleMs, fd.retransmitShape), fd.retransmitCapMs);
    }
    if (lost === 'request') return { durationUs: Math.round(callerWaitUs), error: true, failure: 'network', wrong: false };
    const rec: SpanRec = { spanId: hex16(rng), parentId, service: callee, operation: spec.operation, startUs: Math.round(startUs), durationUs: 0, status: 200, error: false };
    this.spans.push(rec);
    this.count(ctx.kpi.requests, callee, startUs, 1);
    this.count(ctx.kpi.rxBytes, callee, startUs, reqBytes);
    const service = ctx.topology.services[callee]!;
    let procMs = (spec.processingMs ?? service.processingMs) * st.slowdown[callee]! * Math.exp(d.processingSigma * rng.normal());
    if (rng.next() < d.slowPathProbability) procMs *= rng.pareto(d.slowPathScale, d.slowPathShape);
    const arriveUs = startUs + netUs / 2;
    let cursor = arriveUs + procMs * 600; // 60% of own work before the first call, in microseconds
    const templates = ctx.templates[callee]!;
    const reqTpl = templates.request.get(spec.operation)!;
    this.log(callee, arriveUs / 1e6, reqTpl.begin);
    let error = false;
    /** Why this call fails when `error`: the cause of the first failure it passed on. */
    let cause: CallOutcome['failure'] = null;
    /** A wrong answer made this handler reject its request: its later (sequential) calls are not made. */
    let rejected = false;
    const children = spec.calls ?? [];
    let parallelEnd = cursor;
    for (const child of children) {
      if (rejected) break;
      if (child.probability !== undefined && rng.next() >= child.probability) continue;
      const n = repeatCount(child, rng);
      for (let k = 0; k < n && !rejected; k++) {
        const at = spec.parallel === true ? cursor : parallelEnd;
        let r = this.call(child, callee, rec.spanId, at);
        let end = at + r.durationUs;
        if (r.error) {
          const calleeName = child.service;
          // A 500 from a thrown exception or rejection reads as a server error; no answer (or a 500
          // caused by one further down) as a time-out or a connection failure, by how long it took.
          const failTpl = r.failure === 'server' ? templates.callerServerError : r.durationUs > 100_000 ? templates.callerTimeout : templates.callerFailure;
          this.log(callee, end / 1e6, failTpl, { callee: calleeName, route: child.operation });
          if (rng.next() < fd.retryProbability) {
            this.log(callee, end / 1e6, templates.callerRetry, { callee: calleeName, code: r.failure === 'server' ? 500 : 503 });
            r = this.call(child, callee, rec.spanId, end);
            end += r.durationUs;
          }
          if (r.error && rng.next() < fd.errorPropagation) {
            error = true;
            cause ??= r.failure;
          }
        } else if (r.durationUs > fd.slowCallWarnMs * 1000 && rng.next() < 0.5) {
          this.log(callee, end / 1e6, templates.slowCallee, { callee: child.service, ms: r.durationUs / 1000 });
        }
        if (!r.error && r.wrong) {
          // error_return: this handler validates the answer. Ground truth: the fault showed here.
          this.count(ctx.kpi.faultSymptoms, ctx.serviceIndex.get(child.service)!, end, 1);
          if (rng.next() < fd.wrongResultFallbackShare) {
            this.log(callee, end / 1e6, templates.callerFallback, { callee: child.service, route: child.operation });
          } else {
            this.log(callee, end / 1e6, templates.callerBadResult, { callee: child.service, route: child.operation });
            error = true;
            cause ??= 'server';
            // Concurrent calls are already under way; sequential ones after this are skipped.
            if (spec.parallel !== true) rejected = true;
          }
        }
        if (spec.parallel === true) parallelEnd = Math.max(parallelEnd, end);
        else parallelEnd = end;
      }
    }
    const doneUs = parallelEnd + procMs * 400;
    const endUs = doneUs + netUs / 2;
    rec.durationUs = Math.max(1, Math.round(endUs - startUs));
    // exception: the handler's work is done (same processing, calls and duration), then it throws.
    const exRate = st.exceptionRate[callee]!;
    const threw = !error && exRate > 0 && rng.next() < exRate;
    if (threw) {
      rec.error = true;
      rec.status = 500;
      cause = 'server';
      this.logException(callee, doneUs / 1e6, spec.operation);
      this.count(ctx.kpi.faultSymptoms, callee, doneUs, 1);
    } else if (error) {
      rec.error = true;
      rec.status = 500;
    } else {
      this.log(callee, doneUs / 1e6, reqTpl.end, { ms: (doneUs - arriveUs) / 1000 });
      if (rng.next() < logDefaults.detailProbability) this.log(callee, doneUs / 1e6, reqTpl.detail);
    }
    this.count(ctx.kpi.txBytes, callee, doneUs, respBytes);
    if (lost === 'reply') return { durationUs: Math.round(Math.max(rec.durationUs, callerWaitUs)), error: true, failure: 'network', wrong: false };
    if (caller >= 0) this.count(ctx.kpi.rxBytes, caller, endUs, respBytes);
    // error_return: the answer looks normal (200, usual logs) but is wrong; only a caller can tell.
    const wrongRate = st.wrongResultRate[callee]!;
    const wrong = !rec.error && wrongRate > 0 && rng.next() < wrongRate;
    return { durationUs: rec.durationUs, error: rec.error, failure: rec.error ? (cause ?? 'network') : null, wrong };
  }
}

/**
 * Generate a trace for a flow started at `startUs` and serialise it as Jaeger JSON. Calls into the
 * `unreachable` services fail at their callers after a time-out; when the root service itself is
 * unreachable the trace has no span (`spans` is 0) and the client sees an error.
 */
export function generateTrace(ctx: TraceContext, root: CallSpec, startUs: number, unreachable?: ReadonlySet<number>): TraceResult {
  const builder = new TraceBuilder(ctx, ctx.topology.logStyle, unreachable);
  const traceId = hex16(ctx.rng);
  const { durationUs, error } = builder.call(root, -1, null, startUs);
  return { json: jaegerTraceJson(ctx, traceId, builder.spans), spans: builder.spans.length, durationUs, error };
}

function jaegerTraceJson(ctx: TraceContext, traceId: string, spans: SpanRec[]): string {
  const pids = new Map<number, string>();
  let out = `{"traceID":"${traceId}","spans":[`;
  for (let i = 0; i < spans.length; i++) {
    const s = spans[i]!;
    let pid = pids.get(s.service);
    if (pid === undefined) {
      pid = `p${pids.size + 1}`;
      pids.set(s.service, pid);
    }
    let op = ctx.opJson.get(s.operation);
    if (op === undefined) {
      op = JSON.stringify(s.operation);
      ctx.opJson.set(s.operation, op);
    }
    const refs = s.parentId === null ? '[]' : `[{"refType":"CHILD_OF","traceID":"${traceId}","spanID":"${s.parentId}"}]`;
    const errTag = s.error ? ',{"key":"error","type":"bool","value":true}' : '';
    out +=
      `${i > 0 ? ',' : ''}{"traceID":"${traceId}","spanID":"${s.spanId}","flags":1,"operationName":${op},"references":${refs},` +
      `"startTime":${s.startUs},"duration":${s.durationUs},"tags":[{"key":"span.kind","type":"string","value":"server"},` +
      `{"key":"http.status_code","type":"int64","value":${s.status}}${errTag}],"logs":[],"processID":"${pid}","warnings":null}`;
  }
  out += '],"processes":{';
  let first = true;
  for (const [service, pid] of pids) {
    out += `${first ? '' : ','}"${pid}":{"serviceName":${ctx.serviceJson[service]},"tags":[{"key":"hostname","type":"string","value":"${ctx.hostNames[service]}"}]}`;
    first = false;
  }
  out += '},"warnings":null}';
  return out;
}
