/**
 * Timestamp text -> unix seconds for log lines. Log timestamps of the released data carry no zone
 * (data-formats.md §1), so zone-less text is read as UTC; the per-source clock offset (`offsets.logs`)
 * then moves it. Hand-written parsers: they run once per log line (millions), where `Date.parse` is
 * slow and its zone-less handling varies.
 */
import type { TimestampKind } from './config.js';

/**
 * Where an epoch number of unknown unit ('epoch', 'iso-or-epoch') switches unit: below 1e11 it is
 * seconds, below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds (ours: today is
 * ~1.7e9 s = 1.7e12 ms = 1.7e15 us = 1.7e18 ns, so each bound sits a factor ~60 from both
 * neighbours; 1e11 s is the year 5138, 1e11 ms is 1973).
 */
export const epochUnitThresholds = { ms: 1e11, us: 1e14, ns: 1e17 } as const;

const MONTHS: Record<string, number> = {
  jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11,
};

/** '.123' / ',123456' -> 0.123 / 0.123456 (any number of digits). */
function fraction(text: string): number {
  if (text.length === 0) return 0;
  return Number(`0.${text}`);
}

// YYYY-MM-DD[ T]HH:mm:ss[.,]fff
const JAVA = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?$/;
// YYYY-Mon-DD HH:mm:ss.ffffff
const CPP = /^(\d{4})-([A-Za-z]{3})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;
const HAS_ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/i;

function utcSeconds(y: number, mon: number, d: number, h: number, mi: number, s: number, frac: number): number {
  if (mon < 0 || mon > 11 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return NaN;
  return Date.UTC(y, mon, d, h, mi, s) / 1000 + frac;
}

const C0 = 48; // '0'

/** Digits text[i, i+n) as a number, or -1 if any is not a digit. */
function digitsAt(text: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const c = text.charCodeAt(k) - C0;
    if (!(c >= 0 && c <= 9)) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Index after the run of digits starting at i. */
function digitsEnd(text: string, i: number): number {
  let k = i;
  while (k < text.length) {
    const c = text.charCodeAt(k) - C0;
    if (!(c >= 0 && c <= 9)) break;
    k++;
  }
  return k;
}

/**
 * `D<sep>D<sep>D[ T]HH:mm[:ss[.,f]]` and an optional zone (`Z`, `+hh`, `+hhmm`, `+hh:mm`), with `sep`
 * '-' (ISO 8601) or '/' (Go's log package). Unix seconds, or NaN when the text is not exactly that.
 */
function parseDateTime(text: string, sep: number, allowZone: boolean): number {
  const n = text.length;
  if (n < 16 || text.charCodeAt(4) !== sep || text.charCodeAt(7) !== sep) return NaN;
  const y = digitsAt(text, 0, 4);
  const mo = digitsAt(text, 5, 2);
  const d = digitsAt(text, 8, 2);
  const t = text.charCodeAt(10);
  if (y < 0 || mo < 0 || d < 0 || (t !== 84 /* T */ && t !== 116 /* t */ && t !== 32 /* space */)) return NaN;
  const h = digitsAt(text, 11, 2);
  const mi = digitsAt(text, 14, 2);
  if (h < 0 || mi < 0 || text.charCodeAt(13) !== 58 /* : */) return NaN;
  let i = 16;
  let s = 0;
  let frac = 0;
  if (i < n && text.charCodeAt(i) === 58) {
    s = digitsAt(text, i + 1, 2);
    if (s < 0) return NaN;
    i += 3;
    const c = text.charCodeAt(i);
    if (i < n && (c === 46 /* . */ || c === 44 /* , */)) {
      const end = digitsEnd(text, i + 1);
      if (end === i + 1) return NaN;
      frac = fraction(text.slice(i + 1, end));
      i = end;
    }
  }
  let zoneSeconds = 0;
  if (i < n) {
    if (!allowZone) return NaN;
    const c = text.charCodeAt(i);
    if ((c === 90 /* Z */ || c === 122 /* z */) && i + 1 === n) {
      i = n;
    } else if (c === 43 /* + */ || c === 45 /* - */) {
      const zh = digitsAt(text, i + 1, 2);
      if (zh < 0) return NaN;
      let zm = 0;
      let j = i + 3;
      if (j < n && text.charCodeAt(j) === 58) j++;
      if (j < n) {
        zm = digitsAt(text, j, 2);
        if (zm < 0) return NaN;
        j += 2;
      }
      if (j !== n) return NaN;
      // '+02:00' means local = UTC + 2 h: UTC = local - 2 h.
      zoneSeconds = (c === 43 ? 1 : -1) * (zh * 3600 + zm * 60);
      i = n;
    } else return NaN;
  }
  return utcSeconds(y, mo - 1, d, h, mi, s, frac) - zoneSeconds;
}

/**
 * A decimal epoch number (digits, optional fraction; a leading '-' is allowed) in the unit 10^-exp s,
 * or with `exp` null the unit its magnitude implies (`epochUnitThresholds`). Digits are split as text
 * so that 19-digit nanosecond stamps keep sub-microsecond precision (a double holds ~16 digits).
 */
export function parseEpochText(text: string, exp: 0 | 3 | 6 | 9 | null): number {
  let t = text.trim();
  let sign = 1;
  if (t.charCodeAt(0) === 45) {
    sign = -1;
    t = t.slice(1);
  }
  const intEnd = digitsEnd(t, 0);
  if (intEnd === 0) return NaN;
  let fracText = '';
  if (intEnd < t.length) {
    if (t.charCodeAt(intEnd) !== 46) return NaN;
    const fracEnd = digitsEnd(t, intEnd + 1);
    if (fracEnd !== t.length) return NaN;
    fracText = t.slice(intEnd + 1);
  }
  const intText = t.slice(0, intEnd);
  const e = exp ?? epochExponent(Number(intText));
  if (e === 0) return sign * (Number(intText) + fraction(fracText));
  const head = intText.length > e ? intText.slice(0, intText.length - e) : '0';
  const tail = intText.length > e ? intText.slice(intText.length - e) : intText.padStart(e, '0');
  return sign * (Number(head) + Number(`0.${tail}${fracText}`));
}

/** Decimal exponent of the unit an epoch magnitude implies (0 s, 3 ms, 6 us, 9 ns). */
function epochExponent(magnitude: number): 0 | 3 | 6 | 9 {
  const m = Math.abs(magnitude);
  if (m < epochUnitThresholds.ms) return 0;
  if (m < epochUnitThresholds.us) return 3;
  if (m < epochUnitThresholds.ns) return 6;
  return 9;
}

/** A numeric epoch value (e.g. a JSON number) in the unit its magnitude implies, to unix seconds. */
export function epochNumberToSeconds(value: number): number {
  if (!Number.isFinite(value)) return NaN;
  return value / 10 ** epochExponent(value);
}

function isEpochText(text: string): boolean {
  const t = text.trim();
  if (t.length === 0) return false;
  const start = t.charCodeAt(0) === 45 ? 1 : 0;
  const intEnd = digitsEnd(t, start);
  if (intEnd === start) return false;
  // ISO dates also start with digits: only digits (and one '.') make an epoch.
  return intEnd === t.length || (t.charCodeAt(intEnd) === 46 && digitsEnd(t, intEnd + 1) === t.length);
}

/** ISO 8601 text: the hand-written parser, then `Date.parse` for other shapes it accepts (as before). */
function parseIso(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '') return NaN;
  const fast = parseDateTime(trimmed, 45 /* - */, true);
  if (!Number.isNaN(fast)) return fast;
  const ms = Date.parse(HAS_ZONE.test(trimmed) || !/\d:\d/.test(trimmed) ? trimmed : `${trimmed.replace(' ', 'T')}Z`);
  return ms / 1000;
}

/** Parse a timestamp text of the given kind to unix seconds (float), or NaN if it does not parse. */
export function parseTimestamp(text: string, kind: TimestampKind): number {
  switch (kind) {
    case 'java': {
      const m = JAVA.exec(text);
      if (m === null) return NaN;
      return utcSeconds(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!, fraction(m[7] ?? ''));
    }
    case 'cpp': {
      const m = CPP.exec(text);
      if (m === null) return NaN;
      const mon = MONTHS[m[2]!.toLowerCase()];
      if (mon === undefined) return NaN;
      return utcSeconds(+m[1]!, mon, +m[3]!, +m[4]!, +m[5]!, +m[6]!, fraction(m[7] ?? ''));
    }
    case 'go':
      // Go's log package writes local time without a zone: read as UTC like the other zone-less formats.
      return parseDateTime(text.trim(), 47 /* / */, false);
    case 'iso':
      return parseIso(text);
    case 'epoch-s':
      return text.trim() === '' ? NaN : Number(text);
    case 'epoch-ms':
      return text.trim() === '' ? NaN : Number(text) / 1000;
    case 'epoch-us':
      return isEpochText(text) ? parseEpochText(text, 6) : text.trim() === '' ? NaN : Number(text) / 1e6;
    case 'epoch-ns':
      return isEpochText(text) ? parseEpochText(text, 9) : text.trim() === '' ? NaN : Number(text) / 1e9;
    case 'epoch':
      return parseEpochText(text, null);
    case 'iso-or-epoch':
      return isEpochText(text) ? parseEpochText(text, null) : parseIso(text);
    default:
      return NaN;
  }
}
