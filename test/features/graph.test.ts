import { strict as assert } from 'node:assert';
import {
  CallCounter,
  diffGraphs,
  graphDefects,
  mineGraph,
  officialGraph,
  officialNodes,
  type ServiceGraph,
} from '../../src/features/graph.js';
import type { SpanRecord } from '../../src/raw/types.js';

function span(spanId: string, parent: string | null, service: string, startUs = 1_000_000): SpanRecord {
  return { traceId: 't', spanId, parentSpanId: parent, service, operation: 'op', startUs, durationUs: 1000, error: false, statusCode: 200 };
}

function edgeNames(g: ServiceGraph): string[] {
  return g.edges[0].map((s, i) => `${g.nodes[s]}>${g.nodes[g.edges[1][i]!]}`).sort();
}

describe('features/graph', () => {
  // Known topology: gateway calls order and user; order calls db; one span has a parent outside the trace.
  const trace = [
    span('1', null, 'gateway'),
    span('2', '1', 'order'),
    span('3', '2', 'db'),
    span('4', '1', 'user'),
    span('5', 'missing', 'user'),
  ];
  const nodes = ['db', 'gateway', 'order', 'user'];

  it('mines caller -> callee pairs from parent references and counts orphans', () => {
    const c = new CallCounter();
    c.addTrace(trace);
    assert.deepEqual(c.pairs(), [
      { caller: 'gateway', callee: 'order', calls: 1 },
      { caller: 'gateway', callee: 'user', calls: 1 },
      { caller: 'order', callee: 'db', calls: 1 },
    ]);
    assert.equal(c.orphanSpans, 1);
  });

  it('paper direction is callee -> caller, reference caller -> callee, self-loops on every node', () => {
    const c = new CallCounter();
    c.addTrace(trace);
    const paper = mineGraph(nodes, c).graph;
    assert.equal(paper.direction, 'callee->caller');
    assert.deepEqual(edgeNames(paper), ['db>db', 'db>order', 'gateway>gateway', 'order>gateway', 'order>order', 'user>gateway', 'user>user']);
    const ref = mineGraph(nodes, c, { direction: 'reference', selfLoops: false }).graph;
    assert.equal(ref.direction, 'caller->callee');
    assert.deepEqual(edgeNames(ref), ['gateway>order', 'gateway>user', 'order>db']);
  });

  it('keeps only calls in the training period and respects minCalls', () => {
    const c = new CallCounter();
    c.addTrace(trace, (startUs) => startUs < 1_000_000); // nothing in range
    assert.equal(c.calls, 0);
    const d = new CallCounter();
    d.addTrace(trace);
    d.addTrace(trace);
    d.addTrace([span('a', null, 'gateway'), span('b', 'a', 'order')]);
    const g = mineGraph(nodes, d, { direction: 'reference', selfLoops: false, minCalls: 3 }).graph;
    assert.deepEqual(edgeNames(g), ['gateway>order']);
  });

  it('official TT graph: 4 services without in-edges and 15 without out-edges (reference direction, as listed)', () => {
    const nodesTT = [...officialNodes.TT];
    const g = officialGraph(nodesTT, 'TT', { direction: 'reference', selfLoops: false }).graph;
    const d = graphDefects(g);
    assert.deepEqual(d.noInEdges.map((s) => s.replace(/^ts-|-service$/g, '')).sort(), ['cancel', 'route-plan', 'travel-plan', 'travel2']);
    assert.equal(d.noOutEdges.length, 15);
    const sn = graphDefects(officialGraph([...officialNodes.SN], 'SN', { direction: 'reference', selfLoops: false }).graph);
    assert.deepEqual(sn.noOutEdges.sort(), ['media-service', 'unique-id-service', 'url-shorten-service', 'user-mention-service']);
  });

  it('diff report lists edges only in one graph and nodes with no in-edges / no self-loop', () => {
    const nodesSN = [...officialNodes.SN];
    const c = new CallCounter();
    c.addTrace([span('1', null, 'nginx-web-server'), span('2', '1', 'compose-post-service'), span('3', '2', 'media-service')]);
    c.addTrace([span('1', null, 'nginx-web-server'), span('2', '1', 'media-service')]); // not in the official list
    const mined = mineGraph(nodesSN, c, { direction: 'reference', selfLoops: false }).graph;
    const official = officialGraph(nodesSN, 'SN', { direction: 'reference', selfLoops: false }).graph;
    const diff = diffGraphs(mined, official);
    assert.deepEqual(diff.onlyInMined, [['nginx-web-server', 'media-service']]);
    assert.equal(diff.shared, 2);
    assert.equal(diff.onlyInOfficial.length, 16 - 2); // SN lists 16 non-self-loop pairs
    assert.ok(diff.official.noSelfLoop.includes('media-service'));
    assert.ok(diff.mined.noInEdges.includes('user-service'));
  });
});
