/**
 * The raw-telemetry reader: released Eadro layout, testbed output and users' own telemetry
 * (data-formats.md §1), streamed, with per-source clock offsets measured by `measureAlignment`.
 */

// Configuration
export { rawDefaults, normalizeRawConfig, defaultLogFormats, eadroMetricColumns } from './config.js';
export type { LogFormat, RawConfig, ResolvedRawConfig, StructuredLogFields, TimestampKind } from './config.js';
export { resolveMetricColumns, withResolvedColumns, parseMetricCell, metricCellDefaults, readCsvHeader } from './metric-columns.js';
export type { MetricColumnChoice, DroppedMetricColumn } from './metric-columns.js';
export { ReadInferenceCollector, startReadInference, formatInference, formatPinSnippet, pinnedRawConfig, intervalDistribution } from './infer.js';
export type { ReadInference, MetricFileInference } from './infer.js';
export { SkipCollector, formatSkipsByFile, summarizeSkips } from './skips.js';

// Runs and records
export { listRuns, readRunRecord, runFiles, containerToService, runNameTime, runsDefaults } from './runs.js';
export type { ListRunsOptions } from './runs.js';
export { surveyServices, scanSpanServices, scanLogServices } from './discover.js';
export type { ServiceSurvey, SourceName } from './discover.js';

// Sources
export { readTraces, tagValue } from './spans.js';
export type { ReadTracesOptions } from './spans.js';
export { readLogLines, LogLineParser, parseLogfmt } from './logs.js';
export { parseTimestamp, parseEpochText, epochNumberToSeconds, epochUnitThresholds } from './timestamps.js';
export { readMetricTables, readMetricTablesDetailed, readMetricFile, listMetricFiles, splitCsvLine } from './metrics.js';
export type { MetricReadSummary } from './metrics.js';
export { streamJsonElements, readSmallJson, jsonStreamDefaults } from './json-stream.js';
export type { JsonElement, JsonStreamOptions } from './json-stream.js';

// Clock alignment
export { measureAlignment, assertOverlap, loadAlignmentReport, alignDefaults, formatLag } from './align.js';
export type { AlignmentReport, AlignmentEvidence, AlignOptions, TelemetrySource } from './align.js';
export { searchLag, xcorrDefaults } from './xcorr.js';
export type { SecondSeries, SeriesPair, LagStage, LagResult } from './xcorr.js';

// Shared shapes
export * from './types.js';
