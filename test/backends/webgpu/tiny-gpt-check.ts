/**
 * The engine-level check of the webgpu backend, shared by Node (engine.test.ts) and a browser
 * worker (engine-browser-worker.ts): a tiny GPT trains a few AdamW steps with clipping in a
 * buffer pool, as the training loop runs them, on a backend and on the reference; losses and final
 * parameters must agree within float32 tolerance. It fails if any host access to storage misses
 * the sync (a stale read changes the numbers). No node: imports, so a browser can run it.
 */
import { Tensor, Generator } from '../../../src/engine/index.js';
import type { Backend } from '../../../src/backends/backend.js';
import type { WebGpuBackend } from '../../../src/backends/webgpu/backend.js';
import { withBackend } from '../../../src/engine/device.js';
import { GPT } from '../../../src/models/gpt.js';
import { AdamW, clipGradNorm } from '../../../src/optim/index.js';
import { BufferPool } from '../../../src/engine/pool.js';

export interface TinyGptRun {
  losses: number[];
  params: Float32Array[];
  /** On webgpu, what each step read back from the device (the bridge's counters); empty elsewhere. */
  reads: { count: number; bytes: number }[];
}

/** A model to train in trainTinyModel: its parameters, one step's loss, and what to compare after training (the parameters, buffers...). */
export interface TinyModel {
  parameters: Tensor[];
  loss(): Tensor;
  final(): Tensor[];
}

/**
 * Losses of `steps` AdamW steps (with clipping, in a buffer pool, as the training loop runs them),
 * the final tensors the model names and each step's read-backs (on webgpu).
 */
export function trainTinyModel(backend: Backend, steps: number, build: () => TinyModel): TinyGptRun {
  const counters = (backend as Partial<WebGpuBackend>).bridge?.counters;
  return withBackend(backend, () => {
    const model = build();
    const opt = new AdamW(model.parameters, { lr: 3e-3, weightDecay: 0.1 });
    const pool = new BufferPool();
    const losses: number[] = [], reads: TinyGptRun['reads'] = [];
    for (let s = 0; s < steps; s++) {
      const before = counters && { ...counters };
      pool.run(() => {
        const loss = model.loss();
        opt.zeroGrad();
        loss.backward();
        clipGradNorm(model.parameters, 0.5);
        opt.step();
        losses.push(loss.item());
      });
      pool.reset();
      if (counters && before) reads.push({ count: counters.reads - before.reads, bytes: counters.readBytes - before.readBytes });
    }
    return { losses, params: model.final().map((p) => p.floatValues().slice()), reads };
  });
}

/** trainTinyModel on a tiny GPT. */
export function trainTinyGpt(backend: Backend, steps: number, dropout = 0): TinyGptRun {
  return trainTinyModel(backend, steps, () => {
    const model = new GPT({ vocabSize: 11, blockSize: 6, nLayer: 2, nHead: 2, nEmbd: 16, dropout }, new Generator(3));
    const idx = new Tensor(Int32Array.from({ length: 12 }, (_, i) => (i * 7) % 11), [2, 6]); // one batch: the loss must fall
    const targets = new Tensor(Int32Array.from({ length: 12 }, (_, i) => (i * 5) % 11), [2, 6]);
    return { parameters: model.parameters(), loss: () => model.forward(idx, targets).loss!, final: () => model.parameters() };
  });
}

/** Where `got` differs from the reference run `want` by `tol` or more (empty when they agree). */
export function tinyGptDifferences(want: TinyGptRun, got: TinyGptRun, tol = 1e-4): string[] {
  const problems: string[] = [];
  if (!(want.losses[want.losses.length - 1] < want.losses[0])) problems.push(`the reference run does not learn (${want.losses.join(', ')}): not a meaningful comparison`);
  want.losses.forEach((l, s) => {
    if (!(Math.abs(got.losses[s] - l) < tol)) problems.push(`step ${s}: loss ${got.losses[s]} vs reference ${l}`);
  });
  want.params.forEach((w, i) => {
    let worst = 0;
    for (let j = 0; j < w.length; j++) worst = Math.max(worst, Math.abs(w[j] - got.params[i][j]));
    if (!(worst < tol)) problems.push(`parameter ${i}: largest difference ${worst}`);
  });
  return problems;
}
