/**
 * A streaming splitter for the two big JSON shapes of the raw layout: a top-level array (`spans.json`,
 * a list of traces) and an object of arrays (`logs.json`, `{"<service>": ["<line>", ...]}`; also the
 * Jaeger API wrapper `{"data": [...], "total": 0, ...}`). A TT `spans.json` can be hundreds of MB, so
 * the file is never held as one string: bytes are read in chunks, a small state machine tracks strings,
 * escapes and bracket depth across chunk boundaries, and each element is `JSON.parse`d on its own.
 *
 * Works on bytes, not characters: every structural character is ASCII, and UTF-8 continuation bytes are
 * never ASCII, so a multi-byte character split over two chunks cannot be mistaken for structure.
 */
import * as fs from 'node:fs';
import { EadroError, preview } from '../core/errors.js';

export interface JsonElement {
  /** Key of the enclosing member for an object of arrays; null for a top-level array. */
  key: string | null;
  /** Position within its array (0-based); for a non-array member value, -1. */
  index: number;
  /** Byte offset of the element's first byte in the file. */
  offset: number;
  value: unknown;
}

export interface JsonStreamOptions {
  /** Read size in bytes. ours: 1 MiB keeps memory flat and JSON.parse calls amortised. */
  chunkBytes?: number;
  /** What the file is expected to hold, for error messages (e.g. "a list of traces"). */
  expected?: string;
  /**
   * false: elements are delimited but not parsed (value undefined), for scans that need only the keys.
   * Default true.
   */
  parseValues?: boolean;
  /** Called for every member of a top-level object, as its value starts ('array' even when empty). */
  onMember?: (key: string, kind: 'array' | 'value') => void;
}

export const jsonStreamDefaults = {
  // ours: 1 MiB, large enough that per-chunk overhead is negligible, small enough to stay streaming.
  chunkBytes: 1 << 20,
};

// Byte values of the JSON structural characters.
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const COMMA = 0x2c;
const COLON = 0x3a;
const UTF8_BOM = [0xef, 0xbb, 0xbf];

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

// Parser states.
const START = 0;
const OBJ_KEY_OR_END = 1; // after '{'
const OBJ_KEY_REQUIRED = 2; // after ',' in the top-level object
const IN_KEY = 3;
const OBJ_COLON = 4;
const OBJ_VALUE = 5;
const OBJ_COMMA_OR_END = 6;
const ARR_ELEM_OR_END = 7; // after '['
const ARR_ELEM_REQUIRED = 8; // after ','
const ARR_COMMA_OR_END = 9;
const CAPTURE = 10;
const DONE = 11;

// Kinds of captured value.
const CONTAINER = 0;
const STRING = 1;
const SCALAR = 2;

function describeByte(b: number): string {
  return b >= 0x20 && b < 0x7f ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

/**
 * Stream the elements of a top-level JSON array, or of the arrays that are the member values of a
 * top-level object, in batches (one batch per chunk read). Non-array member values of an object are
 * yielded whole with `index` -1. Truncated or invalid JSON throws an EadroError naming the file, the
 * element index and the byte offset.
 */
export async function* streamJsonElements(file: string, opts: JsonStreamOptions = {}): AsyncGenerator<JsonElement[]> {
  if (!fs.existsSync(file)) {
    throw new EadroError('File not found.', { file, expected: opts.expected ?? 'a JSON file' });
  }
  const expected = opts.expected ?? 'a JSON array or an object of arrays';
  const parseValues = opts.parseValues ?? true;
  const stream = fs.createReadStream(file, { highWaterMark: opts.chunkBytes ?? jsonStreamDefaults.chunkBytes });

  let state = START;
  let topIsObject = false;
  let chunkBase = 0; // absolute byte offset of the current chunk's first byte

  // Member key being read / current.
  let keyPieces: Buffer[] = [];
  let keyStart = 0;
  let keyEscaped = false;
  let currentKey: string | null = null;
  let elementIndex = 0;

  // Value capture.
  let kind = CONTAINER;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let pieces: Buffer[] = [];
  let captureStart = 0; // index in the current chunk
  let captureOffset = 0; // absolute
  let captureIsMember = false; // a non-array member value of the top-level object

  const where = (): string =>
    currentKey === null ? `element ${elementIndex}` : `element ${elementIndex} of member ${JSON.stringify(currentKey)}`;

  const unexpected = (b: number, at: number, want: string): EadroError =>
    new EadroError('Invalid JSON.', {
      file,
      field: `byte ${at}${state === START ? '' : ` (after ${where()})`}`,
      expected: want,
      found: describeByte(b),
    });

  for await (const chunkAny of stream) {
    const buf = chunkAny as Buffer;
    const n = buf.length;
    let i = 0;
    const batch: JsonElement[] = [];

    const finish = (end: number): void => {
      if (!parseValues && !captureIsMember) {
        pieces = [];
        batch.push({ key: currentKey, index: elementIndex, offset: captureOffset, value: undefined });
        elementIndex++;
        state = ARR_COMMA_OR_END;
        return;
      }
      const last = buf.subarray(captureStart, end);
      const bytes = pieces.length === 0 ? last : Buffer.concat([...pieces, last]);
      pieces = [];
      let value: unknown;
      try {
        value = JSON.parse(bytes.toString('utf8'));
      } catch (err) {
        throw new EadroError('Invalid JSON.', {
          file,
          field: `${captureIsMember ? `member ${JSON.stringify(currentKey)}` : where()} at byte ${captureOffset}`,
          expected,
          found: `${(err as Error).message}: ${preview(bytes.subarray(0, 120).toString('utf8'), 120)}`,
        });
      }
      if (captureIsMember) {
        batch.push({ key: currentKey, index: -1, offset: captureOffset, value });
        state = OBJ_COMMA_OR_END;
      } else {
        batch.push({ key: currentKey, index: elementIndex, offset: captureOffset, value });
        elementIndex++;
        state = ARR_COMMA_OR_END;
      }
    };

    const beginCapture = (b: number, at: number, member: boolean): void => {
      captureIsMember = member;
      captureStart = at;
      captureOffset = chunkBase + at;
      pieces = [];
      depth = 0;
      inString = false;
      escaped = false;
      if (b === LBRACE || b === LBRACKET) kind = CONTAINER;
      else if (b === QUOTE) kind = STRING;
      else kind = SCALAR;
      state = CAPTURE;
    };

    while (i < n) {
      if (state === CAPTURE) {
        if (kind === CONTAINER) {
          for (; i < n; i++) {
            if (inString) {
              // Jump to the next quote (native indexOf), then decide whether it is escaped by counting
              // the backslashes right before it. Most of a trace's bytes are inside strings.
              if (escaped) {
                escaped = false;
                continue;
              }
              const { q, oddBackslashes } = nextQuote(buf, i, n);
              if (q < 0) {
                escaped = oddBackslashes; // a backslash at the chunk end escapes the next chunk's first byte
                i = n;
                break;
              }
              i = q; // the loop's i++ steps past the quote
              if (!oddBackslashes) inString = false;
              continue;
            }
            const b = buf[i]!;
            if (b === QUOTE) inString = true;
            else if (b === LBRACE || b === LBRACKET) depth++;
            else if (b === RBRACE || b === RBRACKET) {
              depth--;
              if (depth === 0) {
                i++;
                finish(i);
                break;
              }
            }
          }
        } else if (kind === STRING) {
          // The opening quote is at captureStart; inString is set once we step past it.
          while (i < n) {
            if (!inString) {
              inString = true;
              i++;
              continue;
            }
            if (escaped) {
              escaped = false;
              i++;
              continue;
            }
            const { q, oddBackslashes } = nextQuote(buf, i, n);
            if (q < 0) {
              escaped = oddBackslashes;
              i = n;
              break;
            }
            i = q + 1;
            if (!oddBackslashes) {
              finish(i);
              break;
            }
          }
        } else {
          for (; i < n; i++) {
            const b = buf[i]!;
            if (isSpace(b) || b === COMMA || b === RBRACKET || b === RBRACE) {
              finish(i);
              break;
            }
          }
        }
        continue;
      }

      if (state === IN_KEY) {
        // Scan to the closing quote (escapes honoured), possibly across chunks.
        let j = i;
        for (; j < n; j++) {
          const c = buf[j]!;
          if (keyEscaped) keyEscaped = false;
          else if (c === BACKSLASH) keyEscaped = true;
          else if (c === QUOTE) break;
        }
        if (j === n) {
          i = n; // the chunk-end code keeps the partial name
          continue;
        }
        const keyBytes = Buffer.concat([...keyPieces, buf.subarray(keyStart, j + 1)]);
        try {
          currentKey = JSON.parse(keyBytes.toString('utf8')) as string;
        } catch (err) {
          throw new EadroError('Invalid JSON.', { file, field: `member name at byte ${chunkBase + j}`, found: (err as Error).message });
        }
        elementIndex = 0;
        state = OBJ_COLON;
        i = j + 1;
        continue;
      }

      const b = buf[i]!;
      if (state === START && chunkBase + i < 3 && b === UTF8_BOM[chunkBase + i]) {
        i++; // UTF-8 byte-order mark, possibly cut by a chunk boundary
        continue;
      }
      if (isSpace(b)) {
        i++;
        continue;
      }
      const at = chunkBase + i;
      switch (state) {
        case START:
          if (b === LBRACKET) {
            topIsObject = false;
            state = ARR_ELEM_OR_END;
          } else if (b === LBRACE) {
            topIsObject = true;
            state = OBJ_KEY_OR_END;
          } else throw unexpected(b, at, `${expected}: '[' or '{' at the start`);
          i++;
          break;
        case OBJ_KEY_OR_END:
        case OBJ_KEY_REQUIRED:
          if (b === QUOTE) {
            state = IN_KEY;
            keyPieces = [];
            keyStart = i;
            keyEscaped = false;
            i++;
          } else if (b === RBRACE && state === OBJ_KEY_OR_END) {
            state = DONE;
            i++;
          } else throw unexpected(b, at, state === OBJ_KEY_OR_END ? 'a member name or }' : 'a member name');
          break;
        case OBJ_COLON:
          if (b !== COLON) throw unexpected(b, at, "':' after a member name");
          state = OBJ_VALUE;
          i++;
          break;
        case OBJ_VALUE:
          opts.onMember?.(currentKey!, b === LBRACKET ? 'array' : 'value');
          if (b === LBRACKET) {
            state = ARR_ELEM_OR_END;
            i++;
          } else if (b === RBRACE || b === COMMA || b === RBRACKET || b === COLON) {
            throw unexpected(b, at, 'a value');
          } else beginCapture(b, i, true);
          break;
        case OBJ_COMMA_OR_END:
          if (b === COMMA) state = OBJ_KEY_REQUIRED;
          else if (b === RBRACE) state = DONE;
          else throw unexpected(b, at, "',' or '}' after a member");
          i++;
          break;
        case ARR_ELEM_OR_END:
        case ARR_ELEM_REQUIRED:
          if (b === RBRACKET && state === ARR_ELEM_OR_END) {
            state = topIsObject ? OBJ_COMMA_OR_END : DONE;
            i++;
          } else if (b === RBRACKET || b === COMMA || b === RBRACE || b === COLON) {
            throw unexpected(b, at, 'an array element');
          } else beginCapture(b, i, false);
          break;
        case ARR_COMMA_OR_END:
          if (b === COMMA) state = ARR_ELEM_REQUIRED;
          else if (b === RBRACKET) state = topIsObject ? OBJ_COMMA_OR_END : DONE;
          else throw unexpected(b, at, "',' or ']' after an element");
          i++;
          break;
        case DONE:
          throw unexpected(b, at, 'nothing after the end of the JSON value');
        default:
          throw new Error(`json-stream: unknown state ${state}`);
      }
    }
    if (state === CAPTURE) {
      pieces.push(buf.subarray(captureStart, n));
      captureStart = 0;
    }
    if (state === IN_KEY && keyStart < n) {
      keyPieces.push(buf.subarray(keyStart, n));
      keyStart = 0;
    }
    chunkBase += n;
    if (batch.length > 0) yield batch;
  }

  if (state !== DONE) {
    throw new EadroError('Truncated JSON: the file ends before the value is complete.', {
      file,
      field: state === START ? 'whole file' : `${where()} (started at byte ${state === CAPTURE ? captureOffset : chunkBase})`,
      expected,
      found: `end of file at byte ${chunkBase}`,
    });
  }
}

/** Read a small JSON file whole (fault records), with the file named in every error. */
export function readSmallJson(file: string, expected: string): unknown {
  if (!fs.existsSync(file)) throw new EadroError('File not found.', { file, expected });
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    const truncated = /Unexpected end of JSON input|Unterminated/.test((err as Error).message);
    throw new EadroError(truncated ? 'Truncated JSON: the file ends before the value is complete.' : 'Invalid JSON.', {
      file,
      expected,
      found: (err as Error).message,
    });
  }
}

/**
 * Inside a JSON string: the next quote at or after `from` (native indexOf; -1 when the chunk has none)
 * and whether an odd run of backslashes stands right before it, i.e. before the quote or, when there is
 * none, before the chunk end `n`. An odd run means the quote (or the next chunk's first byte) is escaped.
 */
function nextQuote(buf: Buffer, from: number, n: number): { q: number; oddBackslashes: boolean } {
  const q = buf.indexOf(QUOTE, from);
  const stop = q < 0 ? n : q;
  let k = stop - 1;
  while (k >= from && buf[k] === BACKSLASH) k--;
  return { q, oddBackslashes: (stop - 1 - k) % 2 === 1 };
}
