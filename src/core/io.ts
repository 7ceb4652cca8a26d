/**
 * File output that never leaves a half-written file behind: write to a temporary sibling, fsync,
 * then rename over the target (rename is atomic on one filesystem). A crash or SIGKILL leaves either
 * the old file or the new one, never a truncated mix.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

let tmpCounter = 0;

function tmpSibling(target: string): string {
  tmpCounter++;
  return path.join(path.dirname(target), `.${path.basename(target)}.tmp-${process.pid}-${tmpCounter}`);
}

/** Write bytes or text to `target` atomically, creating parent directories. */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = tmpSibling(target);
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeSync(fd, data as never);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, target);
}

/** Write a value as pretty JSON (2-space indent, trailing newline) atomically. */
export function writeJsonAtomic(target: string, value: unknown): void {
  writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
}

/** A fresh sibling folder name for staging a folder that `publishDir` will move to `dest`. */
export function stagingSibling(dest: string, kind = 'partial'): string {
  tmpCounter++;
  return `${dest}.${kind}-${process.pid}-${tmpCounter}`;
}

/**
 * Move the finished folder `staging` into place at `dest`, for outputs that several processes may
 * build at once (the grid's workers asking for the same testbed data or windows). If `dest` already
 * holds a good copy (`destIsGood`: another process published first), `staging` is discarded. A stale
 * `dest` is moved aside, then removed, so that no process ever sees a half-removed folder under `dest`.
 * Returns whether this call published its copy.
 */
export function publishDir(staging: string, dest: string, destIsGood: () => boolean): boolean {
  if (destIsGood()) {
    fs.rmSync(staging, { recursive: true, force: true });
    return false;
  }
  let aside: string | null = null;
  if (fs.existsSync(dest)) {
    aside = stagingSibling(dest, 'stale');
    try {
      fs.renameSync(dest, aside);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err; // another process moved it first
      aside = null;
    }
  }
  try {
    fs.renameSync(staging, dest);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Another process published between our check and our rename: keep its copy if it is good.
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && destIsGood()) {
      fs.rmSync(staging, { recursive: true, force: true });
      if (aside !== null) fs.rmSync(aside, { recursive: true, force: true });
      return false;
    }
    throw err;
  }
  if (aside !== null) fs.rmSync(aside, { recursive: true, force: true });
  return true;
}

/**
 * A stream writer that becomes visible under its final name only on `close()`: large outputs
 * (span files of hundreds of MB) are streamed without holding them in memory, and still atomic.
 */
export class AtomicStreamWriter {
  private readonly fd: number;
  private readonly tmp: string;
  private buffer: string[] = [];
  private buffered = 0;
  private closed = false;
  /** Bytes flushed to disk so far. */
  bytesWritten = 0;

  constructor(readonly target: string, private readonly flushAt = 1 << 20) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    this.tmp = tmpSibling(target);
    this.fd = fs.openSync(this.tmp, 'w');
  }

  write(text: string): void {
    if (this.closed) throw new Error(`AtomicStreamWriter: write after close (${this.target})`);
    this.buffer.push(text);
    this.buffered += text.length;
    if (this.buffered >= this.flushAt) this.flush();
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    const chunk = Buffer.from(this.buffer.join(''), 'utf8');
    fs.writeSync(this.fd, chunk);
    this.bytesWritten += chunk.length;
    this.buffer = [];
    this.buffered = 0;
  }

  /** Flush, fsync and rename into place. */
  close(): void {
    if (this.closed) return;
    this.flush();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    fs.renameSync(this.tmp, this.target);
    this.closed = true;
  }

  /** Drop the partial output (on error). */
  abort(): void {
    if (this.closed) return;
    fs.closeSync(this.fd);
    fs.rmSync(this.tmp, { force: true });
    this.closed = true;
  }
}
