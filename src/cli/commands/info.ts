/** `eadro info`: which backend would run, package versions, code version and machine. */
import type { CommandModule } from 'yargs';
import { initBackend, normalizeBackendRequest, probeGpuPaths } from '../../core/backend.js';
import { adapterLabel } from '../../core/webgpu.js';
import { codeVersion, machineInfo, packageVersions } from '../../core/manifest.js';
import { withGlobalOptions, type GlobalArgs } from '../options.js';

export const order = 90;

export const command: CommandModule<object, GlobalArgs & { json: boolean }> = {
  command: 'info',
  describe: 'show the TensorFlow.js backend that runs here, the GPU paths and why others were skipped, package versions, code version and machine',
  builder: (y) => withGlobalOptions(y).option('json', { type: 'boolean', default: false, describe: 'print JSON' }),
  handler: async (args) => {
    const backend = await initBackend(normalizeBackendRequest(args.backend));
    const gpuPaths = await probeGpuPaths();
    const info = { backend, gpuPaths, packages: packageVersions(), code: codeVersion(), machine: machineInfo() };
    if (args.json) {
      console.log(JSON.stringify(info, null, 2));
      return;
    }
    console.log(`backend: ${backend.name} (${backend.package} ${backend.version}, ${backend.threads} thread(s)` +
      `${backend.simd === undefined ? '' : `, SIMD ${backend.simd ? 'on' : 'off'}`})`);
    if (backend.adapter !== undefined) console.log(`  adapter: ${adapterLabel(backend.adapter)}`);
    for (const s of backend.skipped) console.log(`  skipped ${s.name}: ${s.reason}`);
    console.log('GPU paths:');
    for (const p of gpuPaths) console.log(`  ${p.usable ? 'yes' : 'no '} ${p.path}: ${p.detail}`);
    console.log(`code: eadro-ts ${info.code.package}, commit ${info.code.commit ?? 'none'}${info.code.dirty ? ' (dirty)' : ''}`);
    console.log(`machine: ${info.machine.cpuModel} x${info.machine.cpuCount}, ` +
      `${(info.machine.memoryBytes / 2 ** 30).toFixed(1)} GiB, GPU ${info.machine.gpu ?? 'none'}, node ${info.machine.node}`);
    for (const [name, version] of Object.entries(info.packages)) console.log(`  ${name} ${version}`);
  },
};
