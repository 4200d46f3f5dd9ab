import { test } from 'node:test';
import assert from 'node:assert/strict';
import { models, getBackend, withBackend, Generator, randint } from '../../src/index.js';
import { referenceBackend } from '../../src/backends/reference/index.js';
import type { Backend } from '../../src/backends/backend.js';

const SIZES = [1, 3, 17, 64, 65, 127];

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return worst;
}

function randomArray(n: number, gen: Generator): Float32Array {
  return Float32Array.from({ length: n }, () => gen.normal());
}

test('default backend: every primitive matches the reference on awkward shapes', () => {
  const be: Backend = getBackend();
  const gen = new Generator(3);
  for (const rows of SIZES) {
    for (const cols of [1, 17, 65]) {
      const x = randomArray(rows * cols, gen), y = randomArray(rows * cols, gen);
      const pair = (fn: (b: Backend, out: Float32Array) => void) => {
        const o1 = new Float32Array(rows * cols), o2 = new Float32Array(rows * cols);
        fn(be, o1);
        fn(referenceBackend, o2);
        assert.ok(maxRelDiff(o1, o2) <= 1e-6, `${rows}x${cols}`);
      };
      pair((b, o) => b.geluForward(x, o, new Float32Array(rows * cols)));
      pair((b, o) => b.unary('tanh', x, o));
      pair((b, o) => b.binary('mul', x, [cols, 1], y.subarray(0, cols), [0, 1], o, [rows, cols]));
      pair((b, o) => b.softmax(x, rows, cols, o, true));
      pair((b, o) => b.layerNorm(x, null, null, rows, cols, 1e-5, o, new Float32Array(rows), new Float32Array(rows)));
      const r1 = new Float32Array(cols), r2 = new Float32Array(cols);
      be.reduce('sum', x, 1, rows, cols, r1);
      referenceBackend.reduce('sum', x, 1, rows, cols, r2);
      assert.ok(maxRelDiff(r1, r2) <= 1e-6);
    }
  }
});

test('default backend: matmul matches the reference on awkward shapes, transposes and broadcast batches', () => {
  const be = getBackend();
  const gen = new Generator(4);
  for (const m of SIZES) for (const k of [1, 17, 65]) for (const n of [1, 64, 127]) {
    for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]]) {
      const batch = 2;
      const a = randomArray(batch * m * k, gen), b = randomArray(k * n, gen);
      const c1 = new Float32Array(batch * m * n), c2 = new Float32Array(batch * m * n);
      be.matmul(a, b, c1, batch, m, k, n, transA, transB, m * k, 0);
      referenceBackend.matmul(a, b, c2, batch, m, k, n, transA, transB, m * k, 0);
      // float32 sums in a different order: error grows like sqrt(k)
      assert.ok(maxRelDiff(c1, c2) <= 1e-5 * Math.sqrt(k) * 4, `${m}x${k}x${n} transA=${transA} transB=${transB}`);
    }
  }
});

test('a GPT forward and backward give the same loss and gradients on both backends', () => {
  const run = () => {
    const gen = new Generator(5);
    const gpt = new models.GPT({ vocabSize: 11, blockSize: 17, nLayer: 2, nHead: 2, nEmbd: 34 }, gen);
    const x = randint(0, 11, [3, 17], { generator: gen }), y = randint(0, 11, [3, 17], { generator: gen });
    const { loss } = gpt.forward(x, y);
    loss!.backward();
    return { loss: loss!.item(), grads: gpt.parameters().map((p) => p.grad!.values() as Float32Array) };
  };
  const fast = run();
  const ref = withBackend(referenceBackend, run);
  assert.ok(Math.abs(fast.loss - ref.loss) < 1e-5, `${fast.loss} vs ${ref.loss}`);
  fast.grads.forEach((g, i) => assert.ok(maxRelDiff(g, ref.grads[i]) < 1e-4, `parameter ${i}`));
});

test('default backend: matmul with N past one packed block (regression: panels padded to whole tiles)', () => {
  const be = getBackend();
  const gen = new Generator(6);
  for (const [m, k, n] of [[3, 300, 4096], [5, 257, 4100], [2, 768, 8195], [1, 64, 12289]]) {
    for (const transB of [false, true]) {
      const a = randomArray(m * k, gen), b = randomArray(k * n, gen);
      const c1 = new Float32Array(m * n), c2 = new Float32Array(m * n);
      be.matmul(a, b, c1, 1, m, k, n, false, transB, 0, 0);
      referenceBackend.matmul(a, b, c2, 1, m, k, n, false, transB, 0, 0);
      assert.ok(maxRelDiff(c1, c2) <= 1e-5 * Math.sqrt(k) * 4, `${m}x${k}x${n} transB=${transB}`);
    }
  }
});
