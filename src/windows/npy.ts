/**
 * NumPy `.npy` format version 1.0 (numpy/lib/format.py; data-formats.md §2): magic `\x93NUMPY`, version
 * bytes 1 0, a little-endian uint16 header length, an ASCII Python-dict header (`descr`, `fortran_order`,
 * `shape`) padded with spaces and ended by `\n` so that magic + header is a multiple of 64 bytes, then
 * the raw C-order data. We write `<f4` (float32) and `<i8` (int64, labels) and read those plus `<i4` and
 * `<f8`. Data is written without a copy of the tensor (header and data are two writes), atomically.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EadroError } from '../core/errors.js';

export type NpyDescr = '<f4' | '<i8' | '<i4' | '<f8';

export const npyDefaults = {
  /** Header alignment in bytes (NumPy >= 1.x pads to 64; format.py ARRAY_ALIGN). */
  headerAlign: 64,
} as const;

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

function assertLittleEndian(): void {
  if (os.endianness() !== 'LE') throw new Error('npy: this code writes host-order data and needs a little-endian host');
}

/** The header bytes (magic .. padding newline) for an array of `descr` and `shape`. */
export function npyHeader(descr: NpyDescr, shape: number[]): Buffer {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const fixed = MAGIC.length + 2 + 2; // magic, version, uint16 length
  const total = Math.ceil((fixed + dict.length + 1) / npyDefaults.headerAlign) * npyDefaults.headerAlign;
  dict = dict + ' '.repeat(total - fixed - dict.length - 1) + '\n';
  if (dict.length > 0xffff) throw new Error('npy: header too long for format 1.0');
  const out = Buffer.alloc(total);
  MAGIC.copy(out, 0);
  out[6] = 1;
  out[7] = 0;
  out.writeUInt16LE(dict.length, 8);
  out.write(dict, 10, 'latin1');
  return out;
}

/** Write byte chunks to `target` atomically (temporary sibling, fsync, rename). */
export function writeChunksAtomic(target: string, chunks: Uint8Array[]): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${Date.now()}`);
  const fd = fs.openSync(tmp, 'w');
  try {
    for (const chunk of chunks) {
      let off = 0;
      while (off < chunk.byteLength) off += fs.writeSync(fd, chunk, off, Math.min(chunk.byteLength - off, 1 << 30));
    }
    fs.fsyncSync(fd);
  } catch (err) {
    fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fs.closeSync(fd);
  fs.renameSync(tmp, target);
}

function bytesOf(data: Float32Array | Float64Array | Int32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** Write a float32 array of `shape` as `<f4`. */
export function writeNpyFloat32(target: string, data: Float32Array, shape: number[]): void {
  checkShape(data.length, shape, target);
  assertLittleEndian();
  writeChunksAtomic(target, [npyHeader('<f4', shape), bytesOf(data)]);
}

/** Write a float64 array of `shape` as `<f8` (unix-second timestamps need its precision). */
export function writeNpyFloat64(target: string, data: Float64Array, shape: number[]): void {
  checkShape(data.length, shape, target);
  assertLittleEndian();
  writeChunksAtomic(target, [npyHeader('<f8', shape), bytesOf(data)]);
}

/** Write integer labels as `<i8` (int64, what PyTorch/NumPy label code expects). */
export function writeNpyInt64(target: string, data: Int32Array | number[], shape: number[]): void {
  checkShape(data.length, shape, target);
  assertLittleEndian();
  const wide = new BigInt64Array(data.length);
  for (let i = 0; i < data.length; i++) wide[i] = BigInt(data[i]!);
  writeChunksAtomic(target, [npyHeader('<i8', shape), bytesOf(wide)]);
}

function checkShape(length: number, shape: number[], target: string): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== length) throw new Error(`npy: ${target}: shape [${shape.join(', ')}] holds ${n} values, data has ${length}`);
}

export interface NpyArray {
  descr: NpyDescr;
  shape: number[];
  /** Float32Array for <f4, Float64Array for <f8, Int32Array for <i4 and for <i8 (range-checked). */
  data: Float32Array | Float64Array | Int32Array;
}

/** Read `length` bytes at `position` of an open file into `target` (loops; files may exceed 2 GiB). */
function readFully(fd: number, target: Uint8Array, position: number): number {
  let done = 0;
  while (done < target.byteLength) {
    const n = fs.readSync(fd, target, done, Math.min(target.byteLength - done, 1 << 30), position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

/**
 * Read a `.npy` file (format 1.0, 2.0 or 3.0, C order, little-endian descrs listed in NpyDescr). The data
 * is read straight into a fresh aligned buffer (no whole-file Buffer: Node refuses files over 2 GiB).
 */
export function readNpy(file: string): NpyArray {
  if (!fs.existsSync(file)) throw new EadroError('Missing .npy file.', { file });
  const fd = fs.openSync(file, 'r');
  try {
    return readNpyFd(fd, file, fs.fstatSync(fd).size);
  } finally {
    fs.closeSync(fd);
  }
}

function readNpyFd(fd: number, file: string, fileSize: number): NpyArray {
  const pre = Buffer.alloc(12);
  const got = readFully(fd, pre, 0);
  if (got < 10 || !pre.subarray(0, 6).equals(MAGIC)) {
    throw new EadroError('Not a NumPy .npy file.', { file, field: 'magic', expected: '\\x93NUMPY' });
  }
  const major = pre[6]!;
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = pre.readUInt16LE(8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    headerLen = pre.readUInt32LE(8);
    headerStart = 12;
  } else {
    throw new EadroError('Unsupported .npy version.', { file, field: 'version', expected: '1.0, 2.0 or 3.0', found: `${major}` });
  }
  const headerBuf = Buffer.alloc(headerLen);
  readFully(fd, headerBuf, headerStart);
  const header = headerBuf.toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new EadroError('Malformed .npy header.', { file, field: 'header', expected: "{'descr', 'fortran_order', 'shape'}", found: header.trim() });
  }
  if (fortran === 'True') throw new EadroError('Fortran-order .npy is not supported.', { file, field: 'fortran_order', expected: 'False' });
  const shape = shapeText.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  const count = shape.reduce((x, y) => x * y, 1);
  const dataStart = headerStart + headerLen;
  const bodyBytes = fileSize - dataStart;
  // Read the data into a fresh buffer of the element size's alignment.
  const aligned = (size: number): ArrayBuffer => {
    if (bodyBytes !== count * size) {
      throw new EadroError('Truncated or oversized .npy data.', { file, field: 'data', expected: `${count * size} bytes`, found: `${bodyBytes} bytes` });
    }
    const ab = new ArrayBuffer(count * size);
    readFully(fd, new Uint8Array(ab), dataStart);
    return ab;
  };
  assertLittleEndian();
  switch (descr) {
    case '<f4':
      return { descr, shape, data: new Float32Array(aligned(4)) };
    case '<f8':
      return { descr, shape, data: new Float64Array(aligned(8)) };
    case '<i4':
      return { descr, shape, data: new Int32Array(aligned(4)) };
    case '<i8': {
      const wide = new BigInt64Array(aligned(8));
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = wide[i]!;
        if (v > 2147483647n || v < -2147483648n) {
          throw new EadroError('int64 value outside int32 range.', { file, field: `data[${i}]`, found: v.toString() });
        }
        out[i] = Number(v);
      }
      return { descr, shape, data: out };
    }
    default:
      throw new EadroError('Unsupported .npy dtype.', { file, field: 'descr', expected: "'<f4', '<f8', '<i4' or '<i8'", found: descr });
  }
}
