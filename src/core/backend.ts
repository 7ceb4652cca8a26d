/**
 * Run-time choice of the TensorFlow.js backend.
 *
 * All model code is written against the `@tensorflow/tfjs` API. Which kernels run it is decided here,
 * once per process, in the order tensorflow-gpu > webgpu > tensorflow > wasm > cpu:
 * - `tensorflow-gpu`: `@tensorflow/tfjs-node-gpu`, when it is installed and a GPU is visible;
 * - `webgpu`: `@tensorflow/tfjs-backend-webgpu` on Dawn (npm `webgpu`; core/webgpu.ts), automatically
 *   only on a HARDWARE adapter (Vulkan/Metal/D3D12); forced (`--backend webgpu`) it also takes a
 *   software adapter (Mesa llvmpipe through OpenGL ES: correct, slow; what CI tests on);
 * - `tensorflow`: `@tensorflow/tfjs-node` (native libtensorflow on the CPU);
 * - `wasm`: `@tensorflow/tfjs-backend-wasm` (always installed; single-threaded in Node 20, because its
 *   pthread workers start from a `blob:` URL that Node rejects; SIMD on);
 * - `cpu`: pure JavaScript, about 10x slower than wasm.
 * The native packages are optional dependencies: their install downloads libtensorflow, which fails
 * without internet, and `npm ci` must still succeed. `--backend` (or EADRO_BACKEND) forces one; forcing
 * an absent one is an error that says how to install it. What ran is recorded in every manifest.
 */
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { EadroError } from './errors.js';
import { activeAdapter, adapterLabel, findAdapter, hardwareGpuHint, registerWebgpuBackend, type GpuAdapterDescription } from './webgpu.js';

export type BackendName = 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';

/** Preference order of `auto`, fastest first. */
export const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'];

/** Backends whose tensors live off the host: reads must be `await data()` (dataSync fails on webgpu in Node). */
export const DEVICE_BACKENDS: readonly string[] = ['webgpu'];

/** Whether the active tfjs backend keeps tensors on a device that cannot be read synchronously. */
export function onDeviceBackend(): boolean {
  return DEVICE_BACKENDS.includes(tf.getBackend());
}

/** The npm package that provides each backend, and how to get it when it is absent. */
export const BACKEND_PACKAGES: Record<BackendName, { pkg: string; install: string }> = {
  'tensorflow-gpu': {
    pkg: '@tensorflow/tfjs-node-gpu',
    install:
      'npm install @tensorflow/tfjs-node-gpu@4.22.0 (needs internet access to download libtensorflow, ' +
      'and CUDA 11.2 + cuDNN 8.1 with a visible NVIDIA GPU)',
  },
  webgpu: {
    pkg: '@tensorflow/tfjs-backend-webgpu',
    install:
      'npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0 (optional dependencies, normally installed); ' +
      'a GPU needs its Vulkan driver and the loader (Debian/Ubuntu: apt-get install libvulkan1); ' +
      'without a GPU, Mesa EGL/GLES (apt-get install libegl1 libegl-mesa0 libgles2 libgl1-mesa-dri) gives a software adapter',
  },
  tensorflow: {
    pkg: '@tensorflow/tfjs-node',
    install: 'npm install @tensorflow/tfjs-node@4.22.0 (needs internet access to download libtensorflow)',
  },
  wasm: { pkg: '@tensorflow/tfjs-backend-wasm', install: 'npm install @tensorflow/tfjs-backend-wasm@4.22.0' },
  cpu: { pkg: '@tensorflow/tfjs', install: 'npm install @tensorflow/tfjs@4.22.0' },
};

export interface BackendInfo {
  /** Our name of the backend that runs the kernels. */
  name: BackendName;
  /** tfjs's own backend name (`tensorflow`, `wasm`, `cpu`). */
  tfjsBackend: string;
  /** The package that provides it and its installed version. */
  package: string;
  version: string;
  /** tfjs-core version. */
  tfjsVersion: string;
  /** Threads the backend computes on (native TensorFlow: its default pool, all cores). */
  threads: number;
  /** wasm only: whether the SIMD build runs. */
  simd?: boolean;
  /** webgpu only: the adapter (vendor, architecture, description, software or not, limits). */
  adapter?: GpuAdapterDescription;
  /** Whether the choice was forced (`--backend`/EADRO_BACKEND) or automatic. */
  requested: BackendName | 'auto';
  /** Backends tried before this one, with why each was not used. */
  skipped: { name: BackendName; reason: string }[];
}

/** How backends are probed; tests replace it to simulate installed or absent packages. */
export interface BackendProbe {
  /** Import a package for its side effect of registering a backend; throws when it is absent. */
  importPackage(pkg: string): Promise<unknown>;
  /** Whether an NVIDIA GPU is visible to this process. */
  gpuVisible(): boolean;
  /** A sign that a hardware GPU Dawn could use is present; default core/webgpu.ts hardwareGpuHint. */
  webgpuHint?(): string | null;
}

/**
 * Packages imported by a literal specifier, so that a bundle (scripts/gpu/pack.sh, esbuild) carries
 * them: the GPU check runs from a bundle on a machine without node_modules. `webgpu` (a native
 * addon) and the optional native tfjs packages stay runtime imports.
 */
const BUNDLED_IMPORTS: Record<string, () => Promise<unknown>> = {
  '@tensorflow/tfjs-backend-webgpu': () => import('@tensorflow/tfjs-backend-webgpu'),
};

export const defaultProbe: BackendProbe = {
  importPackage: (pkg) => (BUNDLED_IMPORTS[pkg] ?? (() => import(pkg)))(),
  gpuVisible: () =>
    fs.existsSync('/proc/driver/nvidia/version') || (process.env['CUDA_VISIBLE_DEVICES'] ?? '').trim() !== '',
  webgpuHint: hardwareGpuHint,
};

let active: BackendInfo | null = null;

/** The backend chosen earlier in this process, or null before `initBackend`. */
export function activeBackend(): BackendInfo | null {
  return active;
}

export function isBackendName(value: string): value is BackendName {
  return (BACKEND_PREFERENCE as readonly string[]).includes(value);
}

/**
 * Parse a user's backend request (`auto`, one of the four names, or undefined = EADRO_BACKEND or auto).
 */
export function normalizeBackendRequest(value: string | undefined): BackendName | 'auto' {
  const v = (value ?? process.env['EADRO_BACKEND'] ?? 'auto').trim();
  if (v === 'auto' || v === '') return 'auto';
  if (isBackendName(v)) return v;
  throw new EadroError(`Unknown backend "${v}".`, {
    field: '--backend',
    expected: `auto, ${BACKEND_PREFERENCE.join(', ')}`,
    found: v,
  });
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0] ?? msg;
}

const requireHere = createRequire(import.meta.url);

function installedVersion(pkg: string): string {
  try {
    const pkgJson = requireHere.resolve(`${pkg}/package.json`);
    return (JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Try one backend; return its info, or a reason it cannot run here. */
async function tryBackend(
  name: BackendName,
  probe: BackendProbe,
  forced: boolean,
): Promise<{ ok: true; info: Omit<BackendInfo, 'requested' | 'skipped'> } | { ok: false; reason: string }> {
  const { pkg } = BACKEND_PACKAGES[name];
  const base = { name, package: pkg, tfjsVersion: tf.version_core };
  try {
    switch (name) {
      case 'tensorflow-gpu':
      case 'tensorflow': {
        if (name === 'tensorflow-gpu' && !probe.gpuVisible()) return { ok: false, reason: 'no GPU visible' };
        await probe.importPackage(pkg);
        if (!(await tf.setBackend('tensorflow'))) return { ok: false, reason: `${pkg} loaded but did not register` };
        return {
          ok: true,
          info: { ...base, tfjsBackend: 'tensorflow', version: installedVersion(pkg), threads: os.cpus().length },
        };
      }
      case 'webgpu': {
        // Automatic choice: only where a GPU device is visible, so that machines without one never load
        // Dawn (it probes Vulkan and prints warnings) and never train on a slow software adapter.
        if (!forced) {
          const hint = (probe.webgpuHint ?? hardwareGpuHint)();
          if (hint === null) return { ok: false, reason: 'no GPU device visible (no NVIDIA driver, no /dev/dri render node)' };
        }
        const webgpuInfo = (adapter: GpuAdapterDescription) => ({ ...base, tfjsBackend: 'webgpu', version: installedVersion(pkg), threads: 1, adapter });
        // Registered earlier in this process: switch back to it (a new device would orphan its tensors).
        const registered = activeAdapter();
        if (registered !== null && tf.findBackend('webgpu') !== null && (forced || !registered.software) && (await tf.setBackend('webgpu'))) {
          return { ok: true, info: webgpuInfo(registered) };
        }
        const search = await findAdapter(forced, probe.importPackage);
        if (search.found === null) {
          return { ok: false, reason: `no ${forced ? '' : 'hardware '}WebGPU adapter (${search.notes.join('; ') || 'none found'})` };
        }
        await registerWebgpuBackend(search.found, probe.importPackage);
        if (!(await tf.setBackend('webgpu'))) return { ok: false, reason: `adapter ${adapterLabel(search.found.description)} found, but the tfjs webgpu backend failed to initialise` };
        return { ok: true, info: webgpuInfo(search.found.description) };
      }
      case 'wasm': {
        const wasm = (await probe.importPackage(pkg)) as typeof import('@tensorflow/tfjs-backend-wasm');
        const wasmDir = path.dirname(requireHere.resolve(pkg));
        wasm.setWasmPaths(`${wasmDir}${path.sep}`);
        if (!(await tf.setBackend('wasm'))) return { ok: false, reason: 'wasm backend failed to initialise' };
        return {
          ok: true,
          info: {
            ...base,
            tfjsBackend: 'wasm',
            version: installedVersion(pkg),
            // Node rejects the blob: URL the threaded build starts its workers from: one thread.
            threads: 1,
            simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
          },
        };
      }
      case 'cpu': {
        if (!(await tf.setBackend('cpu'))) return { ok: false, reason: 'cpu backend failed to initialise' };
        return { ok: true, info: { ...base, tfjsBackend: 'cpu', version: tf.version_core, threads: 1 } };
      }
    }
  } catch (err) {
    return { ok: false, reason: `${pkg} not usable: ${firstLine(err)}` };
  }
}

/**
 * Choose and activate the backend. `auto` walks the preference order; a named backend must load or
 * this throws an EadroError with the install command.
 */
export async function initBackend(
  request: BackendName | 'auto' = 'auto',
  probe: BackendProbe = defaultProbe,
): Promise<BackendInfo> {
  const skipped: { name: BackendName; reason: string }[] = [];
  const candidates = request === 'auto' ? BACKEND_PREFERENCE : [request];
  for (const name of candidates) {
    const result = await tryBackend(name, probe, request !== 'auto');
    if (result.ok) {
      active = { ...result.info, requested: request, skipped };
      return active;
    }
    skipped.push({ name, reason: result.reason });
  }
  if (request !== 'auto') {
    throw new EadroError(`Backend "${request}" was requested but cannot run here: ${skipped[0]?.reason}.`, {
      field: '--backend',
      hint: `install it with: ${BACKEND_PACKAGES[request].install}; or use --backend auto`,
    });
  }
  throw new EadroError('No TensorFlow.js backend could be initialised.', {
    found: skipped.map((s) => `${s.name}: ${s.reason}`).join('; '),
  });
}

/** One way this machine could train on a GPU, and whether it can now. */
export interface GpuPath {
  path: 'tensorflow-gpu' | 'webgpu (hardware adapter)' | 'webgpu (software adapter)';
  usable: boolean;
  /** The adapter or GPU found, or why the path is not usable here. */
  detail: string;
}

/**
 * Which GPU paths exist here and why the others do not (`eadro info`). Loads Dawn when the `webgpu`
 * package is installed (it may print its own warnings about absent drivers); activates nothing.
 */
export async function probeGpuPaths(probe: BackendProbe = defaultProbe): Promise<GpuPath[]> {
  const paths: GpuPath[] = [];
  const nvidia = probe.gpuVisible();
  let tfGpu: GpuPath = { path: 'tensorflow-gpu', usable: false, detail: 'no NVIDIA GPU visible' };
  if (nvidia) {
    try {
      await probe.importPackage(BACKEND_PACKAGES['tensorflow-gpu'].pkg);
      tfGpu = { path: 'tensorflow-gpu', usable: true, detail: `${BACKEND_PACKAGES['tensorflow-gpu'].pkg} ${installedVersion(BACKEND_PACKAGES['tensorflow-gpu'].pkg)} loads` };
    } catch (err) {
      tfGpu = { path: 'tensorflow-gpu', usable: false, detail: `not installed (${firstLine(err)}); ${BACKEND_PACKAGES['tensorflow-gpu'].install}` };
    }
  }
  paths.push(tfGpu);
  try {
    const search = await findAdapter(true, probe.importPackage);
    const d = search.found?.description;
    const notes = search.notes.join('; ');
    paths.push(
      d !== undefined && !d.software
        ? { path: 'webgpu (hardware adapter)', usable: true, detail: adapterLabel(d) }
        : { path: 'webgpu (hardware adapter)', usable: false, detail: `none found${notes ? `: ${notes}` : ''}` },
    );
    paths.push(
      d !== undefined && d.software
        ? { path: 'webgpu (software adapter)', usable: true, detail: `${adapterLabel(d)}; used only with --backend webgpu (correct, slow)` }
        : { path: 'webgpu (software adapter)', usable: false, detail: d !== undefined ? 'not needed: a hardware adapter is there' : 'none found (Mesa EGL/GLES: bash scripts/setup-system.sh)' },
    );
  } catch (err) {
    const why = `the webgpu package does not load (${firstLine(err)}); ${BACKEND_PACKAGES.webgpu.install}`;
    paths.push({ path: 'webgpu (hardware adapter)', usable: false, detail: why }, { path: 'webgpu (software adapter)', usable: false, detail: why });
  }
  return paths;
}
