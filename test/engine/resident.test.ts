/**
 * Optimizers place parameters (and their moments) in the kernels' memory when the backend has
 * one: values are unchanged, small tensors and views stay ordinary arrays, a second optimizer
 * moves nothing again, and a backend without such memory leaves everything as it was.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, optim, Tensor } from '../../src/index.js';
import { loadBackend, withBackend } from '../../src/engine/device.js';
import { referenceBackend } from '../../src/backends/reference/index.js';
import { addressOf } from '../../src/backends/wasm/index.js';
import { MIN_RESIDENT } from '../../src/engine/resident.js';

// on the wasm backend, whichever backend is the default (native keeps ordinary arrays)
test('an optimizer moves large parameters into the kernels\' memory, values unchanged', () => withBackend(loadBackend('wasm'), () => {
  const big = randn([MIN_RESIDENT + 3]).setRequiresGrad(), small = randn([7]).setRequiresGrad();
  const base = randn([2 * MIN_RESIDENT]);
  const view = new Tensor(base.data, [MIN_RESIDENT], [1], MIN_RESIDENT).setRequiresGrad(); // shares storage: must not move
  const before = [big, small, view].map((p) => p.floatValues().slice());
  const oldBig = big.data;
  new optim.AdamW([big, small, view], { lr: 1e-3 });
  assert.notEqual(big.data, oldBig);
  assert.ok(addressOf(big.data) >= 0, 'the large parameter is resident');
  assert.equal(addressOf(small.data), -1);
  assert.equal(view.data, base.data, 'a view keeps its storage');
  [big, small, view].forEach((p, i) => assert.deepEqual(p.floatValues(), before[i]));
  const moved = big.data;
  new optim.SGD([big], { lr: 1e-3 });
  assert.equal(big.data, moved, 'already resident: not moved again');
  big.grad = randn([MIN_RESIDENT + 3]);
  const opt = new optim.Adam([big], { lr: 1e-3 });
  opt.step();
  const m = opt.stateDict()['exp_avg.0'].data as Float32Array;
  assert.ok(addressOf(m) >= 0, 'the moments are resident too');
}));

test('a backend without memory of its own leaves parameters where they are', () => {
  const p = randn([MIN_RESIDENT * 2]).setRequiresGrad(), old = p.data;
  withBackend(referenceBackend, () => new optim.AdamW([p], { lr: 1e-3 }));
  assert.equal(p.data, old);
});
