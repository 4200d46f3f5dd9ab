import { Tensor } from './tensor.js';
import { noGrad } from './autograd.js';

/**
 * Compares autograd's gradients with central finite differences. `fn` maps inputs to any
 * tensor; it is reduced to a scalar with fixed random weights so every output element matters.
 * Returns the worst error relative to max(1, |numeric|); float32 needs eps around 1e-2.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], opts: { eps?: number; seed?: number } = {}): { maxError: number; worst: string } {
  const eps = opts.eps ?? 1e-2;
  const probe = fn(...inputs);
  let s = opts.seed ?? 7;
  const weights = new Float32Array(probe.numel()).map(() => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return 0.5 + s / 4294967296;
  });
  const w = new Tensor(weights, [...probe.shape]);
  const scalar = (...xs: Tensor[]) => fn(...xs).mul(w).sum();
  for (const x of inputs) x.zeroGrad();
  scalar(...inputs).backward();
  let maxError = 0, worst = '';
  inputs.forEach((x, k) => {
    if (!x.requiresGrad) return;
    const analytic = x.grad ? x.grad.floatValues() : new Float32Array(x.numel());
    const data = x.data as Float32Array;
    for (let i = 0; i < x.numel(); i++) {
      const old = data[i];
      data[i] = old + eps;
      const plus = noGrad(() => scalar(...inputs).item());
      data[i] = old - eps;
      const minus = noGrad(() => scalar(...inputs).item());
      data[i] = old;
      const numeric = (plus - minus) / (2 * eps);
      const err = Math.abs(numeric - analytic[i]) / Math.max(1, Math.abs(numeric));
      if (err > maxError) {
        maxError = err;
        worst = `input ${k} element ${i}: autograd ${analytic[i]}, numeric ${numeric}`;
      }
    }
  });
  return { maxError, worst };
}
