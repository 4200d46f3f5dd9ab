/**
 * The engine's two gradient hooks: registerPostAccumulateGradHook (a leaf's .grad is final for
 * this backward: data parallel sends its bucket there) and registerHook (a tensor's gradient is
 * complete, before it flows into the op that made it: ZeRO-3 re-gathers a layer there).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../src/index.js';

const leaf = (values: number[]) => new Tensor(Float32Array.from(values), [values.length]).setRequiresGrad();

test('a post-accumulate hook runs once per backward, after every use of the leaf has added into .grad', () => {
  const w = leaf([1, 2, 3]);
  const seen: number[][] = [];
  w.registerPostAccumulateGradHook((t) => seen.push(Array.from(t.grad!.data)));
  // w is used twice: the hook must see the sum, not the first part
  w.mul(2).add(w.mul(w)).sum().backward(); // d/dw = 2 + 2w
  assert.deepEqual(seen, [[4, 6, 8]]);
  w.sum().backward(); // accumulates: .grad is 4+1, 6+1, 8+1 when the hook runs
  assert.deepEqual(seen[1], [5, 7, 9]);
});

test('the hooks run in backward order: the later layer\'s leaf first', () => {
  const a = leaf([1]), b = leaf([2]);
  const order: string[] = [];
  a.registerPostAccumulateGradHook(() => order.push('a'));
  b.registerPostAccumulateGradHook(() => order.push('b'));
  const h = a.mul(3).relu(); // "layer 1"
  h.mul(b).sum().backward(); // "layer 2": b's gradient is ready before anything of layer 1
  assert.deepEqual(order, ['b', 'a']);
});

test('registerHook sees the complete gradient of an intermediate tensor before its own op propagates it', () => {
  const a = leaf([1, 2]);
  const y = a.mul(a); // y's node needs a's data in backward
  const events: string[] = [];
  let gy: number[] = [];
  y.registerHook((g) => {
    gy = Array.from(g.data);
    events.push('y');
  });
  a.registerPostAccumulateGradHook(() => events.push('a'));
  y.add(y.mul(3)).sum().backward(); // dL/dy = 1 + 3, from two uses
  assert.deepEqual(gy, [4, 4]);
  assert.deepEqual(events, ['y', 'a']);
  assert.deepEqual(Array.from(a.grad!.data), [8, 16]);
});

test('a removed hook no longer runs', () => {
  const w = leaf([1]);
  let calls = 0;
  const remove = w.registerPostAccumulateGradHook(() => calls++);
  w.sum().backward();
  remove();
  w.sum().backward();
  assert.equal(calls, 1);
});
