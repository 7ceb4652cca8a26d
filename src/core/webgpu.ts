/**
 * TensorFlow.js on WebGPU in Node, through Dawn's Node binding (npm `webgpu`, prebuilt `dawn.node`)
 * and `@tensorflow/tfjs-backend-webgpu` (../shared/specs/webgpu.md). Both are optional dependencies.
 *
 * What this module handles (each one measured there):
 * 1. Node 20 has no `navigator`: the backend package only registers itself where `navigator.gpu`
 *    exists, so we set `globalThis.navigator.gpu` from `webgpu`'s `create()` before importing it, then
 *    remove its factory and register our own under the name `webgpu` (its kernels are registered there).
 * 2. The device is requested with the ADAPTER's limits: with the defaults Dawn rejected tfjs's 256-wide
 *    workgroups and training printed wrong losses without failing.
 * 3. Uncaptured GPU errors (validation, out of memory) are recorded and fail the run at the next check
 *    (`throwIfGpuError`, called after every training step and inference batch): never silent numbers.
 * 4. `dataSync()` fails in Node (no OffscreenCanvas): every read on the training and inference path
 *    is `await data()` (models/eadro/step.ts trainStepAsync, infer.ts predictAsync).
 *
 * Adapters, in the order tried:
 * - Dawn's default backend with `featureLevel: 'core'`: Vulkan on Linux (NVIDIA, AMD, Intel), Metal on
 *   macOS, D3D12 on Windows. On Linux it needs the Vulkan loader `libvulkan.so.1` (Debian `libvulkan1`);
 *   where that is absent the attempt is skipped with that reason (Dawn would print a warning).
 * - Dawn's OpenGL ES backend through EGL with `featureLevel: 'compatibility'`: on a machine without a
 *   GPU this is Mesa's llvmpipe, a SOFTWARE adapter (what CI tests on). `EGL_PLATFORM=surfaceless` is
 *   set when unset: without a display, eglInitialize fails otherwise (measured: EGL_NOT_INITIALIZED).
 * A software adapter is correct but slow: automatic backend choice uses WebGPU only on a hardware
 * adapter; `--backend webgpu` accepts a software one.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { EadroError } from './errors.js';

/** What the adapter says about itself (GPUAdapterInfo), recorded in every manifest. */
export interface GpuAdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** Dawn backend that found it. */
  dawnBackend: 'default' | 'opengles';
  featureLevel: 'core' | 'compatibility';
  /** A CPU rasteriser (llvmpipe, lavapipe, SwiftShader) or a fallback adapter. */
  software: boolean;
  /** The limits the device was requested with (those of the adapter). */
  limits: Record<string, number>;
}

/** The subset of the `webgpu` package we use. */
interface DawnModule {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}
interface GpuLike {
  requestAdapter(options?: { powerPreference?: string; featureLevel?: string }): Promise<AdapterLike | null>;
}
interface AdapterLike {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
  limits: Record<string, number>;
  requestDevice(descriptor: { requiredLimits: Record<string, number> }): Promise<DeviceLike>;
}
interface DeviceLike {
  addEventListener(type: 'uncapturederror', listener: (ev: { error: { message: string } }) => void): void;
}

/** Adapter limits requested for the device (tfjs's kernels need the large workgroups and buffers). */
const REQUESTED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxComputeWorkgroupSizeZ',
  'maxComputeInvocationsPerWorkgroup',
  'maxStorageBuffersPerShaderStage',
] as const;

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|software/i;

export function isSoftwareAdapter(info: AdapterLike['info']): boolean {
  if (info.isFallbackAdapter === true) return true;
  return SOFTWARE_NAMES.test(`${info.vendor} ${info.architecture} ${info.device} ${info.description}`);
}

/** Library folders where the Vulkan loader may be (Debian multiarch, LD_LIBRARY_PATH first). */
function vulkanLoaderPath(): string | null {
  const dirs = [
    ...(process.env['LD_LIBRARY_PATH'] ?? '').split(':').filter((d) => d !== ''),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/lib/x86_64-linux-gnu',
    '/usr/local/lib',
  ];
  for (const d of dirs) {
    const p = path.join(d, 'libvulkan.so.1');
    if (fs.existsSync(p)) return p;
  }
  return null;
}

/** Signs of a hardware GPU that Dawn could use, without loading Dawn (which prints to stderr). */
export function hardwareGpuHint(): string | null {
  if (process.platform === 'darwin') return 'macOS (Metal)';
  if (process.platform === 'win32') return 'Windows (D3D12)';
  if (fs.existsSync('/proc/driver/nvidia/version')) return 'NVIDIA driver (/proc/driver/nvidia/version)';
  try {
    const render = fs.readdirSync('/dev/dri').filter((f) => f.startsWith('renderD'));
    if (render.length > 0) return `/dev/dri/${render[0]}`;
  } catch {
    // no /dev/dri: no DRM render node
  }
  return null;
}

interface AdapterAttempt {
  dawnBackend: GpuAdapterDescription['dawnBackend'];
  featureLevel: GpuAdapterDescription['featureLevel'];
  options: string[];
}

const ATTEMPTS: AdapterAttempt[] = [
  { dawnBackend: 'default', featureLevel: 'core', options: [] },
  { dawnBackend: 'opengles', featureLevel: 'compatibility', options: ['backend=opengles'] },
];

export interface AdapterSearch {
  found: { gpu: GpuLike; adapter: AdapterLike; description: GpuAdapterDescription } | null;
  /** Adapters seen but not taken, and attempts that found nothing, with why. */
  notes: string[];
}

function describe(adapter: AdapterLike, attempt: AdapterAttempt): GpuAdapterDescription {
  const limits: Record<string, number> = {};
  for (const k of REQUESTED_LIMITS) if (typeof adapter.limits[k] === 'number') limits[k] = adapter.limits[k]!;
  const i = adapter.info;
  return {
    vendor: i.vendor,
    architecture: i.architecture,
    device: i.device,
    description: i.description,
    dawnBackend: attempt.dawnBackend,
    featureLevel: attempt.featureLevel,
    software: isSoftwareAdapter(i),
    limits,
  };
}

export function adapterLabel(d: GpuAdapterDescription): string {
  const name = [d.vendor, d.architecture, d.device].filter((s) => s !== '').join(' ') || 'unnamed adapter';
  return `${name}${d.description ? ` (${d.description})` : ''}, Dawn ${d.dawnBackend}/${d.featureLevel}${d.software ? ', SOFTWARE' : ''}`;
}

let dawn: DawnModule | null = null;

async function loadDawn(importPackage: (pkg: string) => Promise<unknown>): Promise<DawnModule> {
  if (dawn === null) {
    dawn = (await importPackage('webgpu')) as DawnModule;
    // GPUBufferUsage, GPUMapMode, ... : the backend reads these WebGPU globals.
    Object.assign(globalThis, dawn.globals);
  }
  return dawn;
}

/**
 * Look for an adapter: the first hardware one, else (when `acceptSoftware`) the first software one.
 * Throws only if the `webgpu` package cannot be loaded.
 */
export async function findAdapter(acceptSoftware: boolean, importPackage: (pkg: string) => Promise<unknown>): Promise<AdapterSearch> {
  const d = await loadDawn(importPackage);
  const notes: string[] = [];
  let software: AdapterSearch['found'] = null;
  for (const attempt of ATTEMPTS) {
    if (attempt.dawnBackend === 'default' && process.platform === 'linux' && vulkanLoaderPath() === null) {
      notes.push('Vulkan: the loader libvulkan.so.1 is not installed (Debian/Ubuntu: apt-get install libvulkan1)');
      continue;
    }
    if (attempt.dawnBackend === 'opengles') {
      if (process.platform !== 'linux') continue;
      process.env['EGL_PLATFORM'] ??= 'surfaceless';
    }
    const gpu = d.create(attempt.options);
    const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', featureLevel: attempt.featureLevel });
    if (adapter === null) {
      notes.push(`Dawn ${attempt.dawnBackend}/${attempt.featureLevel}: no adapter`);
      continue;
    }
    const description = describe(adapter, attempt);
    if (!description.software) return { found: { gpu, adapter, description }, notes };
    notes.push(`Dawn ${attempt.dawnBackend}/${attempt.featureLevel}: software adapter ${adapterLabel(description)}`);
    software ??= { gpu, adapter, description };
  }
  return { found: acceptSoftware ? software : null, notes };
}

/** First uncaptured GPU error of this process, if any (the run fails at the next check). */
let gpuError: string | null = null;

/** What the device's `uncapturederror` listener calls: keeps the first error (the root cause). */
export function recordGpuError(message: string): void {
  gpuError ??= message.split('\n').map((l) => l.trim()).filter((l) => l !== '').slice(0, 3).join(' | ');
}

/** Forget a recorded error: only for a caller that handled it (tests). */
export function clearGpuError(): void {
  gpuError = null;
}

export function throwIfGpuError(): void {
  if (gpuError !== null) {
    throw new EadroError(`The GPU reported an error; the results of this run cannot be trusted: ${gpuError}`, {
      field: '--backend webgpu',
      hint: 'rerun with --backend wasm to compare; report the adapter (eadro info) and this message',
    });
  }
}

let active: GpuAdapterDescription | null = null;

/** The adapter of the registered webgpu backend, or null. */
export function activeAdapter(): GpuAdapterDescription | null {
  return active;
}

/**
 * Register tfjs's WebGPU backend on the given adapter under the name `webgpu` (replacing the package's
 * own factory, which needs a browser `navigator`).
 */
export async function registerWebgpuBackend(
  search: NonNullable<AdapterSearch['found']>,
  importPackage: (pkg: string) => Promise<unknown>,
): Promise<void> {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  // The backend package checks navigator.gpu when it is imported (Node 20 has no navigator).
  if (g.navigator === undefined) Object.defineProperty(globalThis, 'navigator', { value: { gpu: search.gpu }, configurable: true, writable: true });
  else g.navigator.gpu ??= search.gpu;
  const backendModule = (await importPackage('@tensorflow/tfjs-backend-webgpu')) as {
    WebGPUBackend: new (device: unknown, adapterInfo?: unknown) => tf.KernelBackend;
  };
  const { adapter, description } = search;
  if (tf.findBackend('webgpu') !== null || tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', async () => {
    const device = await adapter.requestDevice({ requiredLimits: description.limits });
    device.addEventListener('uncapturederror', (ev) => recordGpuError(ev.error.message));
    return new backendModule.WebGPUBackend(device, adapter.info);
  }, 1); // below wasm's 2: tfjs never picks it on its own, initBackend sets it by name
  active = description;
}
