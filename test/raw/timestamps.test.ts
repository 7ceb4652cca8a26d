import { strict as assert } from 'node:assert';
import { epochNumberToSeconds, parseEpochText, parseTimestamp } from '../../src/raw/timestamps.js';

const T = 1704164645; // 2024-01-02T03:04:05Z (Date.UTC(2024, 0, 2, 3, 4, 5) / 1000)
const near = (actual: number, expected: number, tol = 1e-6): void => assert.ok(Math.abs(actual - expected) <= tol, `${actual} != ${expected}`);

describe('raw/timestamps', () => {
  it("'iso': hand-written parse of ISO 8601 with and without zone, T or space, comma or dot fraction", () => {
    near(parseTimestamp('2024-01-02T03:04:05.123Z', 'iso'), T + 0.123);
    near(parseTimestamp('2024-01-02T03:04:05z', 'iso'), T);
    near(parseTimestamp('2024-01-02T03:04:05', 'iso'), T); // zone-less = UTC
    near(parseTimestamp('2024-01-02 03:04:05,5', 'iso'), T + 0.5);
    near(parseTimestamp('2024-01-02T05:04:05.123456789+02:00', 'iso'), T + 0.123456789);
    near(parseTimestamp('2024-01-01T22:04:05-0500', 'iso'), T);
    near(parseTimestamp('2024-01-02T04:04:05+01', 'iso'), T);
    near(parseTimestamp('2024-01-02T03:04', 'iso'), T - 5);
    near(parseTimestamp('2024-01-02', 'iso'), T - 3 * 3600 - 4 * 60 - 5); // Date.parse fallback, as before
    assert.ok(Number.isNaN(parseTimestamp('2024-13-02T03:04:05Z', 'iso')));
    assert.ok(Number.isNaN(parseTimestamp('yesterday', 'iso')));
  });

  it("'go': Go's log package YYYY/MM/DD HH:mm:ss[.micro], read as UTC", () => {
    near(parseTimestamp('2024/01/02 03:04:05', 'go'), T);
    near(parseTimestamp('2024/01/02 03:04:05.123456', 'go'), T + 0.123456);
    assert.ok(Number.isNaN(parseTimestamp('2024-01-02 03:04:05', 'go')));
    assert.ok(Number.isNaN(parseTimestamp('2024/01/02 03:04:05Z', 'go')));
  });

  it("'epoch': magnitude decides seconds, ms, us or ns (text split so ns keep their precision)", () => {
    near(parseTimestamp('1704164645', 'epoch'), T);
    near(parseTimestamp('1704164645.25', 'epoch'), T + 0.25);
    near(parseTimestamp('1704164645123', 'epoch'), T + 0.123);
    near(parseTimestamp('1704164645123.5', 'epoch'), T + 0.1235);
    near(parseTimestamp('1704164645123456', 'epoch'), T + 0.123456);
    near(parseTimestamp('1704164645123456789', 'epoch'), T + 0.123456789);
    near(parseTimestamp('99999999999', 'epoch'), 99999999999); // below 1e11: seconds
    near(parseTimestamp('100000000000', 'epoch'), 1e8); // 1e11: milliseconds
    assert.ok(Number.isNaN(parseTimestamp('17041646x5', 'epoch')));
    assert.ok(Number.isNaN(parseTimestamp('', 'epoch')));
    near(parseEpochText('1704164645123', 3), T + 0.123);
    near(parseEpochText('5', 9), 5e-9, 1e-15);
    near(epochNumberToSeconds(1704164645123), T + 0.123);
    near(epochNumberToSeconds(1704164645.5), T + 0.5);
    near(epochNumberToSeconds(1704164645123456789), T + 0.123456789, 1e-3); // a double: ~256 ns apart
  });

  it("explicit units 'epoch-us' and 'epoch-ns'; 'iso-or-epoch' picks by shape", () => {
    near(parseTimestamp('1704164645123456', 'epoch-us'), T + 0.123456);
    near(parseTimestamp('1704164645123456789', 'epoch-ns'), T + 0.123456789);
    near(parseTimestamp('1704164645000', 'iso-or-epoch'), T);
    near(parseTimestamp('2024-01-02T03:04:05Z', 'iso-or-epoch'), T);
    // Existing kinds unchanged.
    near(parseTimestamp('2024-01-02 03:04:05.123', 'java'), T + 0.123);
    near(parseTimestamp('2024-Jan-02 03:04:05.123456', 'cpp'), T + 0.123456);
    near(parseTimestamp('1704164645123', 'epoch-ms'), T + 0.123);
  });
});
