import type { GpuArray, KernelContext } from '../kernel-context.js';
import { F32_LOWEST, WG, grid, kernel, u32s } from './grid.js';

/**
 * Cross-entropy rows: one workgroup of 256 per row (a GPT-2 row is 50257 logits). The target's
 * exp is left out of the running sum, so p_target - 1 = -others / sum stays exact where p rounds
 * to 1, as the Backend asks. Ignored rows still take part in the reductions (their barriers
 * must be reached by the whole workgroup) but write nothing. Without probs, `x` and a one-element
 * scratch stand in for the probs and pm1 bindings.
 */
const SOURCE = kernel({
  uniforms: 'rows: u32, cols: u32, xOff: u32, tOff: u32, ignore: i32, lseOff: u32, probsOff: u32, pm1Off: u32, hasProbs: u32',
  arrays: ['x', 't i32', 'lse rw', 'probs rw', 'pm1 rw'],
  reduce: true,
  body: /* wgsl */ `
  let row = group;
  if (row >= u.rows) { return; }
  let tgt = t[u.tOff + row];
  let skip = tgt == u.ignore;
  let y = u32(tgt);
  let xb = u.xOff + row * u.cols;
  var mx = ${F32_LOWEST};
  for (var j = lid; j < u.cols; j += ${WG}u) { mx = max(mx, x[xb + j]); }
  mx = reduceMax(mx, lid);
  var others = 0.0;
  for (var j = lid; j < u.cols; j += ${WG}u) {
    if (j != y) { others += exp(x[xb + j] - mx); }
  }
  others = reduceSum(others, lid);
  if (skip) { return; }
  let sum = others + exp(x[xb + y] - mx);
  if (lid == 0u) {
    lse[u.lseOff + row] = mx + log(sum);
    if (u.hasProbs == 1u) { pm1[u.pm1Off + row] = -others / sum; }
  }
  if (u.hasProbs == 1u) {
    let inv = 1.0 / sum;
    let pb = u.probsOff + row * u.cols;
    for (var j = lid; j < u.cols; j += ${WG}u) { probs[pb + j] = exp(x[xb + j] - mx) * inv; }
  }`,
});

/**
 * Backend.crossEntropyRows: lse per row and, when probs is given, the row's softmax and
 * p_target - 1 in pm1 (f32 arrays where the Backend has float64); ignored rows untouched.
 */
export function crossEntropyRows(ctx: KernelContext, x: GpuArray, rows: number, cols: number, t: GpuArray, ignore: number,
  lse: GpuArray, probs: GpuArray | null, pm1: GpuArray | null): void {
  if (rows === 0) return;
  if ((probs === null) !== (pm1 === null)) throw new Error('webgpu crossEntropyRows: probs and pm1 come together');
  const p = probs ?? ctx.scratch(1), q = pm1 ?? ctx.scratch(1);
  ctx.dispatch(SOURCE, [x, t, lse, p, q],
    [...u32s(rows, cols, x.offset, t.offset), { i32: ignore }, ...u32s(lse.offset, p.offset, q.offset, probs ? 1 : 0)],
    grid(rows, ctx.limits));
}
