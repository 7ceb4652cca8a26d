/**
 * A simulated system: its services, the request flows (call trees) that users trigger, and the
 * request mix. The built-in TrainTicket and SocialNetwork systems (`systems/`) are written in this
 * shape, and a user can pass their own as a JSON file (`loadTopologyFile`). Edges are never listed:
 * caller/callee pairs follow from the flows, as they do from real traces.
 */
import * as fs from 'node:fs';
import { EadroError, preview } from '../core/errors.js';

/** How log lines of a system look (`logs.ts`): Spring Boot (TT) or Boost.Log (SN). */
export type LogStyle = 'java' | 'cpp';

/** One call in a flow: the callee service, the operation it serves, and what it calls in turn. */
export interface CallSpec {
  /** Callee service (bare name, as spans and metric files use it). */
  service: string;
  /** Jaeger operationName, e.g. `POST /api/v1/orderservice/order`. */
  operation: string;
  /** Median own processing time of this operation, milliseconds (default: the service's). */
  processingMs?: number;
  /** Calls made while serving this one. */
  calls?: CallSpec[];
  /** true: the calls run concurrently (duration = slowest); false: one after another. */
  parallel?: boolean;
  /** Probability that the parent makes this call at all (default 1). */
  probability?: number;
  /** How many times the parent makes it: a count, or an inclusive [min, max] range (default 1). */
  repeat?: number | [number, number];
}

/**
 * A user request type and its share of the request mix: one API call (a call tree, one trace), or a
 * user scenario of several API calls made one after another by the same client, each its own trace
 * (TT's request simulators log in, search, book and pay in one scenario; `then`).
 */
export interface FlowSpec {
  name: string;
  /** Relative weight in the request mix (need not sum to 1). */
  weight: number;
  /** The first API call. */
  root: CallSpec;
  /**
   * Further API calls of the scenario, in order; each starts when the previous one has returned plus
   * a think time (simulate.ts), and its `probability` says how often the client makes it at all.
   */
  then?: CallSpec[];
}

/** The API calls of a flow in order: its root, then its scenario steps. */
export function flowSteps(flow: FlowSpec): CallSpec[] {
  return flow.then === undefined ? [flow.root] : [flow.root, ...flow.then];
}

export interface ServiceSpec {
  /** Bare service name, e.g. `ts-order-service`. */
  name: string;
  /** Median own processing time of an operation, milliseconds. */
  processingMs: number;
  /** Idle CPU use, percent of one core. */
  idleCpuPercent: number;
  /** CPU time per request served, milliseconds (drives CPU with load). */
  cpuMsPerRequest: number;
  /** Resident memory floor, MiB. */
  memoryMiB: number;
}

export interface Topology {
  /** Short name, used in run manifests (`tt`, `sn`, or the user's). */
  name: string;
  services: ServiceSpec[];
  flows: FlowSpec[];
  /** Poisson arrival rate range, requests per second; each run draws its rate uniformly in it. */
  requestRate: { min: number; max: number };
  logStyle: LogStyle;
  /** Container name in fault records, `{service}` replaced by the bare service name. */
  containerPattern: string;
}

/** Defaults filled in for fields a user topology leaves out. */
export const topologyDefaults = {
  /** ours: a typical in-cluster REST handler. */
  processingMs: 15,
  /** ours: an idle JVM/C++ container under cAdvisor shows a few percent. */
  idleCpuPercent: 2,
  /** ours: a few ms of CPU per request. */
  cpuMsPerRequest: 4,
  /** ours: a small service. */
  memoryMiB: 200,
  /** paper §V-A: TT's request rate. */
  requestRate: { min: 0.2, max: 0.5 },
  logStyle: 'java' as LogStyle,
  /** ours: containers named like their services. */
  containerPattern: '{service}',
};

/** Every service reached by a call tree, in visiting order. */
export function servicesInCall(call: CallSpec, out: Set<string> = new Set()): Set<string> {
  out.add(call.service);
  for (const child of call.calls ?? []) servicesInCall(child, out);
  return out;
}

/** The caller -> callee pairs that the flows can produce, as `caller->callee` strings, sorted. */
export function flowEdges(topology: Topology): string[] {
  const pairs = new Set<string>();
  const visit = (call: CallSpec): void => {
    for (const child of call.calls ?? []) {
      pairs.add(`${call.service}->${child.service}`);
      visit(child);
    }
  };
  for (const flow of topology.flows) for (const step of flowSteps(flow)) visit(step);
  return [...pairs].sort();
}

/** Container name of a service in fault records. */
export function containerName(topology: Topology, service: string): string {
  return topology.containerPattern.split('{service}').join(service);
}

// ---------------------------------------------------------------------------------------------
// Validation of a user's topology file

type Json = unknown;

class Checker {
  constructor(readonly file: string) {}

  fail(field: string, expected: string, found: Json): never {
    throw new EadroError('Invalid topology file.', { file: this.file, field, expected, found: preview(found) });
  }

  object(value: Json, field: string): Record<string, Json> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(field, 'a JSON object', value);
    return value as Record<string, Json>;
  }

  string(value: Json, field: string): string {
    if (typeof value !== 'string' || value.length === 0) this.fail(field, 'a non-empty string', value);
    return value;
  }

  positive(value: Json, field: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) this.fail(field, 'a positive number', value);
    return value;
  }

  optionalPositive(value: Json, field: string, fallback: number): number {
    return value === undefined ? fallback : this.positive(value, field);
  }
}

function checkCall(c: Checker, value: Json, field: string, known: Set<string>, depth: number): CallSpec {
  if (depth > 32) c.fail(field, 'a call tree at most 32 levels deep', '(deeper)');
  const o = c.object(value, field);
  const service = c.string(o['service'], `${field}.service`);
  if (!known.has(service)) c.fail(`${field}.service`, `one of the services listed under "services" (${[...known].join(', ')})`, service);
  const call: CallSpec = { service, operation: o['operation'] === undefined ? `${service}/handle` : c.string(o['operation'], `${field}.operation`) };
  if (o['processingMs'] !== undefined) call.processingMs = c.positive(o['processingMs'], `${field}.processingMs`);
  if (o['parallel'] !== undefined) {
    if (typeof o['parallel'] !== 'boolean') c.fail(`${field}.parallel`, 'true or false', o['parallel']);
    call.parallel = o['parallel'];
  }
  if (o['probability'] !== undefined) {
    const p = o['probability'];
    if (typeof p !== 'number' || !(p > 0 && p <= 1)) c.fail(`${field}.probability`, 'a number in (0, 1]', p);
    call.probability = p;
  }
  if (o['repeat'] !== undefined) {
    const r = o['repeat'];
    const isCount = (x: Json): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1;
    if (isCount(r)) call.repeat = r;
    else if (Array.isArray(r) && r.length === 2 && isCount(r[0]) && isCount(r[1]) && r[0] <= r[1]) call.repeat = [r[0], r[1]];
    else c.fail(`${field}.repeat`, 'a positive integer or [min, max] with 1 <= min <= max', r);
  }
  if (o['calls'] !== undefined) {
    if (!Array.isArray(o['calls'])) c.fail(`${field}.calls`, 'a list of calls', o['calls']);
    call.calls = o['calls'].map((child, i) => checkCall(c, child, `${field}.calls[${i}]`, known, depth + 1));
  }
  return call;
}

/**
 * Check a parsed topology object and fill in defaults. `file` names the source in error messages.
 * Services may be given as names or as objects with the fields of `ServiceSpec`.
 */
export function parseTopology(value: Json, file = '(topology)'): Topology {
  const c = new Checker(file);
  const o = c.object(value, '(root)');
  const name = o['name'] === undefined ? 'custom' : c.string(o['name'], 'name');
  const rawServices = o['services'];
  if (!Array.isArray(rawServices) || rawServices.length === 0) c.fail('services', 'a non-empty list of services (names or objects)', rawServices);
  const services: ServiceSpec[] = (rawServices as Json[]).map((s, i) => {
    const field = `services[${i}]`;
    if (typeof s === 'string') s = { name: s };
    const so = c.object(s, field);
    return {
      name: c.string(so['name'], `${field}.name`),
      processingMs: c.optionalPositive(so['processingMs'], `${field}.processingMs`, topologyDefaults.processingMs),
      idleCpuPercent: c.optionalPositive(so['idleCpuPercent'], `${field}.idleCpuPercent`, topologyDefaults.idleCpuPercent),
      cpuMsPerRequest: c.optionalPositive(so['cpuMsPerRequest'], `${field}.cpuMsPerRequest`, topologyDefaults.cpuMsPerRequest),
      memoryMiB: c.optionalPositive(so['memoryMiB'], `${field}.memoryMiB`, topologyDefaults.memoryMiB),
    };
  });
  const known = new Set<string>();
  services.forEach((s, i) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s.name)) c.fail(`services[${i}].name`, 'letters, digits, ".", "_" or "-" (it becomes a file name)', s.name);
    if (known.has(s.name)) c.fail(`services[${i}].name`, 'a name not listed before', s.name);
    known.add(s.name);
  });
  const rawFlows = o['flows'];
  if (!Array.isArray(rawFlows) || rawFlows.length === 0) c.fail('flows', 'a non-empty list of flows {name, weight, root, then?}', rawFlows);
  const flows: FlowSpec[] = (rawFlows as Json[]).map((f, i) => {
    const fo = c.object(f, `flows[${i}]`);
    const flow: FlowSpec = {
      name: c.string(fo['name'], `flows[${i}].name`),
      weight: c.positive(fo['weight'], `flows[${i}].weight`),
      root: checkCall(c, fo['root'], `flows[${i}].root`, known, 0),
    };
    if (fo['then'] !== undefined) {
      if (!Array.isArray(fo['then'])) c.fail(`flows[${i}].then`, 'a list of calls (the scenario steps after root)', fo['then']);
      flow.then = (fo['then'] as Json[]).map((step, k) => checkCall(c, step, `flows[${i}].then[${k}]`, known, 0));
    }
    return flow;
  });
  let requestRate = topologyDefaults.requestRate;
  if (o['requestRate'] !== undefined) {
    const r = c.object(o['requestRate'], 'requestRate');
    const min = c.positive(r['min'], 'requestRate.min');
    const max = c.positive(r['max'], 'requestRate.max');
    if (max < min) c.fail('requestRate.max', `a number >= requestRate.min (${min})`, max);
    requestRate = { min, max };
  }
  let logStyle = topologyDefaults.logStyle;
  if (o['logStyle'] !== undefined) {
    const style = o['logStyle'];
    if (style !== 'java' && style !== 'cpp') c.fail('logStyle', '"java" or "cpp"', style);
    logStyle = style as LogStyle;
  }
  let containerPattern = topologyDefaults.containerPattern;
  if (o['containerPattern'] !== undefined) {
    containerPattern = c.string(o['containerPattern'], 'containerPattern');
    if (!containerPattern.includes('{service}')) c.fail('containerPattern', 'a pattern containing "{service}"', containerPattern);
  }
  const topology: Topology = { name, services, flows, requestRate, logStyle, containerPattern };
  const reached = new Set<string>();
  for (const flow of flows) for (const step of flowSteps(flow)) servicesInCall(step, reached);
  const unreached = services.filter((s) => !reached.has(s.name)).map((s) => s.name);
  if (unreached.length > 0) {
    c.fail('flows', 'every listed service to be called by at least one flow (faults are injected into each)', unreached.join(', '));
  }
  return topology;
}

/** Read and check a user's topology JSON file; every problem is an EadroError naming file and field. */
export function loadTopologyFile(file: string): Topology {
  if (!fs.existsSync(file)) throw new EadroError('Topology file not found.', { file, expected: 'a JSON file describing services and flows' });
  let value: Json;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new EadroError('Topology file is not valid JSON.', { file, found: (err as Error).message });
  }
  return parseTopology(value, file);
}
