/**
 * Writes one run in the released raw layout (data-formats.md §1), streamed and atomic: files are
 * written into a hidden `.<run>.partial` folder through `AtomicStreamWriter`/`writeFileAtomic` and
 * the folder is renamed into place when the run is complete, so a crash never leaves a run that
 * looks finished but is not.
 *
 *   no fault/<run>/{spans.json, logs.json, metrics/<service>.csv}
 *   data/<run>/{spans.json, logs.json, metrics/<service>.csv}   and   data/<run>.json
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AtomicStreamWriter, writeFileAtomic } from '../core/io.js';
import type { LogBuffer } from './logs.js';
import type { ScheduledRun } from './schedule.js';

export interface FaultRecordJson {
  start: number;
  end: number;
  faults: Array<{ name: string; fault: string; start: number; duration: number }>;
}

export class RunWriter {
  readonly finalDir: string;
  private readonly tmpDir: string;
  private readonly spans: AtomicStreamWriter;
  private traces = 0;
  /** Bytes of every file written for this run so far (spans counted at close). */
  bytes = 0;

  constructor(readonly root: string, readonly run: ScheduledRun) {
    const parent = path.join(root, run.kind === 'normal' ? 'no fault' : 'data');
    this.finalDir = path.join(parent, run.id);
    this.tmpDir = path.join(parent, `.${run.id}.partial`);
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
    fs.mkdirSync(path.join(this.tmpDir, 'metrics'), { recursive: true });
    this.spans = new AtomicStreamWriter(path.join(this.tmpDir, 'spans.json'), 4 << 20);
  }

  /** Append one trace (a Jaeger trace object as JSON text) to `spans.json`, a JSON list. */
  writeTrace(json: string): void {
    this.spans.write(this.traces === 0 ? `[\n${json}` : `,\n${json}`);
    this.traces++;
  }

  writeMetrics(service: string, csv: string): void {
    const data = Buffer.from(csv, 'utf8');
    writeFileAtomic(path.join(this.tmpDir, 'metrics', `${service}.csv`), data);
    this.bytes += data.length;
  }

  /** `logs.json`: `{"<service>": ["<line>", ...], ...}`, each service's lines sorted by time. */
  writeLogs(buffer: LogBuffer): void {
    const w = new AtomicStreamWriter(path.join(this.tmpDir, 'logs.json'), 4 << 20);
    try {
      w.write('{');
      buffer.services.forEach((service, i) => {
        const lines = buffer.sorted(i);
        w.write(`${i > 0 ? ',' : ''}\n${JSON.stringify(service)}: [`);
        for (let k = 0; k < lines.length; k++) w.write(`${k > 0 ? ',' : ''}\n${JSON.stringify(lines[k])}`);
        w.write(lines.length > 0 ? '\n]' : ']');
      });
      w.write('\n}\n');
      w.close();
      this.bytes += w.bytesWritten;
    } catch (err) {
      w.abort();
      throw err;
    }
  }

  /** Close `spans.json`, write the fault record (fault runs) and move the run folder into place. */
  finish(record: FaultRecordJson | null): void {
    this.spans.write(this.traces === 0 ? '[]\n' : '\n]\n');
    this.spans.close();
    this.bytes += this.spans.bytesWritten;
    fs.rmSync(this.finalDir, { recursive: true, force: true });
    fs.renameSync(this.tmpDir, this.finalDir);
    if (record !== null) {
      const text = `${JSON.stringify(record, null, 2)}\n`;
      writeFileAtomic(path.join(path.dirname(this.finalDir), `${this.run.id}.json`), text);
      this.bytes += Buffer.byteLength(text);
    }
  }

  /** Drop the partial run (on error). */
  abort(): void {
    this.spans.abort();
    fs.rmSync(this.tmpDir, { recursive: true, force: true });
  }
}
