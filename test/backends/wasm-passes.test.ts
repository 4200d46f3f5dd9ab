/**
 * The wasm memory-bound passes (broadcast arithmetic, sums over a middle axis, strided copies,
 * layer norm) against the reference kernels on awkward shapes: SIMD bodies and scalar tails,
 * biases and scalars on either side, in-place updates, views with offsets and non-unit strides.
 * Binary ops, sums and copies must be bit-identical (float64 rounded once to float32 is exact for
 * + - * /, and the sums keep the reference's order); layer norm differs only in the order of two
 * float64 row sums. Operands go in the wasm memory (where the kernels run) and, for the small
 * ones, also as ordinary arrays (copied through scratch); wholly ordinary operands must fall back.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { allocFloats, binary, copyStrided, initWasm, layerNorm, layerNormBackward, reduce, shutdownWasm, sumSquares } from '../../src/backends/wasm/index.js';
import { referenceBackend as ref } from '../../src/backends/reference/index.js';
import type { BinaryOp } from '../../src/backends/backend.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}
const random = (n: number, seed: number) => { const r = rng(seed); return Float32Array.from({ length: n }, () => r() + (r() > 0 ? 0.25 : -0.25)); };
/** A copy of x in the wasm memory when `resident`, else x itself. */
function place(resident: boolean, x: Float32Array): Float32Array {
  if (!resident) return x;
  const r = allocFloats(Math.max(x.length, 1))!.subarray(0, x.length);
  r.set(x);
  return r;
}
const same = (a: Float32Array, b: Float32Array, what: string) =>
  assert.ok(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength)), `${what}: not bit-identical`);
const close = (a: Float32Array, b: Float32Array, tol: number, what: string) => {
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol * (1 + Math.abs(b[i])), `${what}[${i}]: ${a[i]} vs ${b[i]}`);
};

after(() => shutdownWasm());

test('wasm binary ops match the reference bit for bit: same shape, bias rows, scalars, in place', async () => {
  await initWasm();
  const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'max'];
  for (const op of ops) {
    for (const n of [1, 3, 17, 65, 127, 4099]) {
      const a = random(n, n), b = random(n, n + 1), want = new Float32Array(n);
      ref.binary(op, a, [1], b, [1], want, [n]);
      const out = place(true, new Float32Array(n));
      binary(op, place(true, a), [1], place(true, b), [1], out, [n]);
      same(out, want, `${op} same shape n=${n}`);
      // in place: out is a
      const acc = place(true, a);
      binary(op, acc, [1], place(true, b), [1], acc, [n]);
      same(acc, want, `${op} in place n=${n}`);
    }
    for (const [rows, p] of [[1, 1], [5, 1], [3, 3], [17, 17], [4, 65], [3, 127], [2, 768]]) {
      const dense = random(rows * p, rows), rep = random(p, p), shape = [rows, p];
      for (const repFirst of [false, true]) {
        for (const residentRep of [true, false]) {
          const want = new Float32Array(rows * p), out = place(true, new Float32Array(rows * p));
          const [x, xs, y, ys] = repFirst ? [rep, [0, 1], dense, [p, 1]] : [dense, [p, 1], rep, [0, 1]];
          ref.binary(op, x, xs, y, ys, want, shape);
          const [px, py] = repFirst ? [place(residentRep, rep), place(true, dense)] : [place(true, dense), place(residentRep, rep)];
          binary(op, px, xs, py, ys, out, shape);
          same(out, want, `${op} ${rows}x${p} repeating ${repFirst ? 'first' : 'second'} operand${residentRep ? '' : ' (ordinary)'}`);
        }
      }
    }
  }
  // ordinary arrays, and a layout with no fast path (broadcast along the last dim), fall back
  const a = random(12, 1), b = random(3, 2), want = new Float32Array(12), out = place(true, new Float32Array(12));
  ref.binary('sub', a, [4, 1], b, [1, 0], want, [3, 4]);
  binary('sub', place(true, a), [4, 1], place(true, b), [1, 0], out, [3, 4]);
  same(out, want, 'broadcast along the last dim');
  const plain = new Float32Array(12);
  binary('add', a, [1], random(12, 3), [1], plain, [12]);
  ref.binary('add', a, [1], random(12, 3), [1], want, [12]);
  same(plain, want, 'ordinary arrays');
});

test('wasm sums over a middle axis match the reference bit for bit', async () => {
  await initWasm();
  for (const [outer, dim, inner] of [[1, 1, 2], [1, 3, 3], [2, 5, 4], [3, 7, 5], [1, 64, 16], [2, 17, 17], [1, 9, 33], [3, 4, 127], [1, 256, 768], [4, 1, 65], [2, 64, 1]]) {
    const x = random(outer * dim * inner, inner), want = new Float32Array(outer * inner);
    ref.reduce('sum', x, outer, dim, inner, want);
    for (const residentOut of [true, false]) {
      const out = place(residentOut, new Float32Array(outer * inner).fill(7));
      reduce('sum', place(true, x), outer, dim, inner, out);
      same(out, want, `sum (${outer}, ${dim}, ${inner})${residentOut ? '' : ' into an ordinary array'}`);
    }
    const mx = new Float32Array(outer * inner), wantMax = new Float32Array(outer * inner);
    ref.reduce('max', x, outer, dim, inner, wantMax);
    reduce('max', place(true, x), outer, dim, inner, mx);
    same(mx, wantMax, `max (${outer}, ${dim}, ${inner}) falls back`);
  }
});

test('wasm sums of squares match the reference to float64 rounding', async () => {
  await initWasm();
  for (const n of [0, 1, 3, 7, 8, 17, 65, 127, 100003]) {
    const x = random(n, n), want = ref.sumSquares(x);
    for (const resident of [true, false]) {
      const got = sumSquares(place(resident, x));
      assert.ok(Math.abs(got - want) <= 1e-12 * want, `n=${n}${resident ? '' : ' (ordinary)'}: ${got} vs ${want}`);
    }
    if (n > 0) assert.ok(want > 0.0625 * n, 'the test data is not zero');
  }
});

test('wasm strided copies match the reference bit for bit: permutes, transposes, offsets', async () => {
  await initWasm();
  // contiguous strides of a shape
  const strides = (shape: number[]) => shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const cases: [number[], number[], number][] = [];
  for (const [B, T, H, D] of [[1, 1, 1, 1], [2, 3, 1, 5], [1, 17, 3, 4], [2, 5, 3, 65], [1, 3, 2, 127]]) {
    const s = strides([B, T, 3, H, D]); // (B, T, 3, nh, hs) -> (3, B, nh, T, hs), as attention splits heads
    cases.push([[3, B, H, T, D], [s[2], s[0], s[3], s[1], s[4]], 0]);
    const t = strides([B, H, T, D]); // (B, nh, T, hs) -> (B, nh, hs, T): a transpose of the last two dims
    cases.push([[B, H, D, T], [t[0], t[1], t[3], t[2]], 0]);
  }
  cases.push([[4, 6], [10, 1], 3]); // rows of a wider matrix, from an offset
  cases.push([[7], [3], 2]); // one strided dim
  for (const [shape, st, offset] of cases) {
    const span = offset + shape.reduce((m, d, i) => m + (d - 1) * st[i], 0) + 1;
    const x = random(span, span), n = shape.reduce((a, b) => a * b, 1);
    const want = new Float32Array(n), out = place(true, new Float32Array(n));
    ref.copyStrided(x, shape, st, offset, want);
    copyStrided(place(true, x), shape, st, offset, out);
    same(out, want, `copy of shape [${shape}] strides [${st}] offset ${offset}`);
  }
  const ints = Int32Array.from({ length: 12 }, (_, i) => i), wantInts = new Int32Array(12), outInts = new Int32Array(12);
  ref.copyStrided(ints, [3, 4], [1, 3], 0, wantInts);
  copyStrided(ints, [3, 4], [1, 3], 0, outInts);
  assert.deepEqual(outInts, wantInts, 'int32 copies fall back');
});

test('wasm layer norm and its backward match the reference', async () => {
  await initWasm();
  for (const [rows, cols] of [[1, 1], [3, 3], [17, 17], [2, 65], [5, 127], [4, 768]]) {
    const x = random(rows * cols, cols).map((v, i) => v * 3 + (i % 7)), g = random(rows * cols, cols + 1);
    for (const affine of [true, false]) {
      const w = affine ? random(cols, 2) : null, b = affine ? random(cols, 3) : null;
      const want = new Float32Array(rows * cols), wm = new Float32Array(rows), wr = new Float32Array(rows);
      ref.layerNorm(x, w, b, rows, cols, 1e-5, want, wm, wr);
      const out = place(true, new Float32Array(rows * cols)), mean = new Float32Array(rows), rstd = new Float32Array(rows);
      const xr = place(true, x);
      layerNorm(xr, w, b, rows, cols, 1e-5, out, mean, rstd);
      close(out, want, 2e-6, `layer norm ${rows}x${cols}`);
      close(mean, wm, 1e-6, 'mean');
      close(rstd, wr, 1e-6, 'rstd');

      const wantDx = new Float32Array(rows * cols), wantDw = affine ? random(cols, 4) : null, wantDb = affine ? random(cols, 5) : null;
      const dw = wantDw ? wantDw.slice() : null, db = wantDb ? wantDb.slice() : null;
      ref.layerNormBackward(g, x, w, wm, wr, rows, cols, wantDx, wantDw, wantDb);
      const dx = place(true, new Float32Array(rows * cols));
      layerNormBackward(place(true, g), xr, w, wm, wr, rows, cols, dx, dw, db);
      close(dx, wantDx, 2e-5, `layer norm backward dx ${rows}x${cols}`);
      if (dw && db) {
        close(dw, wantDw!, 1e-6, 'dweight');
        close(db, wantDb!, 1e-6, 'dbias');
      }
    }
  }
});
