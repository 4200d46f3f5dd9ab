/**
 * The executor on a real adapter (SwiftShader without a GPU): buffers at offsets, uniforms of every
 * word type, batching (many dispatches, one submission), ordering of writes against recorded
 * dispatches, scratch recycling, copy/zero, and compile errors surfacing on read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GpuArrays, gpuOrReason } from './gpu-harness.js';

const gpu = await gpuOrReason();
const skip = typeof gpu === 'string' ? gpu : false;

// y[i] = x[i] * s + t (one invocation per element; offsets passed as uniforms)
const AXPB = /* wgsl */ `
struct U { n: u32, xo: u32, yo: u32, s: f32, t: i32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<uniform> u: U;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) g: vec3u) {
  if (g.x < u.n) { y[u.yo + g.x] = x[u.xo + g.x] * u.s + f32(u.t); }
}`;

test('executor: dispatches at offsets with uniforms, batched into one submission', { skip }, async () => {
  if (typeof gpu === 'string') return;
  const A = new GpuArrays(gpu);
  const n = 130;
  const xs = Float32Array.from({ length: n }, (_, i) => i);
  const x = A.upload(xs), y = A.output(n);
  const submitsBefore = gpu.submits;
  // ten dispatches in a chain: y = x*2 - 1, then y = y... uses x each time, the last one wins
  for (let r = 0; r < 10; r++) {
    gpu.dispatch(AXPB, [x, y], [{ u32: n }, { u32: x.offset }, { u32: y.offset }, { f32: r }, { i32: -r }], [Math.ceil(n / 64)]);
  }
  assert.equal(gpu.pending, 10);
  const got = await A.read(y);
  assert.equal(gpu.submits - submitsBefore, 2, 'one batch submission and one read-back copy');
  for (let i = 0; i < n; i++) assert.equal(got[i], i * 9 - 9);
  await A.assertUntouchedAround(y);
  A.release();
});

test('executor: a write after a recorded dispatch that uses the buffer waits for it', { skip }, async () => {
  if (typeof gpu === 'string') return;
  const A = new GpuArrays(gpu);
  const x = A.upload(new Float32Array([1, 2, 3])), y = A.output(3), z = A.output(3);
  gpu.dispatch(AXPB, [x, y], [{ u32: 3 }, { u32: x.offset }, { u32: y.offset }, { f32: 10 }, { i32: 0 }], [1]);
  gpu.write(x.buffer, x.offset, new Float32Array([4, 5, 6])); // must not reach the dispatch above
  gpu.dispatch(AXPB, [x, z], [{ u32: 3 }, { u32: x.offset }, { u32: z.offset }, { f32: 1 }, { i32: 0 }], [1]);
  assert.deepEqual([...await A.read(y)], [10, 20, 30]);
  assert.deepEqual([...await A.read(z)], [4, 5, 6]);
  A.release();
});

test('executor: scratch, copy and zero are ordered with dispatches; scratch returns to the pool at flush', { skip }, async () => {
  if (typeof gpu === 'string') return;
  const A = new GpuArrays(gpu);
  const x = A.upload(new Float32Array([1, 2, 3, 4])), y = A.output(4);
  const s = gpu.scratch(4);
  gpu.dispatch(AXPB, [x, s], [{ u32: 4 }, { u32: x.offset }, { u32: 0 }, { f32: 3 }, { i32: 1 }], [1]);
  gpu.copy(s, y);
  gpu.zero({ buffer: y.buffer, offset: y.offset + 1, length: 2 });
  assert.deepEqual([...await A.read(y)], [4, 0, 0, 13]);
  await assert.rejects(gpu.read(s), /no buffer/, 'the read flushed the batch, which released its scratch');
  A.release();
});

test('executor: a kernel that does not compile is reported on the next read', { skip }, async () => {
  if (typeof gpu === 'string') return;
  const { requestGpuDevice } = await import('../../../src/backends/webgpu/adapter.js');
  const { GpuExecutor } = await import('../../../src/backends/webgpu/executor.js');
  const r = await requestGpuDevice();
  assert.ok(r.device);
  const ex = new GpuExecutor(r.device); // its own device: the error is sticky
  ex.createBuffer(1, 4);
  ex.dispatch('@compute @workgroup_size(1) fn main() { let x: f32 = undefined_name; }', [], [], [1]);
  await assert.rejects(ex.read({ buffer: 1, offset: 0, length: 4 }), /failed to compile[\s\S]*undefined_name/);
  ex.destroy();
});

test('executor: unusedId gives distinct positive ids that no buffer has', { skip }, async () => {
  if (typeof gpu === 'string') return;
  const a = gpu.unusedId();
  gpu.createBuffer(a, 4);
  const b = gpu.unusedId();
  assert.ok(a > 0 && b > 0 && a !== b);
  gpu.createBuffer(b, 4);
  gpu.destroyBuffer(a);
  gpu.destroyBuffer(b);
  assert.throws(() => gpu.createBuffer(-3, 4), /not a free positive id/);
});
