import type { Window2d } from '../../backends/backend.js';
import { GradpathError } from '../../util/errors.js';
import { isGradEnabled, record } from '../autograd.js';
import { getBackend } from '../device.js';
import { shapeStr } from '../shape.js';
import { Tensor } from '../tensor.js';
import { floatsUninit } from '../pool.js';
import { window2d, windowKernels, type Pair } from './window.js';

export interface Conv2dOptions { stride?: Pair; padding?: Pair; dilation?: Pair; groups?: number }

/**
 * 2-D convolution (cross-correlation, as torch.nn.functional.conv2d):
 * x (N, C, H, W), weight (O, C/groups, kh, kw), bias (O) -> (N, O, OH, OW).
 *
 * By im2col: the input's windows are unfolded into columns (N, C*kh*kw, OH*OW), and each
 * group's output is one batched matmul weight (O/g, K) @ cols (K, OH*OW), K = C/g*kh*kw,
 * which the backend's fast matmul runs. A direct loop does the same arithmetic without the
 * column copy but cannot use the matmul kernel; measured in docs/vision.md (conv2d section).
 * The columns are kept for the weight's gradient.
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, opts: Conv2dOptions = {}): Tensor {
  const groups = opts.groups ?? 1;
  if (weight.ndim !== 4) throw new GradpathError(`conv2d: weight must be (out_channels, in_channels/groups, kh, kw); got ${shapeStr(weight.shape)}`);
  const [O, Cg, kh, kw] = weight.shape;
  const win = window2d('conv2d', x, [kh, kw], opts.stride ?? 1, opts.padding ?? 0, opts.dilation ?? 1);
  if (!Number.isInteger(groups) || groups < 1 || win.C % groups !== 0 || O % groups !== 0) {
    throw new GradpathError(`conv2d: groups = ${groups} must divide both the ${win.C} input and the ${O} output channels`);
  }
  if (Cg !== win.C / groups) throw new GradpathError(`conv2d: weight ${shapeStr(weight.shape)} expects ${Cg * groups} input channels (groups ${groups}); the input ${shapeStr(x.shape)} has ${win.C}`);
  if (bias && (bias.ndim !== 1 || bias.shape[0] !== O)) throw new GradpathError(`conv2d: bias must be (${O}); got ${shapeStr(bias.shape)}`);
  const { N, OH, OW } = win;
  const L = OH * OW, K = Cg * kh * kw;
  const cols = floatsUninit(N * win.C * kh * kw * L);
  windowKernels().im2col(x.kernelFloats(), win, cols);
  const out = new Tensor(floatsUninit(N * O * L), [N, O, OH, OW]);
  const od = out.storage as Float32Array;
  groupedMatmul(weight.kernelFloats(), cols, od, { N, groups, m: O / groups, k: K, n: L }, 'forward');
  // the bias as one broadcast add in place (on a device backend od stays on the device)
  if (bias) getBackend().binary('add', od, [O * L, L, 1], bias.kernelFloats(), [0, 1, 0], od, [N, O, L]);
  const keepCols = weight.requiresGrad && isGradEnabled();
  return record(out, 'conv2d', bias ? [x, weight, bias] : [x, weight], { win, groups, cols: keepCols ? cols : null });
}

interface GroupDims { N: number; groups: number; m: number; k: number; n: number }

/**
 * The three products of a grouped convolution, per group g (rows g*m.. of the output, g*k.. of
 * the columns), batched over the N images with the weight broadcast:
 *   forward: out[n] (m, L) = W_g (m, K) @ cols[n] (K, L)
 *   dcols:   dcols[n] (K, L) = W_g^T @ g[n] (m, L)
 *   dweight: dW_g (m, K) = sum over n of g[n] (m, L) @ cols[n]^T
 * With one group the backend writes straight into the result; with more, through a scratch
 * buffer whose rows are then placed (a matmul's output is contiguous per batch).
 */
function groupedMatmul(w: Float32Array, a: Float32Array, out: Float32Array, d: GroupDims, what: 'forward' | 'dcols'): void {
  const { N, groups, m, k, n } = d;
  const bk = getBackend();
  // forward: a = cols (N, G*k, n) -> out (N, G*m, n); dcols: a = g (N, G*m, n) -> out (N, G*k, n)
  const [rows, inner] = what === 'forward' ? [m, k] : [k, m];
  if (groups === 1) {
    bk.matmul(w, a, out, N, rows, inner, n, what === 'dcols', false, 0, inner * n);
    return;
  }
  const scratch = floatsUninit(N * rows * n);
  for (let g = 0; g < groups; g++) {
    bk.matmul(w.subarray(g * m * k), a.subarray(g * inner * n), scratch, N, rows, inner, n, what === 'dcols', false, 0, groups * inner * n);
    for (let b = 0; b < N; b++) bk.copyStrided(scratch, [rows * n], [1], b * rows * n, out.subarray((b * groups + g) * rows * n, (b * groups + g + 1) * rows * n));
  }
}

/** The gradients of conv2d for the inputs that need one (null for the others). */
export function conv2dBackward(g: Tensor, inputs: Tensor[], win: Window2d, groups: number, cols: Float32Array | null): (Tensor | null)[] {
  const [x, weight, bias] = inputs;
  const [O, Cg, kh, kw] = weight.shape;
  const { N, C, OH, OW } = win;
  const L = OH * OW, K = Cg * kh * kw, m = O / groups;
  const gv = g.kernelFloats(); // (N, O, L)
  const wv = weight.kernelFloats();
  let dx: Tensor | null = null, dw: Tensor | null = null, db: Tensor | null = null;
  if (x.requiresGrad) {
    const dcols = floatsUninit(N * C * kh * kw * L);
    groupedMatmul(wv, gv, dcols, { N, groups, m, k: K, n: L }, 'dcols');
    const d = floatsUninit(x.numel());
    windowKernels().col2im(dcols, win, d);
    dx = new Tensor(d, [...x.shape]);
  }
  if (weight.requiresGrad) {
    // per image g[n] (m, L) @ cols[n]^T (L, K), then summed over the images
    const per = floatsUninit(N * O * K), bk = getBackend();
    for (let gi = 0; gi < groups; gi++) {
      bk.matmul(gv.subarray(gi * m * L), cols!.subarray(gi * K * L), per.subarray(gi * N * m * K), N, m, L, K, false, true, O * L, C * kh * kw * L);
    }
    // per is (groups, N, m, K): sum over N for each group
    const d = floatsUninit(O * K);
    for (let gi = 0; gi < groups; gi++) bk.reduce('sum', per.subarray(gi * N * m * K), 1, N, m * K, d.subarray(gi * m * K));
    dw = new Tensor(d, [O, Cg, kh, kw]);
  }
  if (bias?.requiresGrad) {
    // the sum of g over each image's positions (N, O), then over the images (O)
    const bk = getBackend(), perImage = floatsUninit(N * O), d = floatsUninit(O);
    bk.reduce('sum', gv, N * O, L, 1, perImage);
    bk.reduce('sum', perImage, 1, N, O, d);
    db = new Tensor(d, [O]);
  }
  return bias ? [dx, dw, db] : [dx, dw];
}
