/** `eadro simulate`: generate built-in testbed telemetry (TT, SN or a user topology) in the raw layout. */
import * as fs from 'node:fs';
import type { CommandModule } from 'yargs';
import { EadroError } from '../../core/errors.js';
import { describeDataset, finishManifest, startManifest } from '../../core/manifest.js';
import { createProgress } from '../../core/progress.js';
import { loadTopologyFile, PROFILE_NAMES, simulate, testbedDefaults, type ProfileName, type Topology } from '../../testbed/index.js';
import { withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 10;

interface SimulateArgs extends GlobalArgs {
  system: string;
  'kpi-interval': number;
}

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

export const command: CommandModule<object, SimulateArgs> = {
  command: 'simulate',
  describe: 'simulate TrainTicket (tt), SocialNetwork (sn) or your topology with injected faults; writes the raw layout',
  builder: (y) =>
    withGlobalOptions(y)
      .option('system', { type: 'string', default: 'tt', describe: 'tt | sn | path to a topology JSON file' })
      .option('kpi-interval', {
        type: 'number',
        default: testbedDefaults.kpiIntervalSeconds,
        describe: 'KPI sampling interval in whole seconds (1: one row per second as the released data; 30: Prometheus-like)',
      })
      .example('eadro simulate --system tt --profile quick --kpi-interval 30 --out data/tt-30s', 'TrainTicket with KPIs sampled every 30 s')
      .example('eadro simulate --system sn --profile quick --seed 1 --out data/sn-quick', 'SocialNetwork, every (service, fault) pair once')
      .epilog(
        `profiles: paper (the paper's schedule and three fault types, TT about 40 h of telemetry), quick (every (service, fault type) pair once with the code-level exception and error_return too, short faults), tiny (seconds; tests). Default profile: ${testbedDefaults.profile}.`,
      ) as never,
  handler: async (args) => {
    const started = new Date();
    if (args.out === undefined) throw new EadroError('Missing output directory.', { field: '--out', expected: 'a directory to write the raw telemetry into' });
    const profile = (args.profile ?? testbedDefaults.profile) as ProfileName;
    if (!PROFILE_NAMES.includes(profile)) throw new EadroError('Unknown profile.', { field: '--profile', expected: PROFILE_NAMES.join(' | '), found: String(args.profile) });
    const kpiInterval = args['kpi-interval'];
    if (!Number.isInteger(kpiInterval) || kpiInterval < 1) {
      throw new EadroError('Invalid KPI sampling interval.', { field: '--kpi-interval', expected: 'a whole number of seconds >= 1 (e.g. 30)', found: String(kpiInterval) });
    }
    let system: 'tt' | 'sn' | Topology;
    if (args.system === 'tt' || args.system === 'sn') system = args.system;
    else if (args.system.endsWith('.json') || fs.existsSync(args.system)) system = loadTopologyFile(args.system);
    else throw new EadroError('Unknown system.', { field: '--system', expected: 'tt, sn, or a topology JSON file', found: args.system });
    const manifest = startManifest({
      command: 'simulate',
      config: { system: typeof system === 'string' ? system : { file: args.system, topology: system }, profile, seed: args.seed, kpiIntervalSeconds: args['kpi-interval'] },
      seeds: [args.seed],
      startedAt: started,
    });
    let bar: ReturnType<typeof createProgress> | null = null;
    let shown = 0;
    const result = await simulate({
      system,
      profile,
      seed: args.seed,
      out: args.out,
      kpiIntervalSeconds: args['kpi-interval'],
      onProgress: (done, total) => {
        bar ??= createProgress(`simulate ${typeof system === 'string' ? system : system.name} ${profile} (simulated s)`, total);
        bar.tick(done - shown);
        shown = done;
      },
    });
    (bar as ReturnType<typeof createProgress> | null)?.stop();
    manifest.datasets = [describeDataset(args.out, `testbed ${result.system}, profile ${profile}, seed ${args.seed}`)];
    finishManifest(manifest, args.out);
    const c = result.counts;
    const hours = (c.simulatedSeconds / 3600).toFixed(1);
    console.log(`wrote ${args.out}: ${result.system}, profile ${profile}, seed ${args.seed}, ${hours} h simulated`);
    console.log(`  runs: ${c.runs} (${c.normalRuns} fault-free, ${c.faultRuns} with faults)`);
    console.log(`  faults: ${c.faults} (${Object.entries(c.faultsByType).map(([t, n]) => `${t} ${n}`).join(', ')})`);
    console.log(`  traces: ${c.traces}, spans: ${c.spans}, log lines: ${c.logLines}, metric rows: ${c.metricRows}`);
    console.log(`  bytes: ${c.bytes} (${mib(c.bytes)}); testbed.json and manifest.json beside the data`);
  },
};
