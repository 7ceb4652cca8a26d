/**
 * Log lines of simulated services: per service a few tens of templates with variable parts (ids,
 * UUIDs, user names, durations, routes, thread names), emitted on request handling, on periodic
 * background work, as benign warnings, and as errors under faults. Two line formats, as the issue
 * specifies (timestamps are UTC wall time without a zone, like the released data's local time):
 *
 *   java: `2022-04-17 21:21:05.123  INFO 1 --- [http-nio-8080-exec-3] c.s.OrderServiceImpl : ...`
 *   cpp:  `[2022-Apr-17 21:21:05.123456] <info>: (ComposePostHandler.h:120:ComposePost) ...`
 *
 * An `exception` fault's ERROR line is followed, in the Java style, by its stack trace as separate
 * lines without a header (`\tat ...`, `Caused by: ...`, `\t... 87 more`), as Logback writes them; the
 * raw reader counts them as continuation lines (src/raw/config.ts `logContinuationPattern`).
 */
import type { Rng } from '../core/rng.js';
import { hashString32 } from '../core/rng.js';
import type { LogStyle } from './topology.js';

export type LogLevel = 'INFO' | 'WARN' | 'ERROR';

/** What the dynamic placeholders of a line are filled with; absent fields are drawn at random. */
export interface LogValues {
  ms?: number;
  callee?: string;
  route?: string;
  code?: number;
  job?: string;
}

type Part = string | 'uuid' | 'id' | 'user' | 'n' | 'ms' | 'host' | 'route' | 'callee' | 'code' | 'job';
const PLACEHOLDERS = new Set(['uuid', 'id', 'user', 'n', 'ms', 'host', 'route', 'callee', 'code', 'job']);

/** A template compiled to literal parts and placeholders, with its fixed header. */
export interface CompiledTemplate {
  level: LogLevel;
  /** Java: thread kind; cpp: unused. */
  thread: 'http' | 'scheduling' | 'hikari' | 'mongo';
  /** Java: logger name; cpp: `File.h:line:Function`. */
  source: string;
  /** The template text as written, placeholders as `{name}` (for tests and notebooks). */
  text: string;
  parts: Array<{ literal: boolean; value: Part }>;
}

/** What a service logs when an operation throws (`exception` fault): the ERROR line and its stack trace. */
export interface ExceptionTemplate {
  header: CompiledTemplate;
  /** Java: stack-trace continuation lines written verbatim after the header; cpp: none (one line). */
  stack: string[];
}

export interface ServiceLogTemplates {
  /** Per operation: lines at request start, at its end, and an optional detail line. */
  request: Map<string, { begin: CompiledTemplate; end: CompiledTemplate; detail: CompiledTemplate }>;
  /** Per operation: the exception it throws under an `exception` fault (one bug, one exception). */
  exception: Map<string, ExceptionTemplate>;
  background: CompiledTemplate[];
  benignWarning: CompiledTemplate[];
  cpuWarning: CompiledTemplate[];
  callerTimeout: CompiledTemplate;
  callerFailure: CompiledTemplate;
  callerRetry: CompiledTemplate;
  slowCallee: CompiledTemplate;
  /** A call answered with a 5xx (the callee threw, or rejected the request). */
  callerServerError: CompiledTemplate;
  /** A caller found the callee's answer wrong and rejects its own request (`error_return`). */
  callerBadResult: CompiledTemplate;
  /** A caller found the callee's answer wrong and carries on with a fallback value (`error_return`). */
  callerFallback: CompiledTemplate;
  /** Logged by the target itself when its own connections lose packets (paper §III's example event). */
  connectionError: CompiledTemplate;
  jobStart: CompiledTemplate;
  jobEnd: CompiledTemplate;
}

export const logDefaults = {
  /** ours: probability that a served request also logs its detail line. */
  detailProbability: 0.35,
  /** ours: background lines per service per second (periodic tasks, pool stats, health checks). */
  backgroundPerSecond: 0.05,
  /** ours: benign warnings per service per second. */
  benignWarningPerSecond: 0.0015,
};

function compile(level: LogLevel, thread: CompiledTemplate['thread'], source: string, text: string): CompiledTemplate {
  const parts: CompiledTemplate['parts'] = [];
  const re = /\{([a-z]+)\}/g;
  let last = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (!PLACEHOLDERS.has(m[1]!)) continue;
    if (m.index > last) parts.push({ literal: true, value: text.slice(last, m.index) });
    parts.push({ literal: false, value: m[1] as Part });
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push({ literal: true, value: text.slice(last) });
  return { level, thread, source, text, parts };
}

const pascal = (words: string): string =>
  words
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

/** `ts-food-map-service` -> `food-map`; `compose-post-service` -> `compose-post`. */
export function serviceNoun(service: string): string {
  return service.replace(/^ts-/, '').replace(/-service$/, '');
}

/** A readable label of an operation: its last non-parameter path segment, or the RPC name. */
export function operationLabel(operation: string): string {
  const segments = operation.split(/[\s/]+/).filter((s) => s.length > 0 && !s.startsWith('{') && !/^(GET|POST|PUT|DELETE)$/.test(s));
  return pascal(segments[segments.length - 1] ?? operation) || 'Handle';
}

const pick = <T>(items: readonly T[], key: string): T => items[hashString32(key) % items.length]!;

/** Build a service's templates for the given operations. */
export function buildServiceTemplates(service: string, operations: string[], style: LogStyle): ServiceLogTemplates {
  const noun = serviceNoun(service);
  const Noun = pascal(noun);
  const initial = noun[0] ?? 'x';
  const java = style === 'java';
  const impl = java ? `${initial}.s.${Noun}ServiceImpl` : '';
  const ctrl = java ? `${initial}.c.${Noun}Controller` : '';
  const src = (file: string, fn: string, key: string): string => `${file}:${40 + (hashString32(`${service}/${key}`) % 400)}:${fn}`;
  const handlerFile = noun === 'nginx-web-server' ? 'nginx.lua' : `${Noun}Handler.h`;
  const request = new Map<string, { begin: CompiledTemplate; end: CompiledTemplate; detail: CompiledTemplate }>();
  for (const op of operations) {
    const Op = operationLabel(op);
    if (java) {
      const begin = pick([
        `[${Noun} Service][${Op}] Request received, id: {uuid}`,
        `[${Op}] Receive request from user {user}`,
        `${Op}: query ${noun} by account id {uuid}`,
        `${Noun}Controller ${Op} called, params: [{id}]`,
      ], `${service}/${op}/b`);
      const end = pick([
        `[${Noun} Service][${Op}] Success. Took {ms} ms`,
        `${Op} finished, {n} ${noun} records returned`,
        `${Noun} id: {uuid}`,
        `[${Op}] Response status: 200, elapsed: {ms}ms`,
      ], `${service}/${op}/e`);
      const detail = pick([
        `Cache hit for key ${noun}:{id}`,
        `Cache miss for key ${noun}:{id}, loading from MongoDB`,
        `${Op} result size: {n}`,
      ], `${service}/${op}/d`);
      request.set(op, {
        begin: compile('INFO', 'http', ctrl, begin),
        end: compile('INFO', 'http', impl, end),
        detail: compile('INFO', 'http', impl, detail),
      });
    } else {
      const begin = pick([`Received ${Op} request, req_id={id}`, `${Op} start, user_id={id}`, `Handling ${Op} for {user}`], `${service}/${op}/b`);
      const end = pick([`${Op} finished in {ms} ms`, `${Op} done, post_id={id}`, `${Op} returned {n} items`], `${service}/${op}/e`);
      const detail = pick([`Cache hit for ${noun}:{id} in memcached`, `Cache miss for ${noun}:{id}, reading MongoDB`, `${Op} wrote {n} bytes`], `${service}/${op}/d`);
      request.set(op, {
        begin: compile('INFO', 'http', src(handlerFile, Op, `${op}/b`), begin),
        end: compile('INFO', 'http', src(handlerFile, Op, `${op}/e`), end),
        detail: compile('INFO', 'http', src(handlerFile, Op, `${op}/d`), detail),
      });
    }
  }
  const exception = new Map<string, ExceptionTemplate>();
  for (const op of operations) {
    const Op = operationLabel(op);
    const key = `${service}/${op}/x`;
    if (java) {
      // Stack frames of the throwing method, its controller and the Spring/Tomcat frames above them;
      // line numbers are fixed per service and operation (one bug, one place).
      const pkg = noun.replace(/[^a-z0-9]/g, '');
      const method = Op[0]!.toLowerCase() + Op.slice(1);
      const ln = (k: string): number => 40 + (hashString32(`${key}/${k}`) % 400);
      const frames = [
        `\tat ${pkg}.service.${Noun}ServiceImpl.${method}(${Noun}ServiceImpl.java:${ln('impl')})`,
        `\tat ${pkg}.controller.${Noun}Controller.${method}(${Noun}Controller.java:${ln('ctrl')})`,
        '\tat sun.reflect.GeneratedMethodAccessor' + (80 + (hashString32(`${key}/acc`) % 120)) + '.invoke(Unknown Source)',
        '\tat org.springframework.web.servlet.FrameworkServlet.processRequest(FrameworkServlet.java:1005)',
        '\tat javax.servlet.http.HttpServlet.service(HttpServlet.java:764)',
      ];
      const kinds: Array<[string, string[]]> = [
        [`[${Op}] Request processing failed: java.lang.NullPointerException: null`, frames],
        [`[${Op}] Request processing failed: java.lang.IllegalArgumentException: Invalid ${noun} id: {uuid}`, frames],
        [
          `[${Op}] Request processing failed: org.springframework.dao.DataAccessResourceFailureException: Query failed on ${noun}; nested exception is com.mongodb.MongoQueryException`,
          [
            ...frames.slice(0, 3),
            `Caused by: com.mongodb.MongoQueryException: Query failed with error code 2 and error message 'unknown operator: $${noun.replace(/-/g, '')}'`,
            '\tat com.mongodb.internal.operation.FindOperation$1.call(FindOperation.java:663)',
            `\t... ${60 + (hashString32(`${key}/more`) % 40)} more`,
          ],
        ],
      ];
      const [text, stack] = pick(kinds, key);
      exception.set(op, { header: compile('ERROR', 'http', impl, text), stack });
    } else {
      const text = pick([
        `${Op} failed: ServiceException: errorCode=SE_MONGODB_ERROR, message=Failed to find ${noun} {id}`,
        `Caught std::out_of_range in ${Op}: vector::_M_range_check: __n (which is {n}) >= this->size()`,
        `Caught std::runtime_error in ${Op}: Failed to parse JSON of ${noun} {id}`,
      ], key);
      exception.set(op, { header: compile('ERROR', 'http', src(handlerFile, Op, `${op}/x`), text), stack: [] });
    }
  }
  if (java) {
    return {
      request,
      exception,
      background: [
        compile('INFO', 'scheduling', `${initial}.s.${Noun}ScheduledTask`, `Scheduled task ${noun}CacheRefresh finished in {ms} ms`),
        compile('INFO', 'hikari', 'c.z.hikari.pool.HikariPool', 'HikariPool-1 - Pool stats (total={n}, active={n}, idle={n}, waiting=0)'),
        compile('INFO', 'mongo', 'org.mongodb.driver.connection', `Opened connection [connectionId{localValue:{n}}] to ts-${noun}-mongo:27017`),
        compile('INFO', 'scheduling', `${initial}.c.HealthController`, 'Health check OK, uptime {n} s'),
        compile('INFO', 'scheduling', impl, `Refreshing ${noun} statistics: {n} records scanned`),
        compile('INFO', 'mongo', 'org.mongodb.driver.cluster', `Monitor thread successfully connected to server ts-${noun}-mongo:27017, roundTrip {ms} ms`),
      ],
      benignWarning: [
        compile('WARN', 'http', impl, `Slow query on collection ${noun}: {ms} ms`),
        compile('WARN', 'http', ctrl, 'Deprecated endpoint {route} called by {user}'),
        compile('WARN', 'scheduling', 'o.s.c.n.e.s.EurekaServiceRegistry', 'Renew lease took {ms} ms, retrying (attempt {n})'),
      ],
      cpuWarning: [
        compile('WARN', 'http', 'o.a.tomcat.util.threads.ThreadPoolExecutor', 'Thread pool http-nio busy: active={n}, queued={n}'),
        compile('WARN', 'http', impl, `${Noun} handler response time degraded: {ms} ms`),
      ],
      callerTimeout: compile('ERROR', 'http', impl, 'Exception when calling {callee}: java.net.SocketTimeoutException: Read timed out'),
      callerFailure: compile('ERROR', 'http', impl, 'Exception when calling {callee}: org.springframework.web.client.ResourceAccessException: I/O error on {route}: Connection reset'),
      callerRetry: compile('WARN', 'http', impl, 'Call to {callee} failed with status {code}, retrying ({n}/3)'),
      slowCallee: compile('WARN', 'http', impl, 'Slow response from {callee}: {ms} ms'),
      callerServerError: compile('ERROR', 'http', impl, 'Exception when calling {callee}: org.springframework.web.client.HttpServerErrorException$InternalServerError: 500 Internal Server Error on {route}'),
      callerBadResult: compile('ERROR', 'http', impl, 'Invalid response from {callee} for {route}: data is null, request rejected'),
      callerFallback: compile('WARN', 'http', impl, 'Invalid response from {callee} for {route}: data is empty, using cached value'),
      connectionError: compile('ERROR', 'mongo', 'org.mongodb.driver.cluster', `Exception in monitor thread while connecting to server ts-${noun}-mongo:27017`),
      jobStart: compile('INFO', 'scheduling', `${initial}.s.${Noun}ScheduledTask`, 'Background job {job} started'),
      jobEnd: compile('INFO', 'scheduling', `${initial}.s.${Noun}ScheduledTask`, 'Background job {job} finished in {ms} ms'),
    };
  }
  const bg = (key: string, fn: string, text: string, level: LogLevel = 'INFO'): CompiledTemplate => compile(level, 'scheduling', src(handlerFile, fn, key), text);
  return {
    request,
    exception,
    background: [
      bg('bg1', 'Heartbeat', 'Thrift server heartbeat, {n} open connections'),
      bg('bg2', 'PoolStats', 'ClientPool<MongoClient> size={n} idle={n}'),
      bg('bg3', 'Flush', 'Flushed {n} spans to jaeger-agent in {ms} ms'),
      bg('bg4', 'RefreshCache', `Refreshed ${noun} cache: {n} keys`),
      bg('bg5', 'Metrics', 'Served {n} requests since last report'),
    ],
    benignWarning: [
      bg('w1', 'MongoRead', `Slow MongoDB read on ${noun}: {ms} ms`, 'WARN'),
      bg('w2', 'Memcached', 'memcached_get returned MEMCACHED_NOTFOUND for key {id}', 'WARN'),
      bg('w3', 'ClientPool', 'ClientPool<ThriftClient> is full, waited {ms} ms', 'WARN'),
    ],
    cpuWarning: [
      bg('c1', 'Serve', 'TNonblockingServer: task queue length {n} exceeds limit', 'WARN'),
      bg('c2', 'Serve', `${Noun} handler took {ms} ms`, 'WARN'),
    ],
    callerTimeout: bg('e1', 'Call', 'Failed to read from {callee}-client: THRIFT_TIMED_OUT', 'ERROR'),
    callerFailure: bg('e2', 'Call', 'Failed to connect {callee}-client: TSocket::open() connect() <Host: {callee} Port: 9090>: Connection reset by peer', 'ERROR'),
    callerRetry: bg('e3', 'Call', 'Call to {callee} failed (code {code}), retry {n}', 'WARN'),
    slowCallee: bg('e4', 'Call', '{callee} answered after {ms} ms', 'WARN'),
    callerServerError: bg('e6', 'Call', 'Received TApplicationException from {callee}-client: Internal error processing {route}', 'ERROR'),
    callerBadResult: bg('e7', 'Call', 'Invalid reply from {callee}-client for {route}: empty result, aborting', 'ERROR'),
    callerFallback: bg('e8', 'Call', 'Invalid reply from {callee}-client for {route}: empty result, using default', 'WARN'),
    connectionError: bg('e5', 'MongoConnect', `Exception in monitor thread while connecting to server ${noun}-mongodb:27017`, 'ERROR'),
    jobStart: bg('j1', 'Job', 'Background job {job} started'),
    jobEnd: bg('j2', 'Job', 'Background job {job} finished in {ms} ms'),
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const USERS = ['fdse_microservice', 'alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar', 'peggy', 'trent', 'victor', 'walter'];
const ROUTES = ['/api/v1/orders', '/api/v1/users/login', '/api/v1/travel/query', '/wrk2-api/post/compose', '/api/v1/admin/config'];
const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

/** Renders lines of one system's style with a cached per-second timestamp prefix. */
export class LogRenderer {
  private cachedSecond = Number.NaN;
  private cachedPrefix = '';

  constructor(readonly style: LogStyle, private readonly rng: Rng) {}

  private prefix(second: number): string {
    if (second !== this.cachedSecond) {
      const d = new Date(second * 1000);
      const hms = `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}`;
      this.cachedPrefix =
        this.style === 'java'
          ? `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())} ${hms}`
          : `[${d.getUTCFullYear()}-${MONTHS[d.getUTCMonth()]}-${pad2(d.getUTCDate())} ${hms}`;
      this.cachedSecond = second;
    }
    return this.cachedPrefix;
  }

  private hex8(): string {
    return this.rng.nextUint32().toString(16).padStart(8, '0');
  }

  private fill(part: Part, v: LogValues): string {
    const r = this.rng;
    switch (part) {
      case 'uuid': {
        const a = this.hex8();
        const b = this.hex8();
        const c = this.hex8();
        const d = this.hex8();
        return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
      }
      case 'id': return String(r.nextUint32() % 100000000);
      case 'user': return USERS[r.int(USERS.length)]!;
      case 'n': return String(r.int(200));
      case 'ms': return v.ms === undefined ? String(1 + r.int(300)) : String(Math.round(v.ms));
      case 'host': return `10.0.${r.int(4)}.${2 + r.int(250)}`;
      case 'route': return v.route ?? ROUTES[r.int(ROUTES.length)]!;
      case 'callee': return v.callee ?? 'unknown';
      case 'code': return String(v.code ?? 500);
      case 'job': return v.job ?? 'task';
      default: return part;
    }
  }

  /**
   * One line at time `t` (unix seconds, fractional). `port` is the service's HTTP port (java thread
   * names). Returns the raw line.
   */
  render(t: CompiledTemplate, time: number, port: number, values: LogValues = {}): string {
    const second = Math.floor(time);
    let msg = '';
    for (const p of t.parts) msg += p.literal ? p.value : this.fill(p.value, values);
    if (this.style === 'java') {
      const ms = Math.floor((time - second) * 1000);
      const frac = ms < 10 ? `00${ms}` : ms < 100 ? `0${ms}` : `${ms}`;
      const thread =
        t.thread === 'http' ? `http-nio-${port}-exec-${1 + this.rng.int(10)}` :
        t.thread === 'scheduling' ? 'scheduling-1' :
        t.thread === 'hikari' ? 'HikariPool-1 housekeeper' : `cluster-ClusterId{value='${port}', description='null'}-mongo:27017`;
      return `${this.prefix(second)}.${frac} ${t.level.padStart(5)} 1 --- [${thread}] ${t.source} : ${msg}`;
    }
    const us = Math.floor((time - second) * 1e6);
    const level = t.level === 'INFO' ? 'info' : t.level === 'WARN' ? 'warning' : 'error';
    return `${this.prefix(second)}.${String(us).padStart(6, '0')}] <${level}>: (${t.source}) ${msg}`;
  }
}

/** Lines of one run, per service, kept with their times so that each service's list is sorted by time. */
export class LogBuffer {
  private readonly times: number[][];
  private readonly lines: string[][];
  count = 0;

  constructor(readonly services: readonly string[]) {
    this.times = services.map(() => []);
    this.lines = services.map(() => []);
  }

  add(service: number, time: number, line: string): void {
    this.times[service]!.push(time);
    this.lines[service]!.push(line);
    this.count++;
  }

  /** Lines of a service sorted by time (stable). */
  sorted(service: number): string[] {
    const times = this.times[service]!;
    const lines = this.lines[service]!;
    const order = Array.from({ length: times.length }, (_, i) => i);
    order.sort((a, b) => times[a]! - times[b]! || a - b);
    return order.map((i) => lines[i]!);
  }
}
