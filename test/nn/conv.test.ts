import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randn, Generator } from '../../src/engine/index.js';
import { Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d, Flatten, Sequential, ReLU, Linear } from '../../src/nn/index.js';

test('a small conv net has PyTorch\'s parameter names and shapes, and runs forward and backward', () => {
  const gen = new Generator(3);
  const net = new Sequential(new Conv2d(1, 4, 3, { padding: 1, generator: gen }), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2),
    new Conv2d(4, 6, 3, { generator: gen }), new AvgPool2d(2), new Flatten(), new Linear(6, 3, { generator: gen }));
  const names = Object.fromEntries(Object.entries(net.stateDict()).map(([k, v]) => [k, v.shape]));
  assert.deepEqual(names, {
    '0.weight': [4, 1, 3, 3], '0.bias': [4], '1.weight': [4], '1.bias': [4], '4.weight': [6, 4, 3, 3], '4.bias': [6],
    '7.weight': [3, 6], '7.bias': [3], '1.running_mean': [4], '1.running_var': [4],
  });
  const x = randn([5, 1, 8, 8], { generator: gen });
  const y = net.forward(x); // (5, 1, 8, 8) -> conv (5, 4, 8, 8) -> pool (5, 4, 4, 4) -> conv (5, 6, 2, 2) -> pool (5, 6, 1, 1) -> (5, 6) -> (5, 3)
  assert.deepEqual(y.shape, [5, 3]);
  y.sum().backward();
  for (const p of net.parameters()) assert.ok(p.grad && p.grad.floatValues().some((v) => v !== 0));
  // conv weights initialised within PyTorch's bound 1/sqrt(fan_in)
  assert.ok(Math.max(...Array.from(net.stateDict()['4.weight'].floatValues(), Math.abs)) <= 1 / Math.sqrt(36));
  // BatchNorm2d moved its running mean; eval mode uses it and batch size 1 works
  assert.ok(net.stateDict()['1.running_mean'].floatValues().some((v) => v !== 0));
  net.eval();
  assert.deepEqual(net.forward(x.narrow(0, 0, 1)).shape, [1, 3]);
});
