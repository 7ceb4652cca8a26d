/** Shared test data of the baseline tests. */
import type { WindowDataset } from '../../src/windows/types.js';

/**
 * A latency-only window dataset of 2 services ('a', 'b') in one run and one episode: `lat[w][n]` are
 * window w's latency slots of service n (ms, 0 = no span), T = their count; windows start 10 s apart.
 */
export function latencyDataset(lat: number[][][], labels: number[], normalization: WindowDataset['normalization'] = 'none'): WindowDataset {
  return {
    nodes: ['a', 'b'],
    edges: [[], []],
    edgeDirection: 'callee->caller',
    T: (lat[0] as number[][])[0]!.length,
    metricNames: [],
    eventNum: 0,
    W: lat.length,
    logs: new Float32Array(0),
    metrics: new Float32Array(0),
    traces: Float32Array.from(lat.flat(2)),
    labels: Int32Array.from(labels),
    meta: {
      start: Float64Array.from(labels.map((_, w) => 10 * w)),
      runId: labels.map(() => 'r'),
      episodeId: Int32Array.from(labels.map(() => 0)),
      faultType: labels.map((l) => (l >= 0 ? 'network_delay' : '')),
      episodeService: labels.map(() => 'a'),
    },
    normalization,
  };
}
