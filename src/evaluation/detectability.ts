/**
 * How detectable the faulty windows are at all: the ceiling any detector faces on testbed data.
 *
 * A window is labelled faulty when it overlaps a fault (paper §V-A; windows/labels.ts), whether or not
 * the fault left a mark in that window. A CPU hog shows in its target's CPU every second, but a network
 * fault shows only through traffic: at TrainTicket's 0.2-0.5 requests/s (paper §V-A) many 10-s windows
 * carry no call into or out of the target, so no log, KPI or trace of them differs from normal time.
 * The testbed records, per fault, the seconds that had a symptom (testbed.json `symptomSeconds`,
 * simulate.ts). From them:
 *
 *   evidence_w  = normal | symptom (some symptom second of w's fault lies in w) | silent (none does)
 *   ceilingRecall = |symptom| / (|symptom| + |silent|)        over the windows evaluated
 *   ceilingF1     = 2 r / (1 + r) with r = ceilingRecall       a detector that flags exactly the windows
 *                                                              with a symptom (precision 1)
 *   allAnomalousF1 = 2 p / (1 + p) with p = the faulty share  flagging everything
 *
 * ceilingF1 bounds any detector that judges each window by its own telemetry (one that carries state
 * across windows could guess that a fault goes on); it is generous, since a symptom second need not
 * look abnormal (a call through a lossy link often succeeds).
 *
 * Per source: the testbed also records which sources a fault's symptoms show in (testbed.json
 * `symptomSources`, testbed/faults.ts FAULT_SYMPTOM_SOURCES: a CPU hog in KPIs; network faults in
 * traces, logs and KPIs; the code-level `exception` and `error_return` in logs and traces only). Given a
 * source, `windowEvidence` counts a window as silent when its fault does not show in that source: the
 * ceiling of a detector that reads only KPIs (or only logs, or only traces).
 */
import { EadroError } from '../core/errors.js';
import { labelWindows, type FaultInterval } from '../windows/label.js';
import { allAnomalousLevels } from './trivial.js';

/** One fault as the testbed recorded it (testbed.json runs[].faults[]). */
export interface RecordedFault {
  /** Service name as in the dataset's node list. */
  service: string;
  type: string;
  /** Unix seconds. */
  start: number;
  /** Seconds. */
  duration: number;
  /** Offsets k from `start`: second [start + k, start + k + 1) had a symptom. */
  symptomSeconds: number[];
  /**
   * Sources the symptoms show in (`kpis`, `logs`, `traces`; testbed.json `symptomSources`). Absent
   * (testbeds before 1.4, other data): taken to show in every source.
   */
  symptomSources?: readonly string[];
}

/** Per window: 0 = normal, 1 = faulty with a symptom of its fault inside it, 2 = faulty and silent. */
export const EVIDENCE = { normal: 0, symptom: 1, silent: 2 } as const;

export interface EvidenceInput {
  /** [W] window starts, unix seconds; window w covers [start, start + T). */
  starts: ArrayLike<number>;
  /** [W] -1 = normal, else the culprit node index. */
  labels: ArrayLike<number>;
  nodes: string[];
  /** Window length, seconds. */
  T: number;
}

/**
 * Evidence of every window. A faulty window's fault is the one that decided its label, found by the
 * labelling rule itself (windows/label.ts `labelWindows`, `corrected`: the largest overlap); a faulty
 * window that overlaps no recorded fault of its culprit most is an error, since the faults do not
 * belong to these windows. With `source` (e.g. 'kpis'), evidence as that source alone shows it: a
 * window whose fault's `symptomSources` omit it is silent.
 */
export function windowEvidence(windows: EvidenceInput, faults: RecordedFault[], source?: string): Uint8Array {
  const W = windows.labels.length;
  if (windows.starts.length !== W) {
    throw new EadroError('Window starts and labels differ in length.', { field: 'starts/labels', expected: 'equal lengths', found: `${windows.starts.length} vs ${W}` });
  }
  // Any positive overlap may decide here: the windows' own labels already applied the threshold.
  const intervals: FaultInterval[] = faults.map((f) => ({ start: f.start, end: f.start + f.duration, node: windows.nodes.indexOf(f.service), type: f.type }));
  const { faultIndex } = labelWindows(Float64Array.from(windows.starts), intervals, { T: windows.T, threshold: Number.MIN_VALUE, rule: 'corrected' });
  const out = new Uint8Array(W);
  for (let w = 0; w < W; w++) {
    const culprit = windows.labels[w] as number;
    if (culprit < 0) continue;
    const start = windows.starts[w] as number;
    const end = start + windows.T;
    const f = faultIndex[w]! >= 0 ? faults[faultIndex[w]!]! : null;
    if (f === null || intervals[faultIndex[w]!]!.node !== culprit) {
      throw new EadroError('A faulty window overlaps no recorded fault of its culprit.', {
        field: `labels[${w}]`,
        expected: `a fault on ${windows.nodes[culprit]} overlapping [${start}, ${end}) most`,
        found: f === null ? 'no recorded fault overlapping it' : `a fault on ${f.service}`,
      });
    }
    // Second [f.start + k, f.start + k + 1) meets the window and the fault.
    const shows = source === undefined || f.symptomSources === undefined || f.symptomSources.includes(source);
    const seen = shows && f.symptomSeconds.some((k) => f.start + k + 1 > start && f.start + k < end && k < f.duration);
    out[w] = seen ? EVIDENCE.symptom : EVIDENCE.silent;
  }
  return out;
}

export interface DetectabilityCeiling {
  windows: number;
  faulty: number;
  withSymptom: number;
  silent: number;
  /** Faulty share of the windows (prevalence). */
  prevalence: number;
  allAnomalousF1: number;
  ceilingRecall: number;
  ceilingF1: number;
}

/** The ceiling over the windows `subset` (dataset indices, e.g. a test split). */
export function detectabilityCeiling(evidence: Uint8Array, subset: ArrayLike<number>): DetectabilityCeiling {
  let withSymptom = 0;
  let silent = 0;
  for (let i = 0; i < subset.length; i++) {
    const e = evidence[subset[i] as number];
    if (e === EVIDENCE.symptom) withSymptom++;
    else if (e === EVIDENCE.silent) silent++;
  }
  const windows = subset.length;
  const faulty = withSymptom + silent;
  const prevalence = windows === 0 ? Number.NaN : faulty / windows;
  const ceilingRecall = faulty === 0 ? Number.NaN : withSymptom / faulty;
  return {
    windows,
    faulty,
    withSymptom,
    silent,
    prevalence,
    allAnomalousF1: allAnomalousLevels(prevalence)['det.f1'] ?? Number.NaN,
    ceilingRecall,
    ceilingF1: (2 * ceilingRecall) / (1 + ceilingRecall),
  };
}

/**
 * Per class 0 .. classes-1 of `classOf` (indexed by dataset window): how many of `windows` are in it
 * and how many of those a detector flagged. Other class values are not counted.
 */
function countFlagsByClass(classOf: Uint8Array, classes: number, windows: ArrayLike<number>, flagged: ArrayLike<boolean>): { count: number[]; hit: number[] } {
  if (windows.length !== flagged.length) {
    throw new EadroError('Windows and flags differ in length.', { field: 'windows/flagged', expected: 'equal lengths', found: `${windows.length} vs ${flagged.length}` });
  }
  const count = new Array<number>(classes).fill(0);
  const hit = new Array<number>(classes).fill(0);
  for (let i = 0; i < windows.length; i++) {
    const c = classOf[windows[i] as number] as number;
    if (c >= classes) continue;
    count[c]!++;
    if (flagged[i] === true) hit[c]!++;
  }
  return { count, hit };
}

/** Share of windows a detector flagged, per evidence class; null where the class is empty. */
export function flaggedByEvidence(
  evidence: Uint8Array,
  windows: ArrayLike<number>,
  flagged: ArrayLike<boolean>,
): { normal: number | null; symptom: number | null; silent: number | null } {
  const { count, hit } = countFlagsByClass(evidence, 3, windows, flagged);
  const share = (e: number): number | null => (count[e] === 0 ? null : hit[e]! / count[e]!);
  return { normal: share(EVIDENCE.normal), symptom: share(EVIDENCE.symptom), silent: share(EVIDENCE.silent) };
}

/**
 * What a NORMAL window holds that can look like a fault: the testbed's distractors (testbed.json
 * `runs[].distractors`, testbed/confounders.ts): background jobs raise one service's CPU (by design
 * in the range of the weaker CPU hogs), noisy neighbours slow every service of a host. A false alarm
 * on a window with one is the testbed's designed difficulty; one on a clean window is the detector's.
 */
export const NORMAL_CONTEXT = { clean: 0, job: 1, neighbour: 2, notNormal: 255 } as const;

export interface RecordedDistractors {
  /** Background jobs: unix seconds [start, end). */
  jobs: { start: number; end: number }[];
  /** Noisy-neighbour episodes: unix seconds [start, end). */
  neighbours: { start: number; end: number }[];
}

/**
 * Per window: clean, job (a background job overlaps it, with or without a neighbour), neighbour (only a
 * noisy neighbour overlaps it), or notNormal for faulty windows. Window w covers [start, start + T).
 */
export function normalWindowContext(windows: Pick<EvidenceInput, 'starts' | 'labels' | 'T'>, d: RecordedDistractors): Uint8Array {
  const W = windows.labels.length;
  const out = new Uint8Array(W);
  const hits = (list: { start: number; end: number }[], s: number): boolean => list.some((x) => x.start < s + windows.T && x.end > s);
  for (let w = 0; w < W; w++) {
    if ((windows.labels[w] as number) >= 0) {
      out[w] = NORMAL_CONTEXT.notNormal;
      continue;
    }
    const s = windows.starts[w] as number;
    out[w] = hits(d.jobs, s) ? NORMAL_CONTEXT.job : hits(d.neighbours, s) ? NORMAL_CONTEXT.neighbour : NORMAL_CONTEXT.clean;
  }
  return out;
}

/** Normal windows of each context among `windows`, and the share a detector flagged; null share where none. */
export function flaggedByContext(
  context: Uint8Array,
  windows: ArrayLike<number>,
  flagged: ArrayLike<boolean>,
): Record<'clean' | 'job' | 'neighbour', { windows: number; flagged: number | null }> {
  const { count, hit } = countFlagsByClass(context, 3, windows, flagged); // notNormal (255) is not counted
  const entry = (c: number): { windows: number; flagged: number | null } => ({ windows: count[c]!, flagged: count[c] === 0 ? null : hit[c]! / count[c]! });
  return { clean: entry(NORMAL_CONTEXT.clean), job: entry(NORMAL_CONTEXT.job), neighbour: entry(NORMAL_CONTEXT.neighbour) };
}
