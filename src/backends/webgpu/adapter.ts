/// <reference types="@webgpu/types" />
/**
 * Getting a GPUDevice: navigator.gpu in a browser, the `webgpu` package (Dawn) in Node. Nothing
 * here runs at import time: the package (a native addon) is loaded only when a device is asked for.
 */

/** Chromium's software Vulkan driver: a correct (slow) adapter on machines without a GPU. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export type GpuDeviceResult =
  | { device: GPUDevice; description: string }
  | { device: null; reason: string };

/** Limits requested at the adapter's maximum: GPT-2's 50257 x 768 embedding alone is 154 MB, above the 128 MB default. */
const MAX_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
  'maxStorageBuffersPerShaderStage',
] as const;

/**
 * Dawn's Node addon lives only while the object `create` returned is referenced: a device whose
 * instance was garbage-collected crashes the process. Each device keeps its instance here until it
 * is lost or destroyed; holding one also keeps Node from exiting, so destroy the device when done.
 */
const liveInstances = new Set<GPU>();

function isNode(): boolean {
  return typeof process !== 'undefined' && typeof process.versions?.node === 'string';
}

async function nodeGpu(): Promise<GPU | string> {
  // the Vulkan driver and runtime directory Dawn needs (a variable specifier, as below: Node-only code)
  const envModule = './dawn-env.js';
  ((await import(envModule)) as typeof import('./dawn-env.js')).prepareDawnEnvironment();
  let mod: { create(options: string[]): GPU };
  try {
    // a variable specifier keeps bundlers (the lab's vite build) from following it into a native addon
    const name = 'webgpu';
    mod = (await import(name)) as { create(options: string[]): GPU };
  } catch (e) {
    return `the optional package 'webgpu' could not be loaded (${(e as Error).message.split('\n')[0]}); install it with npm install webgpu`;
  }
  try {
    return mod.create([]);
  } catch (e) {
    return `the 'webgpu' package could not start Dawn: ${(e as Error).message.split('\n')[0]}`;
  }
}

function describe(adapter: GPUAdapter): string {
  const info = (adapter as GPUAdapter & { info?: GPUAdapterInfo }).info;
  if (!info) return 'WebGPU adapter';
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((s) => s && s.length > 0);
  return parts.length > 0 ? [...new Set(parts)].join(' ') : 'WebGPU adapter';
}

/**
 * A device on the best adapter this environment has, with the adapter's maximum buffer and
 * workgroup limits; or null and one line saying why there is none (no WebGPU, no adapter, the
 * device request failed). Errors the device reports later are the executor's business.
 */
export async function requestGpuDevice(powerPreference: GPUPowerPreference = 'high-performance'): Promise<GpuDeviceResult> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  let gpu: GPU | undefined = nav?.gpu;
  if (!gpu) {
    if (!isNode()) return { device: null, reason: 'this browser has no WebGPU (navigator.gpu is missing)' };
    const got = await nodeGpu();
    if (typeof got === 'string') return { device: null, reason: got };
    gpu = got;
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference });
  } catch (e) {
    return { device: null, reason: `no WebGPU adapter: ${(e as Error).message.split('\n')[0]}` };
  }
  if (!adapter) {
    const hint = isNode() && !process.env.VK_ICD_FILENAMES
      ? ` (no Vulkan driver found; install a GPU driver, or chromium for its software driver ${SWIFTSHADER_ICD})`
      : '';
    return { device: null, reason: `no WebGPU adapter is available${hint}` };
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of MAX_LIMITS) {
    const v = adapter.limits[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  try {
    const device = await adapter.requestDevice({ requiredLimits });
    liveInstances.add(gpu);
    device.lost.then(() => liveInstances.delete(gpu!), () => liveInstances.delete(gpu!));
    return { device, description: describe(adapter) };
  } catch (e) {
    return { device: null, reason: `the WebGPU adapter refused a device: ${(e as Error).message.split('\n')[0]}` };
  }
}
