/**
 * Timestamp text -> unix seconds for log lines. Log timestamps carry no zone (data-formats.md §1), so
 * zone-less text is read as UTC; the per-source clock offset (`offsets.logs`) then moves it. Hand-written
 * parsers for the two fixed formats: they run once per log line (millions), where `Date.parse` is slow
 * and its zone-less handling varies.
 */
import type { LogFormat } from './config.js';

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

/** Parse a timestamp text of the given kind to unix seconds (float), or NaN if it does not parse. */
export function parseTimestamp(text: string, kind: LogFormat['timestamp']): number {
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
    case 'iso': {
      const trimmed = text.trim();
      if (trimmed === '') return NaN;
      const ms = Date.parse(HAS_ZONE.test(trimmed) || !/\d:\d/.test(trimmed) ? trimmed : `${trimmed.replace(' ', 'T')}Z`);
      return ms / 1000;
    }
    case 'epoch-s':
      return text.trim() === '' ? NaN : Number(text);
    case 'epoch-ms':
      return text.trim() === '' ? NaN : Number(text) / 1000;
    default:
      return NaN;
  }
}
