/**
 * The webgpu backend's own kernels (unary, clamp, binary with broadcasting and in place, where,
 * reduce, argmax, sumSquares and sumSquaresMany, gather, scatterAdd, copyStrided) against the reference backend, through the bridge
 * (so residency is exercised too: inputs uploaded, outputs read back by sync), on awkward shapes
 * and views at offsets. Skips with the reason where no WebGPU adapter can be had.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BinaryOp, ReduceOp, UnaryOp } from '../../../src/backends/backend.js';
import { referenceBackend as ref } from '../../../src/backends/reference/index.js';
import { assertClose, randArray, rng } from './gpu-harness.js';
import { gpuBackendOrSkip } from './backend-harness.js';

const SIZES = [1, 3, 17, 65, 127];

test('unary ops match the reference on awkward sizes', (t) => {
  const gpu = gpuBackendOrSkip(t);
  if (!gpu) return;
  const r = rng(1);
  const ops: UnaryOp[] = ['neg', 'exp', 'log', 'sqrt', 'tanh', 'sigmoid', 'relu', 'abs'];
  for (const op of ops) {
    for (const n of SIZES) {
      const x = randArray(n, r, 4);
      if (op === 'log' || op === 'sqrt') for (let i = 0; i < n; i++) x[i] = Math.abs(x[i]) + 0.01;
      const want = new Float32Array(n), got = new Float32Array(n).fill(NaN);
      ref.unary(op, x, want);
      gpu.unary(op, x, got);
      gpu.sync(got);
      assertClose(got, want, 1e-6, 2e-6, `${op} n=${n}`);
    }
  }
});

/** Contiguous strides of shape, with 0 where `shape` is broadcast to `out`. */
function bstrides(shape: number[], out: number[]): number[] {
  const s = new Array(out.length).fill(0);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = out.length - shape.length + i;
    s[d] = shape[i] === 1 && out[d] !== 1 ? 0 : acc;
    acc *= shape[i];
  }
  return s;
}

test('binary ops match the reference, broadcast and in place', (t) => {
  const gpu = gpuBackendOrSkip(t);
  if (!gpu) return;
  const r = rng(2);
  const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'eq', 'gt', 'lt', 'ge'];
  const cases: [number[], number[], number[]][] = [
    [[17], [17], [17]],
    [[3, 65], [65], [3, 65]],
    [[3, 1, 5], [1, 7, 1], [3, 7, 5]],
    [[1], [127], [127]],
    [[2, 3, 4, 5, 3], [5, 1], [2, 3, 4, 5, 3]],
  ];
  for (const op of ops) {
    for (const [as, bs, os] of cases) {
      const na = as.reduce((p, d) => p * d, 1), nb = bs.reduce((p, d) => p * d, 1), no = os.reduce((p, d) => p * d, 1);
      const a = randArray(na, r, 3), b = randArray(nb, r, 3);
      if (op === 'pow') for (let i = 0; i < nb; i++) b[i] = [2, 3, 0.5, -1, 0][i % 5];
      if (op === 'eq') for (let i = 0; i < Math.min(na, nb); i++) if (i % 2) a[i] = b[i];
      const want = new Float32Array(no), got = new Float32Array(no).fill(NaN);
      ref.binary(op, a, bstrides(as, os), b, bstrides(bs, os), want, os);
      gpu.binary(op, a, bstrides(as, os), b, bstrides(bs, os), got, os);
      gpu.sync(got);
      assertClose(got, want, 1e-5, 1e-5, `${op} ${as} ${bs}`);
    }
  }
  // in place on a view at an offset (a += b, out === a), after a kernel put it on the device
  const host = randArray(70, r), b = randArray(65, r);
  const dev = new Float32Array(70);
  gpu.unary('neg', host, dev);
  const region = dev.subarray(5, 70);
  gpu.binary('add', region, [1], b, [1], region, [65]);
  gpu.sync(dev);
  const want = new Float32Array(70);
  ref.unary('neg', host, want);
  const wr = want.subarray(5, 70);
  ref.binary('add', wr, [1], b, [1], wr, [65]);
  assertClose(dev, want, 1e-6, 1e-6, 'in-place add at offset 5');
});

test('reduce, argmax and sumSquares match the reference', (t) => {
  const gpu = gpuBackendOrSkip(t);
  if (!gpu) return;
  const r = rng(3);
  for (const [outer, dim, inner] of [[1, 1, 1], [3, 17, 1], [1, 65, 3], [5, 127, 2], [2, 3, 17]]) {
    const x = randArray(outer * dim * inner, r, 5);
    for (const op of ['sum', 'max', 'min'] as ReduceOp[]) {
      const want = new Float32Array(outer * inner), got = new Float32Array(outer * inner).fill(NaN);
      ref.reduce(op, x, outer, dim, inner, want);
      gpu.reduce(op, x, outer, dim, inner, got);
      gpu.sync(got);
      assertClose(got, want, 1e-5, 1e-6, `${op} (${outer}, ${dim}, ${inner})`);
    }
    x[Math.floor(x.length / 2)] = x[0]; // a tie somewhere: first wins
    const want = new Int32Array(outer * inner), got = new Int32Array(outer * inner).fill(-1);
    ref.argmax(x, outer, dim, inner, want);
    gpu.argmax(x, outer, dim, inner, got);
    gpu.sync(got);
    assert.deepEqual(got, want, `argmax (${outer}, ${dim}, ${inner})`);
  }
  for (const n of [...SIZES, 5000]) {
    const x = randArray(n, r, 2);
    const want = ref.sumSquares(x), got = gpu.sumSquares(x);
    assert.ok(Math.abs(got - want) <= 1e-5 * want + 1e-6, `sumSquares n=${n}: ${got} vs ${want}`);
  }
  // many arrays (some on the device, one at an offset, one empty) into one float: one read-back
  const xs = [...SIZES, 5000, 0].map((n) => randArray(n, r, 2));
  const onDevice = new Float32Array(300);
  gpu.unary('neg', randArray(300, r), onDevice);
  xs.push(onDevice.subarray(7, 290));
  gpu.sync(onDevice);
  gpu.unary('neg', onDevice.slice(), onDevice); // twice negated: on the device again, the same values
  const want = xs.reduce((acc, x) => acc + ref.sumSquares(x), 0);
  const reads = gpu.bridge.counters.reads;
  const got = gpu.sumSquaresMany!(xs);
  assert.equal(gpu.bridge.counters.reads - reads, 1, 'sumSquaresMany reads back one float');
  assert.ok(Math.abs(got - want) <= 1e-5 * want, `sumSquaresMany of ${xs.length} arrays: ${got} vs ${want}`);
  assert.equal(gpu.sumSquaresMany!([new Float32Array(0)]), 0);
});

test('clamp and where match the reference, where broadcast', (t) => {
  const gpu = gpuBackendOrSkip(t);
  if (!gpu) return;
  const r = rng(5);
  for (const n of SIZES) {
    const x = randArray(n, r, 3);
    x[n - 1] = NaN; // stays NaN
    for (const [lo, hi] of [[-1, 1], [-Infinity, 0.5], [0, Infinity], [0.25, 0.25]]) {
      const want = new Float32Array(n), got = new Float32Array(n).fill(7);
      ref.clamp(x, lo, hi, want);
      gpu.clamp(x, lo, hi, got);
      gpu.sync(got);
      assertClose(got, want, 0, 0, `clamp n=${n} to [${lo}, ${hi}]`);
    }
  }
  // (cond, a, b, out) shapes; cond has zeros, ones, other nonzeros and a NaN (true)
  const cases: number[][][] = [
    [[17], [17], [17], [17]],
    [[3, 65], [65], [1], [3, 65]],
    [[1, 7, 1], [3, 1, 5], [3, 7, 5], [3, 7, 5]],
    [[127], [1], [127], [127]],
    [[5, 1], [2, 3, 4, 5, 3], [3], [2, 3, 4, 5, 3]],
  ];
  const size = (s: number[]) => s.reduce((p, d) => p * d, 1);
  for (const [cs, as, bs, os] of cases) {
    const c = Float32Array.from({ length: size(cs) }, (_, i) => [0, 1, 0, -2, NaN, 0.5][i % 6]);
    const a = randArray(size(as), r), b = randArray(size(bs), r);
    const want = new Float32Array(size(os)), got = new Float32Array(size(os)).fill(7);
    ref.where(c, bstrides(cs, os), a, bstrides(as, os), b, bstrides(bs, os), want, os);
    gpu.where(c, bstrides(cs, os), a, bstrides(as, os), b, bstrides(bs, os), got, os);
    gpu.sync(got);
    assertClose(got, want, 0, 0, `where ${cs} ${as} ${bs}`);
  }
  // operands at offsets, one of them on the device (written by a kernel)
  const base = randArray(50, r), dev = new Float32Array(50);
  gpu.unary('neg', base, dev);
  const c = Float32Array.from({ length: 30 }, (_, i) => i % 3), want = new Float32Array(17), got = new Float32Array(17);
  const negBase = base.map((v) => -v);
  ref.where(c.subarray(4), [1], negBase.subarray(9), [2], base.subarray(1), [1], want, [17]);
  gpu.where(c.subarray(4), [1], dev.subarray(9), [2], base.subarray(1), [1], got, [17]);
  gpu.sync(got);
  assertClose(got, want, 0, 0, 'where at offsets, a strided');
});

test('gather and scatterAdd match the reference (repeated indices)', (t) => {
  const gpu = gpuBackendOrSkip(t);
  if (!gpu) return;
  const r = rng(4);
  for (const [outer, dim, inner, m] of [[1, 1, 1, 1], [1, 17, 3, 65], [3, 5, 17, 4], [2, 65, 1, 127]]) {
    const x = randArray(outer * dim * inner, r);
    const idx = Int32Array.from({ length: m }, (_, j) => (j * 7 + 3) % dim);
    const want = new Float32Array(outer * m * inner), got = new Float32Array(outer * m * inner).fill(NaN);
    ref.gather(x, outer, dim, inner, idx, want);
    gpu.gather(x, outer, dim, inner, idx, got);
    gpu.sync(got);
    assertClose(got, want, 0, 0, `gather (${outer}, ${dim}, ${inner}) m=${m}`);

    const src = randArray(outer * m * inner, r);
    const base = randArray(outer * dim * inner, r);
    const wantS = base.slice(), gotS = base.slice();
    ref.scatterAdd(src, outer, dim, inner, idx, wantS);
    gpu.scatterAdd(src, outer, dim, inner, idx, gotS);
    gpu.sync(gotS);
    assertClose(gotS, wantS, 1e-6, 1e-6, `scatterAdd (${outer}, ${dim}, ${inner}) m=${m}`);
  }
});

test('copyStrided matches the reference for f32 and i32 views at offsets', (t) => {
  const gpu = gpuBackendOrSkip(t);
  if (!gpu) return;
  const r = rng(5);
  const cases: [number[], number[], number][] = [
    [[17], [1], 0],
    [[3, 5], [1, 3], 2], // a transpose at an offset
    [[4, 3, 5], [20, 1, 4], 0],
    [[2, 65], [0, 1], 7], // a broadcast row
    [[127], [2], 1],
  ];
  for (const [shape, strides, offset] of cases) {
    const span = offset + shape.reduce((s, d, i) => s + (d - 1) * strides[i], 0) + 1;
    const n = shape.reduce((p, d) => p * d, 1);
    const x = randArray(span + 3, r);
    const want = new Float32Array(n), got = new Float32Array(n).fill(NaN);
    ref.copyStrided(x, shape, strides, offset, want);
    gpu.copyStrided(x, shape, strides, offset, got);
    gpu.sync(got);
    assertClose(got, want, 0, 0, `copyStrided f32 ${shape} ${strides} +${offset}`);
    const xi = Int32Array.from(x, (v) => Math.round(v * 1000));
    const wantI = new Int32Array(n), gotI = new Int32Array(n);
    ref.copyStrided(xi, shape, strides, offset, wantI);
    gpu.copyStrided(xi, shape, strides, offset, gotI);
    gpu.sync(gotI);
    assert.deepEqual(gotI, wantI, `copyStrided i32 ${shape}`);
  }
});

test('residency: a host write after sync is what the next kernel reads', (t) => {
  const gpu = gpuBackendOrSkip(t);
  if (!gpu) return;
  const x = Float32Array.from([1, 2, 3]);
  const y = new Float32Array(3);
  gpu.unary('neg', x, y); // y lives on the device
  gpu.sync(y); // back on the host
  y[1] = 10; // a host write
  const z = new Float32Array(3);
  gpu.unary('neg', y, z);
  gpu.sync(z);
  assert.deepEqual([...z], [1, -10, 3]);
  // an input that shares its buffer with the output (different ranges) is read before it is overwritten
  const buf = new Float32Array(6);
  gpu.unary('abs', Float32Array.from([1, -2, 3, -4, 5, -6]), buf);
  gpu.unary('neg', buf.subarray(0, 3), buf.subarray(3, 6));
  gpu.sync(buf);
  assert.deepEqual([...buf], [1, 2, 3, -1, -2, -3]);
});
