/**
 * The conv-net counterpart of tiny-gpt-check.ts, shared the same way by Node and a browser worker:
 * a tiny CNN (convolutions with padding and a bias, batch norm in training, max and average
 * pooling, a linear head) trains a few steps; then one eval-mode forward (batch norm from its
 * running statistics). Compared: the losses, the parameters, the running statistics and the
 * eval logits. No node: imports.
 */
import { Tensor, Generator, randn, crossEntropy } from '../../../src/engine/index.js';
import type { Backend } from '../../../src/backends/backend.js';
import { Conv2d, BatchNorm2d, MaxPool2d, AvgPool2d, Flatten, Linear, ReLU, Sequential } from '../../../src/nn/index.js';
import { trainTinyModel, type TinyGptRun } from './tiny-gpt-check.js';

/** trainTinyModel on a tiny CNN over (4, 2, 6, 6) images of 3 classes; `final` ends with the eval-mode logits. */
export function trainTinyCnn(backend: Backend, steps: number): TinyGptRun {
  return trainTinyModel(backend, steps, () => {
    const gen = new Generator(5);
    const model = new Sequential(
      // no bias before batch norm: its gradient is float noise around 0, which Adam would scale up to steps of lr
      new Conv2d(2, 3, 3, { padding: 1, bias: false, generator: gen }), //  (4, 3, 6, 6)
      new BatchNorm2d(3),
      new ReLU(),
      new MaxPool2d(2), //                                      (4, 3, 3, 3)
      new Conv2d(3, 4, 2, { stride: 1, generator: gen }), //    (4, 4, 2, 2)
      new AvgPool2d(2, { stride: 1, padding: 1 }), //           (4, 4, 3, 3)
      new Flatten(),
      new Linear(36, 3, { generator: gen }),
    );
    const x = randn([4, 2, 6, 6], { generator: gen }); // one batch: the loss must fall
    const y = new Tensor(Int32Array.from([0, 2, 1, 2]), [4]);
    return {
      parameters: model.parameters(),
      loss: () => crossEntropy(model.forward(x), y),
      final: () => {
        const trained = [...model.parameters(), ...model.namedBuffers().map(([, b]) => b)];
        model.eval();
        const logits = model.forward(x).detach();
        model.train();
        return [...trained, logits];
      },
    };
  });
}
