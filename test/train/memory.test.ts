import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nn, optim, Generator, randn, randint, crossEntropy } from '../../src/index.js';

// Tensors are ordinary garbage-collected objects: training must not need tidy()/dispose().
test('2,000 training steps do not grow memory without bound', () => {
  const gen = new Generator(1);
  const model = new nn.Sequential(new nn.Linear(32, 64, { generator: gen }), new nn.Tanh(), new nn.Linear(64, 10, { generator: gen }));
  const opt = new optim.AdamW(model.parameters(), { lr: 1e-3 });
  let rssAt200 = 0;
  for (let i = 0; i < 2000; i++) {
    const x = randn([64, 32], { generator: gen });
    const y = randint(0, 10, [64], { generator: gen });
    const loss = crossEntropy(model.forward(x), y);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    if (i === 200) rssAt200 = process.memoryUsage().rss;
  }
  const growthMb = (process.memoryUsage().rss - rssAt200) / 2 ** 20;
  assert.ok(growthMb < 64, `RSS grew by ${growthMb.toFixed(1)} MB between step 200 and 2000`);
});
