import type { GpuArray, KernelContext } from '../kernel-context.js';
import { F32_LOWEST, WG, grid, kernel, u32s } from './grid.js';

/**
 * Cross-entropy rows: one workgroup of 256 per row (a GPT-2 row is 50257 logits). Each row
 * writes its loss lse - x[target] (0 where ignored, so a plain sum over rows is the loss's
 * numerator) and, with a gradient, softmax - onehot: the target's exp is left out of the
 * running sum, so p_target - 1 = -others / sum stays exact where p rounds to 1, as the Backend
 * asks; ignored rows get zeros. Ignored rows still take part in the reductions (their barriers
 * must be reached by the whole workgroup). Without a gradient a one-element scratch stands in
 * for its binding.
 */
const SOURCE = kernel({
  uniforms: 'rows: u32, cols: u32, xOff: u32, tOff: u32, ignore: i32, lossOff: u32, gradOff: u32, hasGrad: u32',
  arrays: ['x', 't i32', 'rowLoss rw', 'grad rw'],
  reduce: true,
  body: /* wgsl */ `
  let row = group;
  if (row >= u.rows) { return; }
  let tgt = t[u.tOff + row];
  let skip = tgt == u.ignore;
  let y = u32(tgt);
  let xb = u.xOff + row * u.cols;
  let gb = u.gradOff + row * u.cols;
  var mx = ${F32_LOWEST};
  for (var j = lid; j < u.cols; j += ${WG}u) { mx = max(mx, x[xb + j]); }
  mx = reduceMax(mx, lid);
  var others = 0.0;
  for (var j = lid; j < u.cols; j += ${WG}u) {
    if (j != y) { others += exp(x[xb + j] - mx); }
  }
  others = reduceSum(others, lid);
  if (skip) {
    if (lid == 0u) { rowLoss[u.lossOff + row] = 0.0; }
    if (u.hasGrad == 1u) { for (var j = lid; j < u.cols; j += ${WG}u) { grad[gb + j] = 0.0; } }
    return;
  }
  let sum = others + exp(x[xb + y] - mx);
  if (lid == 0u) { rowLoss[u.lossOff + row] = mx + log(sum) - x[xb + y]; }
  if (u.hasGrad == 1u) {
    let inv = 1.0 / sum;
    for (var j = lid; j < u.cols; j += ${WG}u) { grad[gb + j] = select(exp(x[xb + j] - mx) * inv, -others * inv, j == y); }
  }`,
});

/**
 * The rows of Backend.crossEntropy: rowLoss (rows) gets each row's loss (0 where ignored) and,
 * when given, grad (rows, cols) softmax - onehot (zero rows where ignored). The loss is then the
 * sum of rowLoss over the count of rows kept (the backend's second pass).
 */
export function crossEntropyRows(ctx: KernelContext, x: GpuArray, rows: number, cols: number, t: GpuArray, ignore: number,
  rowLoss: GpuArray, grad: GpuArray | null): void {
  if (rows === 0) return;
  const g = grad ?? ctx.scratch(1);
  ctx.dispatch(SOURCE, [x, t, rowLoss, g],
    [...u32s(rows, cols, x.offset, t.offset), { i32: ignore }, ...u32s(rowLoss.offset, g.offset, grad ? 1 : 0)],
    grid(rows, ctx.limits));
}
