/** User topology files: clear EadroErrors for bad input; a valid one simulates. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EadroError } from '../../src/core/errors.js';
import { loadTopologyFile, parseTopology, simulate, testbedDefaults } from '../../src/testbed/index.js';
import { readSpans, tmpDir } from './helpers.js';

const valid = {
  name: 'shop',
  services: ['gateway', { name: 'cart', processingMs: 5 }, 'db-proxy'],
  flows: [
    { name: 'add to cart', weight: 2, root: { service: 'gateway', operation: 'POST /cart', calls: [{ service: 'cart', operation: 'AddItem', calls: [{ service: 'db-proxy', operation: 'Write' }] }] } },
    { name: 'view', weight: 1, root: { service: 'gateway', operation: 'GET /cart', calls: [{ service: 'cart', operation: 'List', repeat: [1, 2] }] } },
  ],
  requestRate: { min: 1, max: 2 },
  logStyle: 'cpp',
  containerPattern: 'shop_{service}_1',
};

function write(dir: string, name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text);
  return f;
}

describe('testbed topology files', () => {
  const dir = tmpDir('topology');

  it('a missing file, bad JSON, an unknown callee or an unreached service give an EadroError naming file and field', () => {
    assert.throws(() => loadTopologyFile(path.join(dir, 'nope.json')), (e: unknown) => e instanceof EadroError && /not found/.test(e.message));
    const bad = write(dir, 'bad.json', '{ "services": [');
    assert.throws(() => loadTopologyFile(bad), (e: unknown) => e instanceof EadroError && e.message.includes(bad) && /not valid JSON/.test(e.message));
    const unknown = structuredClone(valid) as unknown as { flows: Array<{ root: { calls: Array<{ calls: Array<{ service: string }> }> } }> };
    unknown.flows[0]!.root.calls[0]!.calls[0]!.service = 'ghost';
    const f = write(dir, 'unknown.json', JSON.stringify(unknown));
    assert.throws(() => loadTopologyFile(f), (e: unknown) => {
      assert.ok(e instanceof EadroError);
      assert.match(e.message, /field: flows\[0\]\.root\.calls\[0\]\.calls\[0\]\.service/);
      assert.match(e.message, /found: ghost/);
      assert.ok(e.message.includes(f));
      return true;
    });
    const unreached = { ...valid, services: [...valid.services, 'lonely'] };
    assert.throws(() => parseTopology(unreached, 'x.json'), /lonely/);
    assert.throws(() => parseTopology({ ...valid, requestRate: { min: 3, max: 1 } }, 'x.json'), /requestRate\.max/);
    assert.throws(() => parseTopology({ ...valid, logStyle: 'python' }, 'x.json'), /field: logStyle/);
    assert.throws(() => parseTopology({ ...valid, flows: [] }, 'x.json'), /field: flows/);
    assert.throws(() => parseTopology({ ...valid, services: ['a', 'a'] }, 'x.json'), /services\[1\]\.name/);
    const badStep = { ...valid, flows: [{ ...valid.flows[0]!, then: [{ service: 'cart', operation: 'List' }, { service: 'ghost' }] }, valid.flows[1]!] };
    assert.throws(() => parseTopology(badStep, 'x.json'), /field: flows\[0\]\.then\[1\]\.service/);
    assert.throws(() => parseTopology({ ...valid, flows: [{ ...valid.flows[0]!, then: { service: 'cart' } }] }, 'x.json'), /field: flows\[0\]\.then/);
  });

  it('a scenario (`then`) issues its API calls as separate traces, in order, each after the previous one returned', async function () {
    this.timeout(60_000);
    // One flow: login (auth), then browse (cart), then check out (gateway -> cart). A service reached only by a
    // step must count as reached.
    const scenario = {
      name: 'shop-scenario',
      services: ['gateway', 'auth', 'cart'],
      flows: [{
        name: 'session', weight: 1,
        root: { service: 'auth', operation: 'POST /login' },
        then: [{ service: 'cart', operation: 'List' }, { service: 'gateway', operation: 'POST /checkout', calls: [{ service: 'cart', operation: 'Buy' }] }],
      }],
      requestRate: { min: 1, max: 1 },
    };
    const topology = parseTopology(scenario, 'scenario.json');
    const out = tmpDir('scenario');
    const manifest = await simulate({ system: topology, profile: 'tiny', seed: 3, out });
    assert.deepEqual(manifest.topology.edges, ['gateway->cart']);
    const run = manifest.runs.find((r) => r.kind === 'normal')!;
    const roots = readSpans(path.join(out, run.dir)).filter((s) => s.parentId === null).sort((a, b) => a.start - b.start);
    const count = (service: string): number => roots.filter((s) => s.service === service).length;
    // Every login is followed by its browse and its checkout (the last scenarios may be cut by the run's end).
    const [logins, browses, checkouts] = [count('auth'), count('cart'), count('gateway')];
    assert.ok(logins > 100, `${logins} scenarios`);
    assert.ok(browses <= logins && logins - browses <= 3 && checkouts <= browses && browses - checkouts <= 3, `${logins} ${browses} ${checkouts}`);
    // A step starts after the previous call of its scenario returned, plus at least the minimum think time:
    // so the k-th browse starts after the k-th login ended (scenarios overlap, but each keeps its order).
    const thinkSeconds = testbedDefaults.scenarioThinkMs[0] / 1000;
    const loginEnds = roots.filter((s) => s.service === 'auth').map((s) => s.start + s.duration / 1e6).sort((a, b) => a - b);
    const browseStarts = roots.filter((s) => s.service === 'cart').map((s) => s.start);
    browseStarts.forEach((start, k) => {
      assert.ok(start >= loginEnds[k]! + thinkSeconds - 1e-6, `browse ${k} starts ${start}, login ${k} ended ${loginEnds[k]}`);
    });
  });

  it('a valid file fills defaults and simulates with its own container names', async function () {
    this.timeout(60_000);
    const f = write(dir, 'shop.json', JSON.stringify(valid));
    const topology = loadTopologyFile(f);
    assert.equal(topology.services[0]!.processingMs, 15);
    assert.equal(topology.services[1]!.processingMs, 5);
    const out = tmpDir('shop');
    const manifest = await simulate({ system: topology, profile: 'tiny', seed: 1, out });
    assert.equal(manifest.system, 'shop');
    assert.deepEqual(manifest.topology.edges, ['cart->db-proxy', 'gateway->cart']);
    const run = manifest.runs.find((r) => r.kind === 'fault')!;
    const rec = JSON.parse(fs.readFileSync(path.join(out, 'data', `${run.id}.json`), 'utf8')) as { faults: Array<{ name: string }> };
    assert.ok(rec.faults.every((x) => /^shop_[a-z-]+_1$/.test(x.name)));
    assert.equal(manifest.counts.faultsByType['packet_loss'], 2);
    assert.ok(readSpans(path.join(out, run.dir)).length > 0);
  });
});
