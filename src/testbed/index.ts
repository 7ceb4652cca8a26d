/**
 * Public API of the built-in testbed: simulated TrainTicket and SocialNetwork telemetry with injected
 * faults, written in the released Eadro raw layout (data-formats.md §1).
 */

// Entry point
export { simulate, resolveSystem, testbedSystems, testbedDefaults, TESTBED_VERSION } from './simulate.js';
export type { SimulateOptions, SystemName, TestbedManifest, TestbedRun, TestbedFault } from './simulate.js';

// Systems and user topologies
export { trainTicket, TT_SERVICE_NAMES, TT_OFFICIAL_EDGES } from './systems/trainticket.js';
export { socialNetwork, SN_SERVICE_NAMES, SN_OFFICIAL_EDGES, SN_EXTRA_EDGES } from './systems/socialnetwork.js';
export { loadTopologyFile, parseTopology, flowEdges, flowSteps, containerName, servicesInCall, topologyDefaults } from './topology.js';
export type { Topology, FlowSpec, CallSpec, ServiceSpec, LogStyle } from './topology.js';

// Schedules and fault models
export { testbedProfiles, buildSchedule, resolveProfile, timingFamily, runId, scheduleDefaults, PROFILE_NAMES, quickNormalRunSeconds } from './schedule.js';
export type { ProfileName, ScheduleProfile, ScheduledRun, ScheduledFault, TimingFamily } from './schedule.js';
export { faultDefaults, drawFaultEffect, FAULT_SYMPTOM_SOURCES } from './faults.js';
export type { FaultEffect, SymptomSource } from './faults.js';
export { PAPER_FAULT_TYPES, TESTBED_FAULT_TYPES } from '../raw/types.js';
export type { PaperFaultType, TestbedFaultType } from '../raw/types.js';
export { confounderDefaults } from './confounders.js';
export { kpiDefaults, KPI_COLUMNS, EADRO_KPIS } from './kpis.js';
export { logDefaults, buildServiceTemplates } from './logs.js';
export { traceDefaults } from './traces.js';

// The naive baseline the testbed must defeat
export { naiveLocalize, naiveHitRate, naiveLocalizerDefaults } from './naive-localizer.js';
export type { NaiveRanking, NaiveHitRate } from './naive-localizer.js';
