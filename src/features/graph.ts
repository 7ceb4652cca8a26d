/**
 * The service dependency graph (paper §IV-B1), mined from spans or taken from the official code.
 *
 * A call is a span whose CHILD_OF parent, in the same trace, was served by another (or the same)
 * service: caller = the parent span's service, callee = the span's own service. An edge exists for every
 * (caller, callee) pair with at least `minCalls` calls in the training period (a time range or a set of
 * runs, chosen by the caller of `CallCounter.addTrace`).
 *
 * Direction, documented because the paper and the code disagree (reference-code-notes.md §0.1):
 * - `paper`: callee -> caller. Paper §IV-B1: "e(a,b) = (v_a, v_b) ... v_b has invoked v_a", so the edge
 *   goes from the invoked service a to its invoker b: messages flow from callees to callers.
 * - `reference`: caller -> callee, as `codes/preprocess/util.py` builds `[src, des]` from `edge_info`
 *   (keys are callers).
 * Self-loops are added to every node by default: the GAT (DGL GATv2Conv, no residual) sees a node's own
 * features only through a self-loop (reference-code-notes.md §0.2). `selfLoops: false` drops them all,
 * mined ones included, for the faithful ablation.
 */
import type { SpanRecord } from '../raw/types.js';

export type GraphDirection = 'paper' | 'reference';

export interface GraphOptions {
  /** `paper` = callee -> caller, `reference` = caller -> callee. */
  direction: GraphDirection;
  /** Add a self-loop to every node (and keep mined self-calls); false drops every self-loop. */
  selfLoops: boolean;
  /** Minimum calls in the training period for a pair to become an edge. */
  minCalls: number;
}

export const graphDefaults: GraphOptions = {
  direction: 'paper', // paper §IV-B1 (e(a,b): b invoked a)
  selfLoops: true, // ours: reference-code-notes.md §0.2 (no residual in the GAT; zero in-degree nodes are invalid)
  minCalls: 1, // paper §IV-B1 "has invoked ... at least once in the history"
};

/** One directed graph over node indices. */
export interface ServiceGraph {
  nodes: string[];
  /** [src ids, dst ids], sorted by (src, dst), no duplicates. */
  edges: [number[], number[]];
  direction: 'callee->caller' | 'caller->callee';
}

/** Counts of calls per (caller, callee) service pair, by service name. */
export class CallCounter {
  /** Key `caller\u0000callee` -> calls. */
  readonly counts = new Map<string, number>();
  /** Spans whose parent spanID is not in their trace (no caller known; not an edge). */
  orphanSpans = 0;
  /** Calls counted. */
  calls = 0;

  /**
   * Count the calls of one trace. `inRange(startUs)` (optional) keeps only spans that start in the
   * training period.
   */
  addTrace(spans: SpanRecord[], inRange?: (startUs: number) => boolean): void {
    const serviceOf = new Map<string, string>();
    for (const s of spans) serviceOf.set(s.spanId, s.service);
    for (const s of spans) {
      if (s.parentSpanId === null) continue;
      if (inRange !== undefined && !inRange(s.startUs)) continue;
      const caller = serviceOf.get(s.parentSpanId);
      if (caller === undefined) {
        this.orphanSpans++;
        continue;
      }
      const key = `${caller}\u0000${s.service}`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
      this.calls++;
    }
  }

  /** Add another counter's counts (e.g. merge the runs of the training period). */
  merge(other: CallCounter): void {
    for (const [k, v] of other.counts) this.counts.set(k, (this.counts.get(k) ?? 0) + v);
    this.orphanSpans += other.orphanSpans;
    this.calls += other.calls;
  }

  /** Pairs with their counts, sorted by caller then callee. */
  pairs(): { caller: string; callee: string; calls: number }[] {
    return [...this.counts.entries()]
      .map(([k, calls]) => {
        const [caller, callee] = k.split('\u0000') as [string, string];
        return { caller, callee, calls };
      })
      .sort((a, b) => (a.caller < b.caller ? -1 : a.caller > b.caller ? 1 : a.callee < b.callee ? -1 : a.callee > b.callee ? 1 : 0));
  }
}

/**
 * Build the graph from caller -> callee name pairs, in the requested direction, with self-loops as
 * configured. Pairs naming services outside `nodes` are left out and listed in `unknownPairs`.
 */
export function graphFromCallPairs(
  nodes: string[],
  callPairs: [string, string][],
  options: Partial<GraphOptions> = {},
): { graph: ServiceGraph; unknownPairs: [string, string][] } {
  const o = { ...graphDefaults, ...options };
  const index = new Map(nodes.map((n, i) => [n, i]));
  const keys = new Set<number>();
  const N = nodes.length;
  const unknownPairs: [string, string][] = [];
  for (const [caller, callee] of callPairs) {
    const a = index.get(caller);
    const b = index.get(callee);
    if (a === undefined || b === undefined) {
      unknownPairs.push([caller, callee]);
      continue;
    }
    if (a === b && !o.selfLoops) continue;
    const [src, dst] = o.direction === 'paper' ? [b, a] : [a, b];
    keys.add(src * N + dst);
  }
  if (o.selfLoops) for (let i = 0; i < N; i++) keys.add(i * N + i);
  const sorted = [...keys].sort((x, y) => x - y);
  const src = sorted.map((k) => Math.floor(k / N));
  const dst = sorted.map((k) => k % N);
  return {
    graph: { nodes: [...nodes], edges: [src, dst], direction: o.direction === 'paper' ? 'callee->caller' : 'caller->callee' },
    unknownPairs,
  };
}

/** Mine the graph from counted calls: pairs with at least `minCalls` calls. */
export function mineGraph(
  nodes: string[],
  counter: CallCounter,
  options: Partial<GraphOptions> = {},
): { graph: ServiceGraph; unknownPairs: [string, string][] } {
  const o = { ...graphDefaults, ...options };
  const pairs = counter
    .pairs()
    .filter((p) => p.calls >= o.minCalls)
    .map((p) => [p.caller, p.callee] as [string, string]);
  return graphFromCallPairs(nodes, pairs, o);
}

/**
 * The official hard-coded caller -> callee lists (`BEbillionaireUSD/Eadro:codes/preprocess/util.py`,
 * `Info.edge_info`), in their order, with the self-loops they list (data-formats.md §1).
 */
const OFFICIAL_TT_SHORT: Record<string, string[]> = {
  preserve: ['preserve', 'seat', 'security', 'food', 'order', 'ticketinfo', 'travel', 'contacts', 'notification', 'user', 'station'],
  seat: ['seat', 'order', 'config', 'travel'],
  cancel: ['inside-payment', 'order-other', 'order'],
  security: ['security', 'order-other', 'order'],
  food: ['travel', 'food-map', 'station'],
  travel: ['travel', 'order', 'ticketinfo', 'train', 'route'],
  'inside-payment': ['payment', 'order'],
  ticketinfo: ['ticketinfo', 'basic'],
  basic: ['basic', 'route', 'price', 'train', 'station'],
  'order-other': ['station'],
  order: ['order', 'station', 'assurance'],
  auth: ['auth', 'verification-code'],
};

const OFFICIAL_SN: Record<string, string[]> = {
  'compose-post-service': [
    'compose-post-service', 'home-timeline-service', 'media-service', 'post-storage-service',
    'text-service', 'unique-id-service', 'user-service', 'user-timeline-service',
  ],
  'home-timeline-service': ['home-timeline-service', 'post-storage-service', 'social-graph-service'],
  'post-storage-service': ['post-storage-service'],
  'social-graph-service': ['social-graph-service', 'user-service'],
  'text-service': ['text-service', 'url-shorten-service', 'user-mention-service'],
  'user-service': ['user-service'],
  'user-timeline-service': ['user-timeline-service'],
  'nginx-web-server': ['compose-post-service', 'home-timeline-service', 'nginx-web-server', 'social-graph-service', 'user-service'],
};

/** Official node lists, in the official node order (`util.py` `apiList`). */
export const officialNodes = {
  TT: [
    'assurance', 'auth', 'basic', 'cancel', 'config', 'contacts', 'food-map', 'food', 'inside-payment',
    'notification', 'order-other', 'order', 'payment', 'preserve', 'price', 'route-plan', 'route', 'seat',
    'security', 'station', 'ticketinfo', 'train', 'travel-plan', 'travel', 'travel2', 'user', 'verification-code',
  ].map((s) => `ts-${s}-service`),
  SN: [
    'social-graph-service', 'compose-post-service', 'post-storage-service', 'user-timeline-service',
    'url-shorten-service', 'user-service', 'media-service', 'text-service', 'unique-id-service',
    'user-mention-service', 'home-timeline-service', 'nginx-web-server',
  ],
} as const;

/** The official caller -> callee pairs of TT or SN, by full service name (self-loops as listed). */
export function officialCallPairs(system: 'TT' | 'SN'): [string, string][] {
  const out: [string, string][] = [];
  if (system === 'TT') {
    for (const [caller, callees] of Object.entries(OFFICIAL_TT_SHORT)) {
      for (const callee of callees) out.push([`ts-${caller}-service`, `ts-${callee}-service`]);
    }
  } else {
    for (const [caller, callees] of Object.entries(OFFICIAL_SN)) for (const callee of callees) out.push([caller, callee]);
  }
  return out;
}

/** TT or SN by node names (most nodes in one official list), or null when neither fits half the nodes. */
export function detectSystem(nodes: string[]): 'TT' | 'SN' | null {
  const hits = (list: readonly string[]): number => nodes.filter((n) => list.includes(n)).length;
  const tt = hits(officialNodes.TT);
  const sn = hits(officialNodes.SN);
  if (Math.max(tt, sn) * 2 < nodes.length || Math.max(tt, sn) === 0) return null;
  return tt >= sn ? 'TT' : 'SN';
}

/**
 * The official graph (`util.py`) over `nodes`: caller -> callee as the code does, or reversed for
 * `paper`. With `selfLoops: true` every node gets one; with false, exactly the official list (which has
 * self-loops on some nodes only; they are kept, since that IS the official graph).
 */
export function officialGraph(
  nodes: string[],
  system: 'TT' | 'SN',
  options: Partial<GraphOptions> = {},
): { graph: ServiceGraph; unknownPairs: [string, string][] } {
  const o = { ...graphDefaults, ...options };
  const index = new Map(nodes.map((n, i) => [n, i]));
  const N = nodes.length;
  const keys = new Set<number>();
  const unknownPairs: [string, string][] = [];
  for (const [caller, callee] of officialCallPairs(system)) {
    const a = index.get(caller);
    const b = index.get(callee);
    if (a === undefined || b === undefined) {
      unknownPairs.push([caller, callee]);
      continue;
    }
    keys.add(o.direction === 'paper' ? b * N + a : a * N + b);
  }
  if (o.selfLoops) for (let i = 0; i < N; i++) keys.add(i * N + i);
  const sorted = [...keys].sort((x, y) => x - y);
  return {
    graph: {
      nodes: [...nodes],
      edges: [sorted.map((k) => Math.floor(k / N)), sorted.map((k) => k % N)],
      direction: o.direction === 'paper' ? 'callee->caller' : 'caller->callee',
    },
    unknownPairs,
  };
}

/** Where two graphs over the same nodes differ, and the structural defects of each. */
export interface GraphDiff {
  /** Non-self-loop edges, as [src name, dst name] in the graphs' direction. */
  onlyInMined: [string, string][];
  onlyInOfficial: [string, string][];
  shared: number;
  mined: GraphDefects;
  official: GraphDefects;
}

export interface GraphDefects {
  /** Nodes no edge points to (their GAT output is the layer bias only). */
  noInEdges: string[];
  /** Nodes without a self-loop (they never see their own features in a GAT without residual). */
  noSelfLoop: string[];
  /** Nodes no edge leaves (their features are never a message value). */
  noOutEdges: string[];
}

export function graphDefects(g: ServiceGraph): GraphDefects {
  const N = g.nodes.length;
  const inDeg = new Int32Array(N);
  const outDeg = new Int32Array(N);
  const self = new Uint8Array(N);
  const [src, dst] = g.edges;
  for (let e = 0; e < src.length; e++) {
    const a = src[e]!;
    const b = dst[e]!;
    if (a === b) {
      self[a] = 1;
      continue;
    }
    outDeg[a]!++;
    inDeg[b]!++;
  }
  const pick = (pred: (i: number) => boolean): string[] => g.nodes.filter((_, i) => pred(i));
  return {
    noInEdges: pick((i) => inDeg[i] === 0 && self[i] === 0),
    noSelfLoop: pick((i) => self[i] === 0),
    noOutEdges: pick((i) => outDeg[i] === 0 && self[i] === 0),
  };
}

/** Compare two graphs over the same node list and direction. */
export function diffGraphs(mined: ServiceGraph, official: ServiceGraph): GraphDiff {
  if (mined.direction !== official.direction) {
    throw new Error(`diffGraphs: directions differ (${mined.direction} vs ${official.direction})`);
  }
  const names = (g: ServiceGraph): Map<string, [string, string]> => {
    const m = new Map<string, [string, string]>();
    for (let e = 0; e < g.edges[0].length; e++) {
      const a = g.nodes[g.edges[0][e]!]!;
      const b = g.nodes[g.edges[1][e]!]!;
      if (a !== b) m.set(`${a}\u0000${b}`, [a, b]);
    }
    return m;
  };
  const m = names(mined);
  const o = names(official);
  return {
    onlyInMined: [...m.entries()].filter(([k]) => !o.has(k)).map(([, v]) => v),
    onlyInOfficial: [...o.entries()].filter(([k]) => !m.has(k)).map(([, v]) => v),
    shared: [...m.keys()].filter((k) => o.has(k)).length,
    mined: graphDefects(mined),
    official: graphDefects(official),
  };
}
