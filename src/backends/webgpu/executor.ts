/// <reference types="@webgpu/types" />
import type { GpuArray, KernelContext, KernelLimits, Word } from './kernel-context.js';

/**
 * Runs kernels on a GPUDevice owned by this thread (the main thread in a browser or a test, the
 * bridge's worker otherwise). Buffers are named by integer ids the caller chooses, so a thread
 * that does not own the device can name a result before it exists. Dispatches are recorded into
 * one command encoder (one compute pass) per batch and submitted together by flush(), so a
 * training step is a few submissions, not thousands. Buffers, scratch arrays, uniform buffers and
 * read-back staging buffers come from pools, so a steady-state step creates no GPU objects but
 * bind groups.
 *
 * Ordering: queue.writeBuffer runs before any command not yet submitted, so a write to a buffer
 * that the open batch uses first submits the batch (write()); everything else is ordered by the
 * queue. A pooled buffer may be reused in the same batch it was released in, since dispatches
 * run in recording order.
 */

// GPUBufferUsage and GPUMapMode values (WebGPU spec): the globals exist in browsers, not in Node's Dawn.
const MAP_READ = 0x1;
const COPY_SRC = 0x4;
const COPY_DST = 0x8;
const UNIFORM = 0x40;
const STORAGE = 0x80;

/** Bytes of one pooled uniform buffer: 256 dispatches' uniforms at the usual 256-byte offset alignment. */
const UNIFORM_CHUNK_BYTES = 64 * 1024;

/** A byte size rounded up to its pool class: powers of two to 1 MiB, then eighths of a power of two (waste < 12.5%). */
export function sizeClass(bytes: number): number {
  const b = Math.max(256, bytes);
  if (b <= 1 << 20) return 2 ** Math.ceil(Math.log2(b));
  const step = 2 ** (Math.floor(Math.log2(b)) - 3);
  return Math.ceil(b / step) * step;
}

/** A list of free buffers per size class. */
class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  constructor(private readonly device: GPUDevice, private readonly usage: number, private readonly maxBytes: number) {}

  take(bytes: number): GPUBuffer {
    const size = Math.max(bytes, Math.min(sizeClass(bytes), this.maxBytes));
    const list = this.free.get(size);
    const reused = list?.pop();
    if (reused) return reused;
    return this.device.createBuffer({ size, usage: this.usage });
  }

  give(buf: GPUBuffer): void {
    let list = this.free.get(buf.size);
    if (!list) this.free.set(buf.size, (list = []));
    list.push(buf);
  }

  /** Destroys every pooled buffer (only between batches: a pooled buffer may still be in the open one). */
  clear(): void {
    for (const list of this.free.values()) for (const b of list) b.destroy();
    this.free.clear();
  }
}

interface UniformChunk { buffer: GPUBuffer; data: ArrayBuffer; view: DataView; used: number }

export class GpuExecutor implements KernelContext {
  readonly limits: KernelLimits;
  private readonly storage: BufferPool;
  private readonly staging: BufferPool;
  private readonly uniformPool: UniformChunk[] = [];
  private readonly uniformAlign: number;
  private readonly buffers = new Map<number, GPUBuffer>();
  private readonly pipelines = new Map<string, { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>();

  // the open batch
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly touched = new Set<GPUBuffer>();
  private readonly uniformChunks: UniformChunk[] = [];
  private readonly scratchIds: number[] = [];
  private nextScratchId = -1;
  /** Ids for buffers the executor's own users make (benchmarks), counting down from the top, far from callers' ids. */
  private nextOwnId = 0x7fffffff;
  private recorded = 0;

  private error: string | null = null;
  /** Kept apart from `error`: a kernel that fails to compile makes every later use of it fail too, and it is the cause to report. */
  private compileError: string | null = null;
  /** Dispatches recorded since this executor was made (a count for tests and benchmarks). */
  dispatches = 0;
  /** Batches submitted since this executor was made. */
  submits = 0;

  constructor(readonly device: GPUDevice) {
    const l = device.limits;
    this.limits = {
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    };
    const maxBytes = Math.min(l.maxBufferSize, l.maxStorageBufferBindingSize);
    this.storage = new BufferPool(device, STORAGE | COPY_SRC | COPY_DST, maxBytes);
    this.staging = new BufferPool(device, MAP_READ | COPY_DST, l.maxBufferSize);
    this.uniformAlign = Math.max(16, l.minUniformBufferOffsetAlignment);
    device.addEventListener('uncapturederror', (ev) => {
      ev.preventDefault(); // reported by read() and finish(), not printed by Dawn
      this.error ??= (ev as GPUUncapturedErrorEvent).error.message;
    });
    device.lost.then((info) => { this.error ??= `the WebGPU device was lost: ${info.message}`; }, () => {});
  }

  /** The largest array (in 4-byte elements) one buffer can hold and a kernel can bind. */
  get maxElements(): number {
    return Math.floor(Math.min(this.device.limits.maxBufferSize, this.device.limits.maxStorageBufferBindingSize) / 4);
  }

  /** Makes buffer `id` (a positive integer not in use) of `length` 4-byte elements; contents are undefined. */
  createBuffer(id: number, length: number): void {
    if (!(id > 0) || this.buffers.has(id)) throw new Error(`webgpu executor: buffer id ${id} is not a free positive id`);
    if (length > this.maxElements) {
      throw new Error(`webgpu executor: ${length} elements exceed this device's largest buffer (${this.maxElements})`);
    }
    this.buffers.set(id, this.storage.take(Math.max(1, length) * 4));
  }

  /** A positive id no buffer has, for a caller that shares this executor with one that numbers its own buffers. */
  unusedId(): number {
    while (this.buffers.has(this.nextOwnId)) this.nextOwnId--;
    return this.nextOwnId--;
  }

  /** Releases buffer `id` to the pool; commands already recorded that use it still see its contents. */
  destroyBuffer(id: number): void {
    const buf = this.buffers.get(id);
    if (!buf) throw new Error(`webgpu executor: no buffer ${id}`);
    this.buffers.delete(id);
    this.storage.give(buf);
  }

  /** Copies `data` into buffer `id` from element `offset` on, after everything recorded before. */
  write(id: number, offset: number, data: Float32Array | Int32Array): void {
    const buf = this.buffer(id);
    if (data.length === 0) return;
    if (this.touched.has(buf)) this.flush();
    this.device.queue.writeBuffer(buf, offset * 4, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Copies src into dst (same length; distinct buffers: WebGPU copies between two), in order with the dispatches. */
  copy(src: GpuArray, dst: GpuArray): void {
    if (src.length === 0) return;
    const enc = this.openEncoder();
    const s = this.buffer(src.buffer), d = this.buffer(dst.buffer);
    this.touched.add(s).add(d);
    enc.copyBufferToBuffer(s, src.offset * 4, d, dst.offset * 4, src.length * 4);
  }

  /** Sets every element of `dst` to 0 (f32 and i32 alike), in order with the dispatches. */
  zero(dst: GpuArray): void {
    if (dst.length === 0) return;
    const enc = this.openEncoder();
    const d = this.buffer(dst.buffer);
    this.touched.add(d);
    enc.clearBuffer(d, dst.offset * 4, dst.length * 4);
  }

  /**
   * Submits the batch, then resolves with `array`'s elements in `into` (a new Float32Array when not
   * given; pass an Int32Array for indices). Rejects with the first error the device reported.
   */
  async read<T extends Float32Array | Int32Array = Float32Array>(array: GpuArray, into?: T): Promise<T> {
    const out = (into ?? new Float32Array(array.length)) as T;
    if (out.length !== array.length) throw new Error(`webgpu executor: read of ${array.length} elements into ${out.length}`);
    this.flush();
    if (array.length > 0) {
      const src = this.buffer(array.buffer);
      const stage = this.staging.take(array.length * 4);
      const enc = this.device.createCommandEncoder();
      enc.copyBufferToBuffer(src, array.offset * 4, stage, 0, array.length * 4);
      this.device.queue.submit([enc.finish()]);
      this.submits++;
      try {
        await stage.mapAsync(MAP_READ, 0, array.length * 4);
        const bytes = new Uint8Array(stage.getMappedRange(0, array.length * 4));
        new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
        stage.unmap();
      } catch (e) {
        this.throwIfFailed();
        throw e;
      } finally {
        this.staging.give(stage);
      }
    }
    this.throwIfFailed();
    return out;
  }

  /** Submits the batch and resolves when the device has finished everything submitted (for timing). */
  async finish(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.throwIfFailed();
  }

  /** Records one dispatch (see KernelContext.dispatch). */
  dispatch(wgsl: string, arrays: readonly GpuArray[], uniforms: readonly Word[], workgroups: readonly [number, number?, number?]): void {
    const [x, y = 1, z = 1] = workgroups;
    const max = this.limits.maxComputeWorkgroupsPerDimension;
    if (x > max || y > max || z > max) {
      throw new Error(`webgpu executor: workgroups (${x}, ${y}, ${z}) exceed the device's ${max} per dimension`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    const { pipeline, layout } = this.pipeline(wgsl);
    const entries: GPUBindGroupEntry[] = arrays.map((a, i) => {
      const buffer = this.buffer(a.buffer);
      this.touched.add(buffer);
      return { binding: i, resource: { buffer } };
    });
    if (uniforms.length > 0) {
      const { buffer, offset, size } = this.packUniforms(uniforms);
      entries.push({ binding: arrays.length, resource: { buffer, offset, size } });
    }
    const bindGroup = this.device.createBindGroup({ layout, entries });
    const pass = this.openPass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.recorded++;
    this.dispatches++;
  }

  /** n elements for a kernel's intermediates, valid until flush() (their pool buffers return then). */
  scratch(n: number): GpuArray {
    const id = this.nextScratchId--;
    this.buffers.set(id, this.storage.take(Math.max(1, n) * 4));
    this.scratchIds.push(id);
    return { buffer: id, offset: 0, length: n };
  }

  /** Dispatches recorded in the open batch. */
  get pending(): number {
    return this.recorded;
  }

  /** Submits the open batch (if any) and recycles its scratch arrays and uniform buffers. */
  flush(): void {
    if (this.encoder) {
      this.pass?.end();
      for (const c of this.uniformChunks) this.device.queue.writeBuffer(c.buffer, 0, c.data, 0, c.used);
      this.device.queue.submit([this.encoder.finish()]);
      this.submits++;
    }
    this.encoder = null;
    this.pass = null;
    this.recorded = 0;
    this.touched.clear();
    // queue order makes these safe to reuse at once: later writes and dispatches run after this submission
    for (const c of this.uniformChunks) { c.used = 0; this.uniformPool.push(c); }
    this.uniformChunks.length = 0;
    for (const id of this.scratchIds) this.destroyBuffer(id);
    this.scratchIds.length = 0;
  }

  /** Submits what is open, frees every pooled buffer and the device. The executor is unusable after. */
  destroy(): void {
    this.flush();
    for (const b of this.buffers.values()) b.destroy();
    this.buffers.clear();
    this.storage.clear();
    this.staging.clear();
    for (const c of this.uniformPool) c.buffer.destroy();
    this.device.destroy();
  }

  private buffer(id: number): GPUBuffer {
    const b = this.buffers.get(id);
    if (!b) throw new Error(`webgpu executor: no buffer ${id}`);
    return b;
  }

  private throwIfFailed(): void {
    const e = this.compileError ?? this.error;
    if (e !== null) throw new Error(`WebGPU error: ${e}`);
  }

  private openEncoder(): GPUCommandEncoder {
    if (this.pass) { this.pass.end(); this.pass = null; }
    return (this.encoder ??= this.device.createCommandEncoder());
  }

  private openPass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = (this.encoder ??= this.device.createCommandEncoder()).beginComputePass();
    return this.pass;
  }

  private pipeline(wgsl: string): { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout } {
    let p = this.pipelines.get(wgsl);
    if (!p) {
      this.device.pushErrorScope('validation');
      const module = this.device.createShaderModule({ code: wgsl });
      const pipeline = this.device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
      p = { pipeline, layout: pipeline.getBindGroupLayout(0) };
      this.device.popErrorScope().then((err) => {
        if (err) this.compileError ??= `a kernel failed to compile: ${err.message}\n--- kernel source ---\n${wgsl}`;
      }, () => {});
      this.pipelines.set(wgsl, p);
    }
    return p;
  }

  private newUniformChunk(): UniformChunk {
    const buffer = this.device.createBuffer({ size: UNIFORM_CHUNK_BYTES, usage: UNIFORM | COPY_DST });
    const data = new ArrayBuffer(UNIFORM_CHUNK_BYTES);
    return { buffer, data, view: new DataView(data), used: 0 };
  }

  private packUniforms(words: readonly Word[]): { buffer: GPUBuffer; offset: number; size: number } {
    const size = Math.ceil((words.length * 4) / 16) * 16;
    let chunk = this.uniformChunks[this.uniformChunks.length - 1];
    if (!chunk || chunk.used + size > UNIFORM_CHUNK_BYTES) {
      chunk = this.uniformPool.pop() ?? this.newUniformChunk();
      this.uniformChunks.push(chunk);
    }
    const offset = chunk.used;
    const v = chunk.view;
    for (let i = 0; i < words.length; i++) {
      const w = words[i], at = offset + 4 * i;
      if ('u32' in w) v.setUint32(at, w.u32, true);
      else if ('i32' in w) v.setInt32(at, w.i32, true);
      else v.setFloat32(at, w.f32, true);
    }
    chunk.used = offset + Math.ceil(size / this.uniformAlign) * this.uniformAlign;
    return { buffer: chunk.buffer, offset, size };
  }
}
