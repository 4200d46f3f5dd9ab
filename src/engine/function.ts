import { GradpathError } from '../util/errors.js';
import type { Tensor } from './tensor.js';
import { record } from './autograd.js';

/**
 * A custom differentiable op, as PyTorch's torch.autograd.Function: the caller computes the
 * output and hands in the backward rule as a closure. The one extension point of the op table
 * (derivatives.ts), for ops whose rule cannot live there: the rule of tensor parallelism's f and g
 * operators runs a collective on a communicator the engine knows nothing about (engine sits below
 * dist), so the closure carries it.
 *
 *   const y = applyFunction('CopyToTensorParallel', [x], x.detach(), (g) => [allReduced(g)]);
 *
 * `out` must be a fresh tensor (not one of the inputs: it gets the node); `backward` gets the
 * output's gradient and returns one gradient per input (null: none), shaped like the input. It
 * runs under noGrad, like every rule.
 */
export function applyFunction(name: string, inputs: Tensor[], out: Tensor, backward: (g: Tensor) => (Tensor | null)[]): Tensor {
  if (inputs.includes(out)) throw new GradpathError(`${name}: the output must be a new tensor, not one of the inputs (detach() it)`);
  return record(out, 'function', inputs, { name, backward });
}
