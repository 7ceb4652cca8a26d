/**
 * A results store as SQL tables (DuckDB, in memory), for slicing results in a notebook or a script:
 *
 *   runs     one row per finished run: run (its folder), config_hash, method, variant, ablation,
 *            system, profile, protocol, seed, dataset_checksum
 *   metrics  one row per run and metric: run, metric, value (NULL where undefined)
 *   windows  one row per run and test window: run, window, label (-1 normal, else the culprit's node
 *            index), episode, fold, flagged, score, culprit_rank (1-based rank of the true culprit,
 *            NULL for normal windows and for methods that do not rank)
 *
 * e.g. HR@1 end-to-end per method and system, over the faulty test windows:
 *   SELECT r.method, r.system, avg(CASE WHEN w.flagged AND w.culprit_rank = 1 THEN 1 ELSE 0 END) AS hr1
 *   FROM windows w JOIN runs r USING (run) WHERE w.label >= 0 AND r.protocol = 'temporal'
 *   GROUP BY ALL ORDER BY ALL
 * DuckDB, because it is already a dependency, runs SQL with joins and window functions in process, and
 * reads the store's JSON without a server (an in-memory database: nothing is written).
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { EadroError } from '../core/errors.js';
import { listFinishedRuns, storedDatasetChecksum, type StoredRun } from './store.js';

export interface ResultsDb {
  connection: DuckDBConnection;
  /** Rows loaded into each table. */
  counts: { runs: number; metrics: number; windows: number };
  /** Run a query and return its rows as plain objects (BigInt counts become numbers). */
  query(sql: string): Promise<Record<string, unknown>[]>;
  close(): void;
}

const plain = (v: unknown): unknown => (typeof v === 'bigint' ? Number(v) : v);

/** Load every finished run of the store at `storeDir` (or the given runs) into a fresh in-memory database. */
export async function openResultsDb(source: string | readonly StoredRun[]): Promise<ResultsDb> {
  const runs = typeof source === 'string' ? listFinishedRuns(source) : source;
  if (typeof source === 'string' && runs.length === 0) {
    throw new EadroError('No finished runs in this results store.', { file: source, expected: 'a folder written by eadro grid or eadro reproduce (runs-store)' });
  }
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`CREATE TABLE runs (run VARCHAR, config_hash VARCHAR, method VARCHAR, variant VARCHAR, ablation VARCHAR, system VARCHAR, profile VARCHAR, protocol VARCHAR, seed INTEGER, dataset_checksum VARCHAR)`);
  await connection.run(`CREATE TABLE metrics (run VARCHAR, metric VARCHAR, value DOUBLE)`);
  await connection.run(`CREATE TABLE windows (run VARCHAR, "window" INTEGER, label INTEGER, episode VARCHAR, fold INTEGER, flagged BOOLEAN, score DOUBLE, culprit_rank INTEGER)`);
  const runRows = await connection.createAppender('runs');
  const metricRows = await connection.createAppender('metrics');
  const windowRows = await connection.createAppender('windows');
  const counts = { runs: 0, metrics: 0, windows: 0 };
  for (const r of runs) {
    const spec = r.metrics.spec;
    const d = spec.dataset as { kind: string; system?: string; profile?: string };
    runRows.appendVarchar(r.dir);
    runRows.appendVarchar(r.metrics.configHash);
    runRows.appendVarchar(spec.method.name);
    runRows.appendVarchar(spec.method.variant ?? '');
    runRows.appendVarchar(spec.method.ablation ?? 'none');
    runRows.appendVarchar(d.system ?? '');
    runRows.appendVarchar(d.profile ?? '');
    runRows.appendVarchar(spec.protocol.name);
    runRows.appendInteger(r.metrics.seed);
    const checksum = storedDatasetChecksum(r.dir);
    if (checksum === null) runRows.appendNull();
    else runRows.appendVarchar(checksum);
    runRows.endRow();
    counts.runs++;
    for (const [metric, value] of Object.entries(r.metrics.metrics)) {
      metricRows.appendVarchar(r.dir);
      metricRows.appendVarchar(metric);
      if (typeof value === 'number' && Number.isFinite(value)) metricRows.appendDouble(value);
      else metricRows.appendNull();
      metricRows.endRow();
      counts.metrics++;
    }
    const p = r.predictions;
    for (let i = 0; i < p.windows.length; i++) {
      const label = p.labels[i]!;
      windowRows.appendVarchar(r.dir);
      windowRows.appendInteger(p.windows[i]!);
      windowRows.appendInteger(label);
      windowRows.appendVarchar(p.episodes[i] ?? '');
      windowRows.appendInteger(p.folds[i] ?? 0);
      windowRows.appendBoolean(p.predictedAnomalous[i] === true);
      const score = p.anomalyScore?.[i];
      if (typeof score === 'number' && Number.isFinite(score)) windowRows.appendDouble(score);
      else windowRows.appendNull();
      const rank = label >= 0 && p.ranking !== null ? (p.ranking[i]?.indexOf(label) ?? -1) : -1;
      if (rank >= 0) windowRows.appendInteger(rank + 1);
      else windowRows.appendNull();
      windowRows.endRow();
      counts.windows++;
    }
  }
  runRows.closeSync();
  metricRows.closeSync();
  windowRows.closeSync();
  return {
    connection,
    counts,
    async query(sql: string) {
      const reader = await connection.runAndReadAll(sql);
      return reader.getRowObjects().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])));
    },
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
