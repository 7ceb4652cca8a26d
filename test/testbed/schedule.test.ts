/** Fault schedules: paper counts and timings (paper §V-A), quick coverage, runs of 9, seeded order. */
import { strict as assert } from 'node:assert';
import { createRng } from '../../src/core/rng.js';
import { PAPER_FAULT_TYPES, TESTBED_FAULT_TYPES } from '../../src/raw/types.js';
import { buildSchedule, quickNormalRunSeconds, resolveProfile, runId, socialNetwork, trainTicket, type ScheduledRun } from '../../src/testbed/index.js';

const faultsOf = (runs: ScheduledRun[]) => runs.flatMap((r) => r.faults);

describe('testbed schedules', () => {
  it('paper TT: 162 faults (each type into each of 27 services twice), 10 min with 2 min gaps, 7 h normal, runs of 9', () => {
    const tt = trainTicket();
    const runs = buildSchedule(tt, resolveProfile(tt, 'paper'), createRng(1));
    const faults = faultsOf(runs);
    assert.equal(faults.length, 162);
    const counts = new Map<string, number>();
    for (const f of faults) counts.set(`${f.service}/${f.type}`, (counts.get(`${f.service}/${f.type}`) ?? 0) + 1);
    assert.equal(counts.size, 81);
    assert.ok([...counts.values()].every((c) => c === 2));
    assert.ok(faults.every((f) => f.duration === 600));
    const faultRuns = runs.filter((r) => r.kind === 'fault');
    assert.equal(faultRuns.length, 18);
    assert.ok(faultRuns.every((r) => r.faults.length === 9));
    for (const r of faultRuns) {
      assert.equal(r.faults[0]!.start - r.start, 120);
      for (let i = 1; i < r.faults.length; i++) assert.equal(r.faults[i]!.start - (r.faults[i - 1]!.start + 600), 120);
      assert.equal(r.end - (r.faults[8]!.start + 600), 120);
    }
    const normal = runs.filter((r) => r.kind === 'normal');
    assert.equal(normal.reduce((a, r) => a + r.end - r.start, 0), 7 * 3600);
    assert.ok(normal.every((r) => r.faults.length === 0));
    const total = runs.reduce((a, r) => a + r.end - r.start, 0) / 3600;
    // 18 runs x (9 x (2 + 10) min + a closing 2 min gap) = 33 h of injections, plus 7 h fault-free
    assert.equal(total, 40);
  });

  it('paper SN: 72 faults of 2 min with 30 s gaps, 1.2 h normal, 8 runs of 9', () => {
    const sn = socialNetwork();
    const runs = buildSchedule(sn, resolveProfile(sn, 'paper'), createRng(1));
    assert.equal(faultsOf(runs).length, 72);
    assert.ok(faultsOf(runs).every((f) => f.duration === 120));
    assert.equal(runs.filter((r) => r.kind === 'fault').length, 8);
    assert.equal(runs.filter((r) => r.kind === 'normal').reduce((a, r) => a + r.end - r.start, 0), 72 * 60);
  });

  it('quick: every (service, fault type) pair exactly once, the code-level types included (TT 27 x 5 = 135, SN 12 x 5 = 60)', () => {
    for (const [topology, n] of [[trainTicket(), 135], [socialNetwork(), 60]] as const) {
      const faults = faultsOf(buildSchedule(topology, resolveProfile(topology, 'quick'), createRng(3)));
      assert.equal(faults.length, n);
      assert.equal(new Set(faults.map((f) => `${f.service}/${f.type}`)).size, n);
      for (const s of topology.services) {
        for (const type of TESTBED_FAULT_TYPES) assert.ok(faults.some((f) => f.service === s.name && f.type === type), `${s.name}/${type}`);
      }
      // Same timing as the paper's types (60 s TT, 40 s SN) and the same runs of 9.
      const p = resolveProfile(topology, 'quick');
      for (const type of ['exception', 'error_return']) assert.ok(faults.filter((f) => f.type === type).every((f) => f.duration === p.faultSeconds), type);
    }
  });

  it('paper and tiny inject only the paper\'s three fault types', () => {
    for (const topology of [trainTicket(), socialNetwork()]) {
      for (const profile of ['paper', 'tiny'] as const) {
        const types = new Set(faultsOf(buildSchedule(topology, resolveProfile(topology, profile), createRng(3))).map((f) => f.type));
        assert.deepEqual([...types].sort(), [...PAPER_FAULT_TYPES].sort(), `${topology.name} ${profile}`);
      }
    }
  });

  it('quick: the fault-free time is recorded as several 5-min runs (TT 10 x 5 min, SN 5 x 5 min), before the fault runs', () => {
    for (const [topology, runsExpected, minutes] of [[trainTicket(), 10, 50], [socialNetwork(), 5, 25]] as const) {
      const runs = buildSchedule(topology, resolveProfile(topology, 'quick'), createRng(3));
      const normal = runs.filter((r) => r.kind === 'normal');
      assert.equal(normal.length, runsExpected);
      for (const r of normal) assert.equal(r.end - r.start, quickNormalRunSeconds);
      assert.equal(normal.reduce((a, r) => a + r.end - r.start, 0), minutes * 60);
      const firstFault = runs.findIndex((r) => r.kind === 'fault');
      assert.ok(runs.slice(0, firstFault).every((r) => r.kind === 'normal'));
    }
  });

  it('the order is shuffled by seed; runs are in time order and do not overlap', () => {
    const tt = trainTicket();
    const p = resolveProfile(tt, 'quick');
    const order = (seed: number) => faultsOf(buildSchedule(tt, p, createRng(seed))).map((f) => `${f.service}/${f.type}`).join();
    assert.equal(order(5), order(5));
    assert.notEqual(order(5), order(6));
    const runs = buildSchedule(tt, p, createRng(5));
    for (let i = 1; i < runs.length; i++) assert.ok(runs[i]!.start >= runs[i - 1]!.end);
  });

  it('run names use the released time-stamp style in UTC', () => {
    assert.equal(runId(Date.UTC(2022, 3, 17, 21, 21, 1) / 1000, Date.UTC(2022, 3, 17, 23, 8, 42) / 1000), '2022-04-17T212101D2022-04-17T230842');
  });
});
