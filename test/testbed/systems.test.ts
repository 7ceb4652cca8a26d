/** The built-in systems: the caller/callee pairs their flows produce vs the official edge lists. */
import { strict as assert } from 'node:assert';
import {
  flowEdges, flowSteps, servicesInCall, socialNetwork, SN_EXTRA_EDGES, SN_OFFICIAL_EDGES, SN_SERVICE_NAMES, trainTicket,
  TT_OFFICIAL_EDGES, TT_SERVICE_NAMES, buildServiceTemplates,
} from '../../src/testbed/index.js';

const pairs = (list: ReadonlyArray<readonly [string, string[]]>, name: (s: string) => string): string[] =>
  list.flatMap(([from, tos]) => tos.map((to) => `${name(from)}->${name(to)}`)).sort();

describe('testbed systems', () => {
  it('TT: 27 services named ts-<name>-service; flow pairs equal the official edge list exactly', () => {
    const tt = trainTicket();
    assert.equal(tt.services.length, 27);
    assert.deepEqual(tt.services.map((s) => s.name), TT_SERVICE_NAMES.map((n) => `ts-${n}-service`));
    const official = pairs(TT_OFFICIAL_EDGES, (s) => `ts-${s}-service`);
    assert.equal(official.length, 36);
    assert.deepEqual(flowEdges(tt), official);
  });

  it('SN: 12 services; flow pairs = official list + the documented extra pairs', () => {
    const sn = socialNetwork();
    assert.deepEqual(sn.services.map((s) => s.name), [...SN_SERVICE_NAMES]);
    assert.ok(sn.services.some((s) => s.name === 'nginx-web-server'));
    const official = pairs(SN_OFFICIAL_EDGES, (s) => s);
    const extra = SN_EXTRA_EDGES.map(([a, b]) => `${a}->${b}`);
    assert.deepEqual(flowEdges(sn), [...official, ...extra].sort());
    for (const e of extra) assert.ok(!official.includes(e));
  });

  it('every service is reached by some flow, and request rates follow paper §V-A', () => {
    for (const [topology, rate] of [[trainTicket(), { min: 0.2, max: 0.5 }], [socialNetwork(), { min: 2, max: 3 }]] as const) {
      const reached = new Set<string>();
      for (const f of topology.flows) for (const step of flowSteps(f)) servicesInCall(step, reached);
      assert.deepEqual([...reached].sort(), topology.services.map((s) => s.name).sort());
      assert.deepEqual(topology.requestRate, rate);
    }
  });

  it('each service has tens of log templates with variable parts', () => {
    for (const topology of [trainTicket(), socialNetwork()]) {
      for (const s of topology.services) {
        const ops = new Set<string>();
        const visit = (c: { service: string; operation: string; calls?: Array<{ service: string; operation: string }> }): void => {
          if (c.service === s.name) ops.add(c.operation);
          for (const child of c.calls ?? []) visit(child as never);
        };
        for (const f of topology.flows) for (const step of flowSteps(f)) visit(step);
        const t = buildServiceTemplates(s.name, [...ops], topology.logStyle);
        const all = [
          ...[...t.request.values()].flatMap((r) => [r.begin, r.end, r.detail]),
          ...t.background, ...t.benignWarning, ...t.cpuWarning,
          t.callerTimeout, t.callerFailure, t.callerRetry, t.slowCallee, t.connectionError, t.jobStart, t.jobEnd,
        ];
        const distinct = new Set(all.map((x) => x.text));
        assert.ok(distinct.size >= 18, `${s.name}: ${distinct.size} templates`);
        assert.ok(all.some((x) => x.parts.some((p) => !p.literal)), 'has variable parts');
      }
    }
  });
});
