import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, randn, gradcheck, Generator } from '../../src/engine/index.js';
import { conv2d } from '../../src/engine/ops/conv.js';
import { withBackend } from '../../src/engine/device.js';
import { referenceBackend } from '../../src/backends/reference/index.js';
import { GradpathError } from '../../src/util/errors.js';

const gen = new Generator(7);
const param = (shape: number[]) => randn(shape, { generator: gen }).detach().setRequiresGrad();

/** The definition of a convolution, written out as loops: the oracle im2col + matmul must agree with. */
function directConv(x: Tensor, w: Tensor, b: Tensor | null, s: number, p: number, d: number, groups: number): { out: Float32Array; shape: number[] } {
  const [N, C, H, W] = x.shape, [O, Cg, kh, kw] = w.shape;
  const OH = Math.floor((H + 2 * p - d * (kh - 1) - 1) / s) + 1, OW = Math.floor((W + 2 * p - d * (kw - 1) - 1) / s) + 1;
  const xv = x.floatValues(), wv = w.floatValues(), bv = b?.floatValues();
  const out = new Float32Array(N * O * OH * OW);
  const Og = O / groups;
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    let acc = bv ? bv[o] : 0;
    const g = Math.floor(o / Og);
    for (let c = 0; c < Cg; c++) for (let i = 0; i < kh; i++) for (let j = 0; j < kw; j++) {
      const h = oh * s - p + i * d, ww = ow * s - p + j * d;
      if (h < 0 || h >= H || ww < 0 || ww >= W) continue;
      acc += xv[((n * C + g * Cg + c) * H + h) * W + ww] * wv[((o * Cg + c) * kh + i) * kw + j];
    }
    out[((n * O + o) * OH + oh) * OW + ow] = acc;
  }
  return { out, shape: [N, O, OH, OW] };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const cases = [
  { name: '1x1 kernel, one pixel', x: [1, 1, 1, 1], w: [1, 1, 1, 1], s: 1, p: 0, d: 1, g: 1 },
  { name: '3x3, padding 1', x: [2, 3, 5, 6], w: [4, 3, 3, 3], s: 1, p: 1, d: 1, g: 1 },
  { name: 'stride 2, odd size', x: [3, 2, 17, 9], w: [5, 2, 3, 2], s: 2, p: 1, d: 1, g: 1 },
  { name: 'dilation 2', x: [1, 3, 9, 11], w: [2, 3, 3, 3], s: 1, p: 2, d: 2, g: 1 },
  { name: 'groups 3', x: [2, 6, 7, 7], w: [9, 2, 3, 3], s: 2, p: 1, d: 1, g: 3 },
  { name: 'depthwise, stride 3', x: [1, 4, 10, 8], w: [4, 1, 5, 3], s: 3, p: 2, d: 1, g: 4 },
];

for (const c of cases) {
  test(`conv2d matches the direct loops: ${c.name}`, () => {
    const x = param(c.x), w = param(c.w), b = param([c.w[0]]);
    const got = conv2d(x, w, b, { stride: c.s, padding: c.p, dilation: c.d, groups: c.g });
    const want = directConv(x, w, b, c.s, c.p, c.d, c.g);
    assert.deepEqual(got.shape, want.shape);
    assert.ok(maxDiff(got.floatValues(), want.out) < 1e-4, `max diff ${maxDiff(got.floatValues(), want.out)}`);
  });
  test(`gradcheck: conv2d ${c.name}`, () => {
    const x = param(c.x), w = param(c.w), b = param([c.w[0]]);
    const { maxError, worst } = gradcheck((x, w, b) => conv2d(x, w, b, { stride: c.s, padding: c.p, dilation: c.d, groups: c.g }), [x, w, b]);
    assert.ok(maxError < 2e-2, `max error ${maxError.toExponential(2)} (${worst})`);
  });
}

test('conv2d without bias, and with only the input needing a gradient', () => {
  const x = param([2, 2, 4, 4]), w = randn([3, 2, 2, 2], { generator: gen });
  const { maxError } = gradcheck((x) => conv2d(x, w, null, { padding: 1 }), [x]);
  assert.ok(maxError < 2e-2);
  const y = conv2d(x, w);
  assert.deepEqual(y.shape, [2, 3, 3, 3]);
});

test('conv2d on the default backend agrees with the reference, forward and backward, on awkward shapes', () => {
  for (const [N, C, H, O, k] of [[1, 1, 1, 1, 1], [3, 3, 17, 5, 3], [2, 17, 13, 65, 3], [1, 65, 7, 127, 3], [5, 1, 28, 32, 5]]) {
    const x = randn([N, C, H, H], { generator: gen }), w = randn([O, C, k, k], { generator: gen }).mul(0.1), b = randn([O], { generator: gen });
    const g = randn([N, O, H, H], { generator: gen }); // padding k/2 keeps the size
    const run = () => {
      const [xs, ws, bs] = [x, w, b].map((t) => t.detach().setRequiresGrad());
      const y = conv2d(xs, ws, bs, { padding: (k - 1) / 2 });
      y.backward(g);
      return [y, xs.grad!, ws.grad!, bs.grad!].map((t) => t.floatValues());
    };
    const fast = run(), ref = withBackend(referenceBackend, run);
    fast.forEach((v, i) => {
      const scale = ref[i].reduce((m, a) => Math.max(m, Math.abs(a)), 1);
      assert.ok(maxDiff(v, ref[i]) / scale < 1e-4, `shape ${[N, C, H, O, k]} output ${i}: relative diff ${maxDiff(v, ref[i]) / scale}`);
    });
  }
});

test('conv2d refuses mismatched shapes with one clear error', () => {
  const x = randn([1, 3, 5, 5]);
  assert.throws(() => conv2d(x, randn([2, 4, 3, 3])), (e: Error) => e instanceof GradpathError && /expects 4 input channels/.test(e.message));
  assert.throws(() => conv2d(randn([3, 5, 5]), randn([2, 3, 3, 3])), (e: Error) => e instanceof GradpathError && /\(N, C, H, W\)/.test(e.message));
  assert.throws(() => conv2d(x, randn([2, 3, 7, 7])), (e: Error) => e instanceof GradpathError && /does not fit/.test(e.message));
  assert.throws(() => conv2d(x, randn([2, 1, 3, 3]), null, { groups: 2 }), (e: Error) => e instanceof GradpathError && /groups = 2/.test(e.message));
  assert.throws(() => conv2d(x, randn([2, 3, 3, 3]), null, { stride: 0 }), (e: Error) => e instanceof GradpathError && /stride/.test(e.message));
});
