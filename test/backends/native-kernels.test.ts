/**
 * Every primitive of the native backend against the reference backend, on awkward shapes (1, 3,
 * 17, 65, 127, 1025), lengths past the size where work splits across threads, strided views at
 * offsets, broadcasts on either side and in place where the interface allows it. Skips, saying
 * why, where the addon is not built (`gradpath native build`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadNative, nativeBuilt, NOT_BUILT } from '../../src/backends/native/index.js';
import { referenceBackend as R } from '../../src/backends/reference/index.js';
import type { AdamStep, Backend, BinaryOp, UnaryOp } from '../../src/backends/backend.js';

const skip = nativeBuilt() ? false : `skipped: ${NOT_BUILT}`;
if (skip) console.log(`# native-kernels: ${skip}`);
const N: Backend = skip ? R : loadNative();
const SIZES = [1, 3, 17, 65, 127, 1025];
const BIG = 70001; // past the 32768 floats where the kernels split work across threads

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}
const rand = (n: number, r: () => number, scale = 1) => Float32Array.from({ length: n }, () => scale * r());

/** |got - want| <= rel * |want| + abs elementwise; NaN must meet NaN. */
function close(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, abs: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(w) || Number.isNaN(g)) {
      assert.ok(Number.isNaN(w) && Number.isNaN(g), `${what}[${i}]: ${g} vs ${w}`);
      continue;
    }
    if (g === w) continue;
    assert.ok(Math.abs(g - w) <= rel * Math.abs(w) + abs, `${what}[${i}]: ${g} vs ${w}`);
  }
}

const UNARY: [UnaryOp, number, number][] = [
  // op, relative and absolute tolerance (exp and tanh are float approximations within a few ulp,
  // and exp flushes results below 2.7e-38 to 0; tanh as 1 - 2/(e^2x + 1) loses relative
  // accuracy near 0 in both backends alike)
  ['neg', 0, 0], ['exp', 1e-6, 1e-37], ['log', 1e-6, 1e-7], ['sqrt', 1e-6, 0], ['tanh', 1e-6, 1e-7], ['sigmoid', 1e-6, 1e-7],
  ['relu', 0, 0], ['abs', 0, 0],
];

test('native unary ops match the reference, special values included', { skip }, () => {
  for (const [op, rel, abs] of UNARY) {
    for (const n of [...SIZES, BIG]) {
      const r = rng(n);
      const x = rand(n, r, 10);
      if (op === 'log' || op === 'sqrt') x.forEach((v, i) => { x[i] = Math.abs(v); });
      if (n >= 17) x.set([0, -0, NaN, Infinity, -Infinity, 100, -100, 1e-30, -1e-30, 88.5, -87.5, -103]);
      const a = new Float32Array(n), b = new Float32Array(n);
      N.unary(op, x, a);
      R.unary(op, x, b);
      close(a, b, rel, abs, `${op} n=${n}`);
    }
  }
});

const BINARY: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'eq', 'gt', 'lt', 'ge'];

test('native binary ops match the reference: same shape, broadcasts either side, transposed views, in place', { skip }, () => {
  const r = rng(5);
  for (const op of BINARY) {
    const cases: [number[], number[], number[]][] = [
      // outShape, a strides, b strides
      [[1025], [1], [1]],
      [[3, 17, 65], [17 * 65, 65, 1], [0, 0, 1]], // bias under (B, T, C)
      [[3, 17, 65], [0, 0, 0], [17 * 65, 65, 1]], // scalar on the left
      [[3, 65, 17], [65, 0, 1], [0, 1, 65]], // (3,1,17) x transposed (1,65,17)
      [[127, 129], [129, 1], [1, 127]], // b is a transposed view
      [[1, 1], [1, 1], [1, 1]],
      [[2, 300, 130], [300 * 130, 130, 1], [0, 1, 0]], // big: split across threads
    ];
    for (const [shape, as, bs] of cases) {
      const span = (st: number[]) => 1 + shape.reduce((s, d, i) => s + (d - 1) * st[i], 0);
      const a = rand(span(as), r, 3), b = rand(span(bs), r, 3);
      if (op === 'pow') a.forEach((v, i) => { a[i] = Math.abs(v); });
      if (op === 'eq') b.set(a.subarray(0, Math.min(a.length, b.length) >> 1));
      const n = shape.reduce((p, d) => p * d, 1);
      const o1 = new Float32Array(n), o2 = new Float32Array(n);
      N.binary(op, a, as, b, bs, o1, shape);
      R.binary(op, a, as, b, bs, o2, shape);
      close(o1, o2, op === 'pow' ? 1e-6 : 0, 0, `${op} ${shape}`);
    }
    // in place: a += b with a dense
    const a = rand(3 * 1025, r), b = rand(1025, r);
    const want = new Float32Array(a.length);
    R.binary(op, a, [1025, 1], b, [0, 1], want, [3, 1025]);
    N.binary(op, a, [1025, 1], b, [0, 1], a, [3, 1025]);
    close(a, want, op === 'pow' ? 1e-6 : 0, 0, `${op} in place`);
  }
});

test('native reduce, sumSquares and argmax match the reference', { skip }, () => {
  const r = rng(7);
  for (const [outer, dim, inner] of [[1, 1, 1], [3, 17, 1], [1, 1025, 65], [65, 127, 3], [17, 3, 1025], [1, 4000, 768], [2, 1, 65]]) {
    const x = rand(outer * dim * inner, r);
    x[0] = 0.5; x[x.length - 1] = 0.5; // ties for argmax: the first wins
    for (const op of ['sum', 'max', 'min'] as const) {
      const a = new Float32Array(outer * inner), b = new Float32Array(outer * inner);
      N.reduce(op, x, outer, dim, inner, a);
      R.reduce(op, x, outer, dim, inner, b);
      close(a, b, op === 'sum' ? 1e-6 : 0, op === 'sum' ? 1e-6 : 0, `${op} ${outer}x${dim}x${inner}`);
    }
    const i1 = new Int32Array(outer * inner), i2 = new Int32Array(outer * inner);
    N.argmax(x, outer, dim, inner, i1);
    R.argmax(x, outer, dim, inner, i2);
    assert.deepEqual(i1, i2, `argmax ${outer}x${dim}x${inner}`);
  }
  const withNaN = Float32Array.from([1, NaN, 3, 2]);
  for (const op of ['max', 'min'] as const) {
    const a = new Float32Array(1), b = new Float32Array(1);
    N.reduce(op, withNaN, 1, 4, 1, a);
    R.reduce(op, withNaN, 1, 4, 1, b);
    close(a, b, 0, 0, `${op} with NaN`);
  }
  for (const n of [...SIZES, BIG]) {
    const x = rand(n, r, 4);
    const got = N.sumSquares(x), want = R.sumSquares(x);
    assert.ok(Math.abs(got - want) <= 1e-12 * want, `sumSquares n=${n}: ${got} vs ${want}`);
  }
});

test('native matmul matches the reference: awkward shapes, both transposes, broadcast batches, k = 0', { skip }, () => {
  const r = rng(11);
  const shapes = [[1, 1, 1], [3, 17, 65], [65, 127, 3], [17, 1025, 1], [127, 65, 17], [64, 64, 64]];
  for (const [m, k, n] of shapes) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      for (const [batch, sa, sb] of [[1, m * k, k * n], [3, m * k, k * n], [3, 0, k * n], [3, m * k, 0], [48, m * k, k * n]]) {
        if (batch === 48 && m * k * n > 65 * 127 * 17) continue;
        const a = rand(Math.max(1, (batch - 1) * sa + m * k), r), b = rand(Math.max(1, (batch - 1) * sb + k * n), r);
        const c1 = new Float32Array(batch * m * n).fill(NaN), c2 = new Float32Array(batch * m * n);
        N.matmul(a, b, c1, batch, m, k, n, ta, tb, sa, sb);
        R.matmul(a, b, c2, batch, m, k, n, ta, tb, sa, sb);
        // float32 sums in another order: the error grows like sqrt(k) times the terms' size
        close(c1, c2, 0, 2e-6 * Math.sqrt(k) * 4, `${batch}x ${m}x${k}x${n} ta=${ta} tb=${tb} sa=${sa} sb=${sb}`);
      }
    }
  }
  const c = new Float32Array(6).fill(7);
  N.matmul(new Float32Array(0), new Float32Array(0), c, 1, 2, 0, 3, false, false, 0, 0);
  assert.deepEqual(c, new Float32Array(6), 'k = 0 gives zeros');
});

test('native gather, scatterAdd (repeated indices) and copyStrided (float and int32, offsets) match the reference', { skip }, () => {
  const r = rng(13);
  for (const [outer, dim, inner] of [[1, 17, 1], [3, 65, 17], [1, 1025, 65], [2, 50, 768]]) {
    const x = rand(outer * dim * inner, r);
    const idx = Int32Array.from({ length: 127 }, (_, j) => (j * 7 + (j % 3)) % dim);
    const g1 = new Float32Array(outer * idx.length * inner), g2 = new Float32Array(g1.length);
    N.gather(x, outer, dim, inner, idx, g1);
    R.gather(x, outer, dim, inner, idx, g2);
    close(g1, g2, 0, 0, `gather ${outer}x${dim}x${inner}`);
    const s1 = rand(outer * dim * inner, r), s2 = s1.slice();
    N.scatterAdd(g1, outer, dim, inner, idx, s1);
    R.scatterAdd(g1, outer, dim, inner, idx, s2);
    close(s1, s2, 1e-6, 1e-6, `scatterAdd ${outer}x${dim}x${inner}`);
  }
  const views: [number[], number[], number][] = [
    // shape, strides, offset
    [[17, 65], [1, 17], 0], // a transpose
    [[3, 17, 5], [17 * 65, 65, 1], 7], // a narrowed slice at an offset
    [[4, 12, 64, 3], [64 * 3 * 12 * 2, 3, 12 * 3, 1], 5], // split heads: (B, T, H, D) -> (B, H, T, D)
    [[1025], [2], 1],
    [[1], [1], 3],
    [[300, 400], [1, 300], 0], // big transpose, split across threads
  ];
  for (const [shape, strides, offset] of views) {
    const n = shape.reduce((p, d) => p * d, 1);
    const span = offset + 1 + shape.reduce((s, d, i) => s + (d - 1) * strides[i], 0);
    const xf = rand(span, r), xi = Int32Array.from(xf, (v) => Math.round(v * 1e6));
    const f1 = new Float32Array(n), f2 = new Float32Array(n);
    N.copyStrided(xf, shape, strides, offset, f1);
    R.copyStrided(xf, shape, strides, offset, f2);
    close(f1, f2, 0, 0, `copyStrided float ${shape}`);
    const i1 = new Int32Array(n), i2 = new Int32Array(n);
    N.copyStrided(xi, shape, strides, offset, i1);
    R.copyStrided(xi, shape, strides, offset, i2);
    assert.deepEqual(i1, i2, `copyStrided int32 ${shape}`);
  }
});

test('native softmax, log-softmax and scaled causal softmax match the reference, masked rows included', { skip }, () => {
  const r = rng(17);
  for (const [rows, cols] of [[1, 1], [3, 17], [65, 127], [2, 1025], [64, 1025]]) {
    const x = rand(rows * cols, r, 5);
    if (rows > 2) x.fill(-Infinity, cols, 2 * cols); // a fully masked row
    if (cols > 3) x[2] = -Infinity;
    for (const log of [false, true]) {
      const a = new Float32Array(rows * cols), b = new Float32Array(rows * cols);
      N.softmax(x, rows, cols, a, log);
      R.softmax(x, rows, cols, b, log);
      close(a, b, 2e-6, 1e-7, `softmax log=${log} ${rows}x${cols}`);
    }
    const y = rand(rows * cols, r, 5);
    for (const queries of [0, 1, Math.min(cols, 3), cols]) {
      if (queries > 0 && rows % queries !== 0 && queries !== 1) continue;
      const a = new Float32Array(rows * cols).fill(9), b = new Float32Array(rows * cols);
      N.scaledSoftmax(y, rows, cols, 0.125, queries, a);
      R.scaledSoftmax(y, rows, cols, 0.125, queries, b);
      close(a, b, 2e-6, 1e-7, `scaledSoftmax q=${queries} ${rows}x${cols}`);
    }
  }
});

test('native layer norm forward and backward match the reference, with and without weight and bias', { skip }, () => {
  const r = rng(19);
  for (const [rows, cols] of [[1, 1], [3, 17], [65, 127], [17, 1025], [256, 768]]) {
    const x = rand(rows * cols, r, 2), w = rand(cols, r), bias = rand(cols, r), g = rand(rows * cols, r);
    for (const [wt, bs] of [[w, bias], [null, null], [w, null]] as const) {
      const run = (be: Backend) => {
        const out = new Float32Array(rows * cols), mean = new Float32Array(rows), rstd = new Float32Array(rows);
        be.layerNorm(x, wt, bs, rows, cols, 1e-5, out, mean, rstd);
        const dx = new Float32Array(rows * cols), dw = wt ? new Float32Array(cols).fill(0.5) : null, db = bs ? new Float32Array(cols).fill(0.5) : null;
        be.layerNormBackward(g, x, wt, mean, rstd, rows, cols, dx, dw, db);
        return { out, mean, rstd, dx, dw, db };
      };
      const a = run(N), b = run(R);
      const what = `${rows}x${cols} w=${!!wt} b=${!!bs}`;
      close(a.mean, b.mean, 1e-6, 1e-7, `mean ${what}`);
      close(a.rstd, b.rstd, 1e-6, 0, `rstd ${what}`);
      close(a.out, b.out, 1e-5, 1e-5, `out ${what}`);
      close(a.dx, b.dx, 1e-4, 1e-5, `dx ${what}`);
      if (a.dw) close(a.dw, b.dw!, 1e-4, 1e-4, `dweight ${what}`);
      if (a.db) close(a.db, b.db!, 1e-5, 1e-4, `dbias ${what}`);
    }
  }
});

test('native adam, GELU and cross-entropy rows match the reference', { skip }, () => {
  const r = rng(23);
  const s: AdamStep = { beta1: 0.9, beta2: 0.95, eps: 1e-8, stepSize: 1e-3 / 0.1, invSqrtC2: 1 / Math.sqrt(0.05), decay: 1 - 1e-4, l2: 0.01 };
  for (const n of [...SIZES, BIG]) {
    const p = rand(n, r), g = rand(n, r), m = rand(n, r, 0.1), v = rand(n, r, 0.01).map(Math.abs);
    const [p2, m2, v2] = [p.slice(), m.slice(), v.slice()];
    R.adam(p, g, m, v, s);
    N.adam(p2, g, m2, v2, s);
    close(p2, p, 1e-5, 1e-6, `adam p n=${n}`);
    close(m2, m, 1e-5, 1e-7, `adam m n=${n}`);
    close(v2, v, 1e-5, 1e-9, `adam v n=${n}`);
    const x = rand(n, r, 6), go = rand(n, r);
    const [o1, t1, o2, t2, d1, d2] = Array.from({ length: 6 }, () => new Float32Array(n));
    N.geluForward(x, o1, t1);
    R.geluForward(x, o2, t2);
    close(o1, o2, 1e-6, 1e-7, `gelu n=${n}`);
    close(t1, t2, 1e-6, 1e-7, `gelu tanh n=${n}`);
    N.geluBackward(go, x, t2, d1);
    R.geluBackward(go, x, t2, d2);
    close(d1, d2, 1e-6, 1e-7, `gelu backward n=${n}`);
  }
  for (const [rows, cols] of [[1, 1], [3, 17], [65, 127], [4, 50257]]) {
    const x = rand(rows * cols, r, 8);
    if (cols > 2) x[1] = -Infinity;
    const t = Int32Array.from({ length: rows }, (_, i) => (i * 31) % cols);
    if (rows > 2) t[1] = -100; // ignored
    const run = (be: Backend, withGrad: boolean) => {
      const loss = new Float32Array(1), grad = withGrad ? new Float32Array(rows * cols).fill(7) : null;
      be.crossEntropy(x, rows, cols, t, -100, loss, grad);
      return { loss, grad };
    };
    for (const withGrad of [false, true]) {
      const a = run(N, withGrad), b = run(R, withGrad);
      close(a.loss, b.loss, 1e-6, 1e-6, `xent loss ${rows}x${cols}`);
      if (withGrad) {
        close(a.grad!, b.grad!, 1e-5, 1e-9, `xent grad ${rows}x${cols}`);
      }
    }
  }
});
