/**
 * Public API of the figure library, grouped as: rendering, figure builders (one per paper figure),
 * embedding and scoring, inputs and catalogue.
 */

// rendering: specs -> HTML / PNG / SVG
export { PngRenderer, chromiumAvailable, figureHtml, figureTitle, plotlyBundlePath, plotlyDefaults, renderPngs, writeHtml } from './plotly.js';
export type { Figure, ImageOptions, PlotlyLayout, PlotlyTrace, PngRendererOptions } from './plotly.js';
export { isPng, pngInfo, PNG_SIGNATURE } from './png.js';
export type { PngInfo } from './png.js';
export { markdownTable, markdownDefaults } from './markdown.js';
export { categoryColor, categoryColors, figureStyleDefaults } from './style.js';

// figure builders
export { NORMAL_PHASE, assignPhases, kpiUnderFaultFigure, latencyUnderFaultsFigure, logEventOccurrenceFigure, motivationDefaults, summarizeByPhase } from './motivation.js';
export type { FaultInterval, KpiFigureInput, LatencyFigureInput, LogEventFigureInput, PhaseSummary, TimedValues } from './motivation.js';
export { loadMotivationData, motivationDataDefaults } from './motivation-data.js';
export type { MotivationData, MotivationDataOptions } from './motivation-data.js';
export { rankServices, rankingDefaults, rankingFigure } from './ranking.js';
export type { RankedService, RankingFigureInput } from './ranking.js';
export { tsneFigure, tsneFigureDefaults } from './tsne-figure.js';
export type { TsneFigureInput, TsnePanel } from './tsne-figure.js';

// embedding and scoring
export { tsne2d, tsneDefaults } from './tsne.js';
export type { TsneOptions, TsneResult } from './tsne.js';
export { leaveOneOutNearestNeighborAccuracy } from './separation.js';

// inputs, catalogue, export
export { SYNTHETIC_LABEL, syntheticDefaults, syntheticMotivationInputs, syntheticRankingInput, syntheticRepresentations } from './synthetic.js';
export { catalogDefaults, syntheticFigureSet, syntheticModelFigures, telemetryMotivationFigures } from './catalog.js';
export type { FigureEntry, FigureSource } from './catalog.js';
export { exportFigures } from './export.js';
export type { ExportOptions, ExportedFigure } from './export.js';
