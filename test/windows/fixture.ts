/**
 * A tiny raw root in the released layout (data-formats.md §1), with known answers:
 * - 3 TT-named services; every second one trace user -> order -> station (durations 30, 20, 10 ms;
 *   station 50 ms while faulty, and an HTTP 503 every other faulty second);
 * - one fault-free run of 120 s (spans, logs, metrics) and one fault run of 180 s with a 30 s CPU
 *   fault on station starting 60 s in;
 * - one log line per service per second (Java format); station logs an extra, never-seen-in-training
 *   line while faulty (-> event 0).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const FIXTURE = {
  normalStart: 1_650_000_000,
  normalSeconds: 120,
  faultStart: 1_650_100_000,
  faultSeconds: 180,
  faultOffset: 60,
  faultDuration: 30,
  services: ['ts-order-service', 'ts-station-service', 'ts-user-service'],
  normalRun: 'run-2022-04-15T051320',
  faultRun: 'run-2022-04-16T090640',
};

const COLUMNS = ['cpu_usage_system', 'cpu_usage_total', 'cpu_usage_user', 'memory_usage', 'memory_working_set', 'rx_bytes', 'tx_bytes'];

function javaTime(unix: number): string {
  return new Date(unix * 1000).toISOString().replace('T', ' ').replace('Z', '');
}

function writeRun(dir: string, start: number, seconds: number, faulty: (t: number) => boolean): void {
  fs.mkdirSync(path.join(dir, 'metrics'), { recursive: true });
  const traces: unknown[] = [];
  const logs: Record<string, string[]> = { 'ts-order-service': [], 'ts-station-service': [], 'ts-user-service': [] };
  const csv: Record<string, string[]> = {};
  for (const s of FIXTURE.services) csv[s] = [`timestamp,${COLUMNS.join(',')}`];
  for (let i = 0; i < seconds; i++) {
    const t = start + i;
    const bad = faulty(t);
    const id = `t${t}`;
    const us = t * 1e6 + 100_000;
    traces.push({
      traceID: id,
      spans: [
        { traceID: id, spanID: `${id}a`, operationName: 'login', references: [], startTime: us, duration: 30_000, processID: 'p1', tags: [] },
        {
          traceID: id, spanID: `${id}b`, operationName: 'getOrder', references: [{ refType: 'CHILD_OF', traceID: id, spanID: `${id}a` }],
          startTime: us + 1000, duration: 20_000, processID: 'p2', tags: [],
        },
        {
          traceID: id, spanID: `${id}c`, operationName: 'getStation', references: [{ refType: 'CHILD_OF', traceID: id, spanID: `${id}b` }],
          startTime: us + 2000, duration: bad ? 50_000 : 10_000, processID: 'p3',
          // Every other faulty second the station call fails with HTTP 503 (an error span).
          tags: bad && i % 2 === 0 ? [{ key: 'http.status_code', type: 'int64', value: 503 }] : [],
        },
      ],
      processes: { p1: { serviceName: 'ts-user-service', tags: [] }, p2: { serviceName: 'ts-order-service', tags: [] }, p3: { serviceName: 'ts-station-service', tags: [] } },
    });
    logs['ts-user-service']!.push(`${javaTime(t + 0.2)}  INFO 1 --- [main] c.s.UserService : User ${i} logged in`);
    logs['ts-order-service']!.push(`${javaTime(t + 0.3)}  INFO 1 --- [main] c.s.OrderService : Query order ${i * 7} done`);
    logs['ts-station-service']!.push(`${javaTime(t + 0.4)}  INFO 1 --- [main] c.s.StationService : Station list returned ${i % 5} rows`);
    if (bad) logs['ts-station-service']!.push(`${javaTime(t + 0.6)}  WARN 1 --- [main] c.s.StationService : thread pool exhausted, request rejected`);
    for (const s of FIXTURE.services) {
      const cpu = s === 'ts-station-service' && bad ? 90 : 10 + (i % 3);
      csv[s]!.push(`${t},${cpu},${cpu},${cpu},${1000 + i},${1000 + i},${i * 10},${i * 20}`);
    }
  }
  fs.writeFileSync(path.join(dir, 'spans.json'), JSON.stringify(traces));
  fs.writeFileSync(path.join(dir, 'logs.json'), JSON.stringify(logs));
  for (const s of FIXTURE.services) fs.writeFileSync(path.join(dir, 'metrics', `${s}.csv`), `${csv[s]!.join('\n')}\n`);
}

/** Write the fixture under a fresh temporary folder; returns the raw root. */
export function writeFixture(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'eadro-raw-'));
  const f = FIXTURE;
  writeRun(path.join(root, 'no fault', f.normalRun), f.normalStart, f.normalSeconds, () => false);
  const fs0 = f.faultStart + f.faultOffset;
  writeRun(path.join(root, 'data', f.faultRun), f.faultStart, f.faultSeconds, (t) => t >= fs0 && t < fs0 + f.faultDuration);
  fs.writeFileSync(
    path.join(root, 'data', `${f.faultRun}.json`),
    JSON.stringify({
      start: f.faultStart,
      end: f.faultStart + f.faultSeconds,
      faults: [{ name: 'train-ticket_ts-station-service_1', fault: 'cpu_exhaustion', start: fs0, duration: f.faultDuration }],
    }),
  );
  return root;
}
