import { strict as assert } from 'node:assert';
import { assignEpisodes, labelWindows, windowStarts, type FaultInterval } from '../../src/windows/label.js';

const fault = (start: number, duration: number, node: number, type = 'cpu'): FaultInterval => ({ start, end: start + duration, node, type });
const one = (s: number): Float64Array => Float64Array.from([s]);

describe('windows/label', () => {
  it('window starts: stride 1 from ceil(start) while the window fits before the end', () => {
    assert.deepEqual(Array.from(windowStarts(100, 115, 10, 1)), [100, 101, 102, 103, 104, 105]);
    assert.deepEqual(Array.from(windowStarts(100.5, 115, 10, 2)), [101, 103, 105]);
    assert.equal(windowStarts(100, 109, 10, 1).length, 0);
  });

  it('fault inside the window (shorter than T): labelled by default, MISSED by the reference rule', () => {
    const f = [fault(103, 3, 4)]; // [103, 106) inside [100, 110)
    assert.equal(labelWindows(one(100), f).labels[0], 4);
    assert.equal(labelWindows(one(100), f, { rule: 'reference' }).labels[0], -1);
  });

  it('fault at the left edge: overlap exactly the threshold is faulty, just below is normal', () => {
    // Fault ends 1 s after the window start: overlap [100, 101) = 1 s.
    assert.equal(labelWindows(one(100), [fault(80, 21, 2)], { threshold: 1 }).labels[0], 2);
    // Overlap 0.5 s < 1 s.
    assert.equal(labelWindows(one(100), [fault(80, 20.5, 2)], { threshold: 1 }).labels[0], -1);
    // Reference rule agrees at this edge (the window's first slot is inside the fault).
    assert.equal(labelWindows(one(100), [fault(80, 21, 2)], { rule: 'reference' }).labels[0], 2);
  });

  it('fault at the right edge: overlap exactly the threshold is faulty, just below is normal', () => {
    assert.equal(labelWindows(one(100), [fault(107, 600, 5)], { threshold: 3 }).labels[0], 5); // [107, 110) = 3 s
    assert.equal(labelWindows(one(100), [fault(107.5, 600, 5)], { threshold: 3 }).labels[0], -1); // 2.5 s
    assert.equal(labelWindows(one(100), [fault(109, 600, 5)], { rule: 'reference' }).labels[0], 5);
    assert.equal(labelWindows(one(100), [fault(110, 600, 5)]).labels[0], -1); // touches only
  });

  it('fault spanning the whole window is faulty under both rules', () => {
    const f = [fault(50, 600, 7)];
    assert.equal(labelWindows(one(100), f).labels[0], 7);
    assert.equal(labelWindows(one(100), f, { rule: 'reference' }).labels[0], 7);
  });

  it('two faults in one window: the larger overlap wins (reference: the first overlapping one)', () => {
    const f = [fault(90, 12, 1, 'cpu'), fault(104, 60, 3, 'loss')]; // overlaps 2 s and 6 s
    const r = labelWindows(one(100), f);
    assert.equal(r.labels[0], 3);
    assert.equal(r.faultIndex[0], 1);
    assert.equal(labelWindows(one(100), f, { rule: 'reference' }).labels[0], 1);
    // Equal overlaps: the earlier-starting fault wins.
    const tie = [fault(104, 60, 3), fault(90, 14, 1)]; // 6 s and 4 s
    assert.equal(labelWindows(one(100), tie).labels[0], 3);
    const tie2 = [fault(105, 60, 3), fault(90, 15, 1)]; // 5 s each
    assert.equal(labelWindows(one(100), tie2).labels[0], 1);
  });

  it('labels a whole run: faulty windows are those with >= threshold overlap', () => {
    const starts = windowStarts(0, 60, 10, 1); // 51 windows
    const { labels } = labelWindows(starts, [fault(20, 10, 0)], { threshold: 1 });
    // Faulty iff [s, s+10) overlaps [20, 30) by >= 1 s: s in [11, 29].
    for (let w = 0; w < labels.length; w++) assert.equal(labels[w], starts[w]! >= 11 && starts[w]! <= 29 ? 0 : -1, `s=${starts[w]}`);
  });

  it('episodes: the latest injection begun before the window ends; earlier windows join the first', () => {
    const starts = windowStarts(0, 100, 10, 1);
    const faults = [fault(60, 10, 2), fault(20, 10, 1)]; // unsorted on purpose
    const { episode, episodes, order } = assignEpisodes(starts, 10, faults);
    assert.equal(episodes, 2);
    assert.deepEqual(order, [1, 0]);
    assert.equal(episode[0], 0); // before the first injection
    assert.equal(episode[50], 0); // [50, 60): injection 2 not begun
    assert.equal(episode[51], 1); // [51, 61): overlaps the start of injection 2
    assert.equal(episode[89], 1);
  });
});
