import { test } from 'node:test';
import assert from 'node:assert/strict';
import { referenceBackend } from '../../src/backends/reference/index.js';
import { binaryFns } from '../../src/backends/reference/elementwise.js';
import { broadcastShapes, broadcastStrides, contiguousStrides, numel } from '../../src/engine/shape.js';
import type { BinaryOp } from '../../src/backends/backend.js';

/** The binary kernel's fast paths (dense, periodic, odometer) against a per-element oracle. */
test('binary kernel: every broadcast pattern and op matches a naive loop', () => {
  const shapes: [number[], number[]][] = [
    [[2, 3, 4], [2, 3, 4]], [[2, 3, 4], [4]], [[4], [2, 3, 4]], [[2, 3, 4], []], [[], [2, 3, 4]],
    [[2, 3, 4], [3, 1]], [[2, 1, 4], [3, 4]], [[5, 1], [1, 17]], [[1, 3, 1], [2, 1, 4]], [[2, 3, 4], [2, 1, 4]],
  ];
  const ops: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'max', 'min', 'gt'];
  for (const [sa, sb] of shapes) {
    const shape = broadcastShapes('test', sa, sb);
    const a = Float32Array.from({ length: numel(sa) }, (_, i) => 0.5 + ((i * 7) % 11) / 10);
    const b = Float32Array.from({ length: numel(sb) }, (_, i) => 0.3 + ((i * 5) % 13) / 10);
    const as = broadcastStrides(sa, contiguousStrides(sa), shape), bs = broadcastStrides(sb, contiguousStrides(sb), shape);
    for (const op of ops) {
      const out = new Float32Array(numel(shape));
      referenceBackend.binary(op, a, as, b, bs, out, shape);
      const cs = contiguousStrides(shape);
      for (let i = 0; i < out.length; i++) {
        let ia = 0, ib = 0, r = i;
        for (let d = 0; d < shape.length; d++) {
          const c = Math.floor(r / cs[d]);
          r -= c * cs[d];
          ia += c * as[d];
          ib += c * bs[d];
        }
        const want = Math.fround(binaryFns[op](a[ia], b[ib]));
        assert.equal(out[i], want, `${op} ${JSON.stringify(sa)} ${JSON.stringify(sb)} at ${i}`);
      }
    }
  }
});
