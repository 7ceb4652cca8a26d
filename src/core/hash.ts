/**
 * Stable hashing for provenance: configs hash the same whatever their key order, and datasets hash by
 * content (relative path + bytes of every file), so a number can be traced to exactly what made it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** JSON with object keys sorted at every level; `undefined` members are dropped as JSON does. */
export function stableStringify(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value as Record<string, unknown>).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Short hash of a config (first 12 hex digits of SHA-256 of its stable JSON). */
export function configHash(config: unknown): string {
  return sha256Hex(stableStringify(config)).slice(0, 12);
}

export interface DatasetChecksum {
  /** SHA-256 over every file's relative path and content, in sorted path order. */
  sha256: string;
  files: number;
  bytes: number;
}

/**
 * Content checksum of a file or a directory tree. Hidden files (names starting with '.') are skipped:
 * they are temporary files of atomic writes or editor state, not data.
 */
export function checksumPath(root: string): DatasetChecksum {
  const stat = fs.statSync(root);
  const files: string[] = [];
  if (stat.isDirectory()) collectFiles(root, '', files);
  else files.push('');
  files.sort();
  const hash = createHash('sha256');
  let bytes = 0;
  const buf = Buffer.alloc(1 << 20);
  for (const rel of files) {
    const full = rel === '' ? root : path.join(root, rel);
    hash.update(`${rel}\0`);
    const fd = fs.openSync(full, 'r');
    try {
      let n: number;
      while ((n = fs.readSync(fd, buf, 0, buf.length, null)) > 0) {
        hash.update(buf.subarray(0, n));
        bytes += n;
      }
    } finally {
      fs.closeSync(fd);
    }
    hash.update('\0');
  }
  return { sha256: hash.digest('hex'), files: files.length, bytes };
}

function collectFiles(root: string, rel: string, out: string[]): void {
  for (const entry of fs.readdirSync(path.join(root, rel), { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const childRel = rel === '' ? entry.name : `${rel}/${entry.name}`;
    if (entry.isDirectory()) collectFiles(root, childRel, out);
    else if (entry.isFile()) out.push(childRel);
  }
}
