import type { GpuArray, KernelContext } from '../kernel-context.js';
import { WG, ceilDiv, grid, kernel, u32s } from './grid.js';

/**
 * dst[j] = (or +=) the sum over c < chunks of src[c * cols + j], one invocation per column:
 * the last step of the reductions down columns (layer norm's dweight / dbias over rows, batch
 * norm's per-channel sums), done as partial sums per chunk of rows first so no invocation walks
 * every row. With chunks = 1 it is a copy.
 */
const SOURCE = kernel({
  uniforms: 'cols: u32, chunks: u32, srcOff: u32, dstOff: u32, accumulate: u32',
  arrays: ['src', 'dst rw'],
  body: /* wgsl */ `
  let j = group * ${WG}u + lid;
  if (j >= u.cols) { return; }
  var s = 0.0;
  for (var c = 0u; c < u.chunks; c++) { s += src[u.srcOff + c * u.cols + j]; }
  if (u.accumulate == 1u) { s += dst[u.dstOff + j]; }
  dst[u.dstOff + j] = s;`,
});

/** Sums `chunks` rows of `cols` starting at src.offset into dst (dst.length = cols), adding to it with `accumulate`. */
export function sumChunks(ctx: KernelContext, src: GpuArray, chunks: number, cols: number, dst: GpuArray, accumulate: boolean): void {
  if (cols === 0) return;
  ctx.dispatch(SOURCE, [src, dst], u32s(cols, chunks, src.offset, dst.offset, accumulate ? 1 : 0), grid(ceilDiv(cols, WG), ctx.limits));
}
