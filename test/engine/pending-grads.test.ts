/**
 * PendingGrads, the storage bookkeeping of backward: in-place accumulation only into storage a
 * gradient owns, adoption of unshared storage as a leaf's .grad, recycling once nothing holds a
 * buffer, and never touching a caller's gradient. Buffers are pooled so recycling is visible:
 * a recycled buffer is the next one the pool hands out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool, Tensor } from '../../src/index.js';
import { PendingGrads } from '../../src/engine/pending-grads.js';
import { floats, MIN_POOLED } from '../../src/engine/pool.js';

const n = MIN_POOLED;
const filled = (v: number) => {
  const d = floats(n);
  d.fill(v);
  return new Tensor(d, [n]);
};

test('a second gradient is added in place into one the tensor owns, and its buffer is recycled', () => {
  const pool = new BufferPool();
  pool.run(() => {
    const root = new Tensor(new Float32Array(1), []), x = new Tensor(new Float32Array(n), [n]);
    const pending = new PendingGrads(root, new Tensor(Float32Array.of(1), []), false);
    const g = pending.take(root)!;
    const g1 = filled(1), g2 = filled(2);
    pending.add(x, g1, g);
    pending.add(x, g2, g);
    pending.release(g);
    const gx = pending.take(x)!;
    assert.equal(gx.data, g1.data, 'accumulated into the first gradient, no new buffer');
    assert.ok(gx.data.every((v) => v === 3));
    assert.equal(floats(n), g2.data, "the second gradient's buffer went back to the pool");
  });
});

test('storage shared by two pending gradients is neither written to nor recycled until both are done', () => {
  const pool = new BufferPool();
  pool.run(() => {
    const root = new Tensor(new Float32Array(1), []);
    const x = new Tensor(new Float32Array(n), [n]), y = new Tensor(new Float32Array(n), [n]);
    const pending = new PendingGrads(root, new Tensor(Float32Array.of(1), []), false);
    const g = pending.take(root)!;
    const shared = filled(1);
    pending.add(x, shared, g);
    pending.add(y, new Tensor(shared.data, [n]), g); // a view of the same storage
    pending.add(x, filled(2), g); // x's storage is not x's alone: a new sum
    pending.release(g);
    const gx = pending.take(x)!, gy = pending.take(y)!;
    assert.notEqual(gx.data, shared.data);
    assert.ok(gx.data.every((v) => v === 3) && gy.data.every((v) => v === 1), "y's gradient is untouched");
    y.setRequiresGrad();
    pending.intoLeaf(y, gy);
    assert.equal(y.grad!.data, shared.data, 'once x let go, y adopts the storage as .grad without a copy');
    pending.release(gx);
    assert.notEqual(floats(n), shared.data, "an adopted .grad's storage is not recycled");
  });
});

test("the caller's gradient is never adopted, written to or recycled", () => {
  const pool = new BufferPool();
  pool.run(() => {
    const leaf = new Tensor(new Float32Array(n), [n]).setRequiresGrad();
    const given = filled(4);
    const pending = new PendingGrads(leaf, given, true);
    pending.intoLeaf(leaf, pending.take(leaf)!);
    assert.notEqual(leaf.grad!.data, given.data, '.grad is a copy');
    leaf.grad!.data.fill(0);
    assert.ok(given.data.every((v) => v === 4));
    assert.notEqual(floats(n), given.data, 'not recycled');
  });
});
