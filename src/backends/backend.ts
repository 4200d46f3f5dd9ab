/**
 * The primitive kernels a backend provides. Most are general (elementwise with broadcasting,
 * reductions along one axis, batched matmul, gather/scatter-add, strided copy); the rest are
 * fused kernels for what a training step spends its time in: softmax and log_softmax, attention's
 * scaled causal softmax and the softmax backward, layer norm and its backward, GELU and its
 * backward, cross-entropy with its gradient, the Adam(W) step and the sum of squares for gradient
 * clipping, and clamp and where (so no elementwise op needs a host loop). Everything else in the engine
 * (variance, batch norm, the other backward rules) is composed from these in TypeScript.
 *
 * Conventions: data is float32 in row-major typed arrays; a kernel reads its inputs and writes
 * every element of `out`, which never aliases an input. Shapes come as plain numbers so a
 * kernel needs no Tensor class: a backend is a table of loops.
 */

export type UnaryOp = 'neg' | 'exp' | 'log' | 'sqrt' | 'tanh' | 'sigmoid' | 'relu' | 'abs';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'pow' | 'max' | 'min' | 'eq' | 'gt' | 'lt' | 'ge';
export type ReduceOp = 'sum' | 'max' | 'min';

/** Scalars of one Adam step (bias corrections folded in by the optimizer). */
export interface AdamStep {
  beta1: number;
  beta2: number;
  eps: number;
  /** lr / (1 - beta1^t) */
  stepSize: number;
  /** 1 / sqrt(1 - beta2^t) */
  invSqrtC2: number;
  /** Decoupled weight decay factor: 1 - lr * wd for AdamW, 1 for Adam. */
  decay: number;
  /** L2 penalty added to the gradient: wd for Adam, 0 for AdamW. */
  l2: number;
}

/**
 * Where a 2-D sliding window (convolution or pooling) reads: input (N, C, H, W), a kh x kw window
 * with stride, zero padding and dilation, giving an OH x OW output per channel.
 */
export interface Window2d {
  N: number; C: number; H: number; W: number;
  kh: number; kw: number;
  sh: number; sw: number;
  ph: number; pw: number;
  dh: number; dw: number;
  OH: number; OW: number;
}

/**
 * The kernels of convolutional networks: im2col and its adjoint, pooling, batch norm over
 * channels. Optional for a backend: where one lacks them the reference kernels serve
 * (engine/ops/window.ts asks for them through windowKernels()).
 */
export interface WindowKernels {
  /**
   * Unfolds the windows of x (N, C, H, W) into columns: out is (N, C*kh*kw, OH*OW), row
   * (c*kh + i)*kw + j holding input (c, oh*sh - ph + i*dh, ow*sw - pw + j*dw), 0 in the padding.
   * A convolution is then one matmul per image (im2col).
   */
  im2col(x: Float32Array, w: Window2d, out: Float32Array): void;

  /** The adjoint of im2col: out (N, C, H, W) = the sum of every column entry at the input position it came from. */
  col2im(cols: Float32Array, w: Window2d, out: Float32Array): void;

  /**
   * Max over each window of x (N, C, H, W) (padding never wins): out (N, C, OH, OW), and in idx the
   * position h*W + w of the max within its channel's plane (first wins ties).
   */
  maxPool2d(x: Float32Array, w: Window2d, out: Float32Array, idx: Int32Array): void;

  /** The backward of maxPool2d: out (N, C, H, W) = g (N, C, OH, OW) routed to the positions in idx, summed. */
  maxPool2dBackward(g: Float32Array, idx: Int32Array, w: Window2d, out: Float32Array): void;

  /** Mean over each window of x, padding counted as zeros (PyTorch's count_include_pad): out (N, C, OH, OW). */
  avgPool2d(x: Float32Array, w: Window2d, out: Float32Array): void;

  /** The backward of avgPool2d: out (N, C, H, W). */
  avgPool2dBackward(g: Float32Array, w: Window2d, out: Float32Array): void;

  /**
   * Batch norm of x viewed as (N, C, L), per channel c: out = (x - mean[c]) * rstd[c] * weight[c] + bias[c].
   * With `batchStats` it computes mean and rstd = 1/sqrt(var + eps) (biased variance over N and L)
   * and writes them; otherwise it reads them (eval mode: from the running statistics).
   */
  batchNorm(x: Float32Array, N: number, C: number, L: number, weight: Float32Array | null, bias: Float32Array | null,
    eps: number, batchStats: boolean, mean: Float32Array, rstd: Float32Array, out: Float32Array): void;

  /**
   * Backward of batchNorm: writes dx, and dweight/dbias (when not null). With `batchStats` the
   * statistics depend on x and their gradient is included; otherwise they are constants.
   */
  batchNormBackward(g: Float32Array, x: Float32Array, N: number, C: number, L: number, weight: Float32Array | null,
    batchStats: boolean, mean: Float32Array, rstd: Float32Array, dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null): void;

}

export interface Backend extends Partial<WindowKernels> {
  readonly name: string;

  /** out[i] = op(x[i]). */
  unary(op: UnaryOp, x: Float32Array, out: Float32Array): void;

  /**
   * out = op(a, b) with broadcasting. `outShape` is the broadcast shape; `aStrides`/`bStrides`
   * give, for each output dim, the input's element stride (0 where the input is broadcast).
   * Exception to the no-aliasing rule: `out` may be `a` itself when a is dense (a += b in place).
   */
  binary(op: BinaryOp, a: Float32Array, aStrides: number[], b: Float32Array, bStrides: number[], out: Float32Array, outShape: number[]): void;

  /** Views x as (outer, dim, inner) and reduces over the middle axis: out is (outer, inner). */
  reduce(op: ReduceOp, x: Float32Array, outer: number, dim: number, inner: number, out: Float32Array): void;

  /** The sum of x[i]^2, accumulated in float64 (a gradient norm for clipping). */
  sumSquares(x: Float32Array): number;

  /** Index (0..dim-1) of the max over the middle axis of (outer, dim, inner); first wins ties. */
  argmax(x: Float32Array, outer: number, dim: number, inner: number, out: Int32Array): void;

  /**
   * Batched matrix multiply: for each b < batch, out[b] (m x n) = A[b] (m x k) @ B[b] (k x n).
   * A[b] starts at a[b * aBatchStride] and is stored (m, k) row-major, or (k, m) when transA;
   * B[b] starts at b[b * bBatchStride] and is stored (k, n), or (n, k) when transB.
   * A batch stride of 0 broadcasts one matrix over the batch. `out` is (batch, m, n) contiguous.
   */
  matmul(
    a: Float32Array, b: Float32Array, out: Float32Array,
    batch: number, m: number, k: number, n: number,
    transA: boolean, transB: boolean, aBatchStride: number, bBatchStride: number,
  ): void;

  /**
   * Gathers slices along the middle axis: x is (outer, dim, inner), out is (outer, idx.length, inner),
   * out[o, j, :] = x[o, idx[j], :]. (embedding and index_select are this with outer = 1.)
   */
  gather(x: Float32Array, outer: number, dim: number, inner: number, idx: Int32Array, out: Float32Array): void;

  /** The backward of gather: out (outer, dim, inner) += src (outer, idx.length, inner) scattered by idx. */
  scatterAdd(src: Float32Array, outer: number, dim: number, inner: number, idx: Int32Array, out: Float32Array): void;

  /** Copies a strided view (shape, strides, offset into x) into contiguous `out`. Works for any element type. */
  copyStrided<T extends Float32Array | Int32Array>(x: T, shape: number[], strides: number[], offset: number, out: T): void;

  /** Row-wise softmax of (rows, cols); `log` gives log_softmax. Fused for numerical stability and speed. */
  softmax(x: Float32Array, rows: number, cols: number, out: Float32Array, log: boolean): void;

  /**
   * Attention's softmax(scale * x) over the rows of (rows, cols). With queries > 0 the causal
   * mask applies: the rows are blocks of `queries` queries, the last of `cols` positions, so row r
   * sees entries 0 .. cols - queries + (r % queries) and the rest of its output is 0.
   */
  scaledSoftmax(x: Float32Array, rows: number, cols: number, scale: number, queries: number, out: Float32Array): void;

  /**
   * Fused layer norm over the last dim of (rows, cols): out = (x - mean) * rstd * weight + bias.
   * Writes mean and rstd (one per row) for the backward. weight/bias may be null.
   */
  layerNorm(x: Float32Array, weight: Float32Array | null, bias: Float32Array | null, rows: number, cols: number, eps: number,
    out: Float32Array, mean: Float32Array, rstd: Float32Array): void;

  /** Backward of layerNorm: writes dx, and adds into dweight/dbias (when not null). */
  layerNormBackward(g: Float32Array, x: Float32Array, weight: Float32Array | null, mean: Float32Array, rstd: Float32Array,
    rows: number, cols: number, dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null): void;

  /**
   * One Adam(W) step in place over a parameter p with gradient g and moments m, v (same length):
   * g' = g + l2 p; m = b1 m + (1 - b1) g'; v = b2 v + (1 - b2) g'^2;
   * p = p decay - stepSize m / (sqrt(v) invSqrtC2 + eps).
   */
  adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, s: AdamStep): void;

  /** GELU (tanh approximation) over x into out, also writing each tanh value into th for the backward. */
  geluForward(x: Float32Array, out: Float32Array, th: Float32Array): void;

  /** dx = g * gelu'(x), with th the tanh values geluForward wrote. */
  geluBackward(g: Float32Array, x: Float32Array, th: Float32Array, dx: Float32Array): void;

  /**
   * Cross-entropy of the rows of x (rows, cols) against targets t, skipping rows whose target is
   * `ignore`: loss[0] = the mean over the other rows of logsumexp(x_i) - x_i[t_i] (NaN when every
   * row is ignored). When grad is given, it gets every element of softmax(x_i) - onehot(t_i) (the
   * gradient of the summed loss; p_target - 1 is computed from the other classes' sum, so it stays
   * exact where p rounds to 1), and zero rows for ignored targets. The per-row results stay inside
   * the backend (a device backend keeps them on the device: nothing is read back).
   */
  crossEntropy(x: Float32Array, rows: number, cols: number, t: Int32Array, ignore: number, loss: Float32Array, grad: Float32Array | null): void;

  /**
   * The backward of a row softmax (and of attention's scaled one) over (rows, cols), from its
   * output y and the output's gradient g: out = scale * y * (g - sum_j g_j y_j), row by row.
   */
  softmaxBackward(g: Float32Array, y: Float32Array, rows: number, cols: number, scale: number, out: Float32Array): void;

  /** out[i] = x[i] clamped to [min, max] (either may be infinite); NaN stays NaN. */
  clamp(x: Float32Array, min: number, max: number, out: Float32Array): void;

  /**
   * out = cond != 0 ? a : b, broadcast like binary: each operand read through its strides for
   * each output dim (0 where broadcast). NaN in cond counts as true (nonzero).
   */
  where(cond: Float32Array, condStrides: number[], a: Float32Array, aStrides: number[], b: Float32Array, bStrides: number[],
    out: Float32Array, outShape: number[]): void;

  /**
   * Optional: n zero floats in the memory the backend's kernels work on (the wasm backend's
   * shared memory), so they use it in place instead of copying in and out; null when that
   * memory is full. The storage is recycled once the array is garbage-collected, so a
   * subarray of it must not outlive it.
   */
  allocFloats?(n: number): Float32Array | null;

  /**
   * Optional, for a backend whose kernels write device memory (webgpu): makes an array's host
   * copy current before the host reads or writes it (reading the device's copy back unless
   * `overwrite`: the caller writes every element of a, which is its whole buffer). The engine calls
   * it, through syncHost (engine/device.ts), before every host access to storage a kernel may have
   * written; backends whose kernels work on the host arrays leave it out.
   */
  sync?(a: Float32Array | Int32Array | Float64Array, overwrite?: boolean): void;

  /**
   * Optional, a linear layer's forward in one pass: out (rows, n) = x (rows, k) @ w^T + bias,
   * w (n, k) row-major, bias (n). Backends without it use matmul and a broadcast add.
   */
  linear?(x: Float32Array, w: Float32Array, bias: Float32Array, out: Float32Array, rows: number, k: number, n: number): void;

  /**
   * Optional, fused multi-head self-attention (the native backend has it; others compose it from
   * matmul and scaledSoftmax, which is the same math: see reference/attention.ts, its oracle).
   * qkv is (B, T, 3C), each token's q, k and v side by side, each nh heads of hs (C = nh * hs).
   * Writes y (B, T, C), head h in columns h*hs..(h+1)*hs, and att (B, nh, T, T), the softmax of
   * scale * q k^T (causal: row t sees keys 0..t, the rest 0).
   */
  selfAttention?(qkv: Float32Array, B: number, T: number, nh: number, hs: number, scale: number, causal: boolean,
    y: Float32Array, att: Float32Array): void;

  /** The backward of selfAttention: writes every element of dqkv (B, T, 3C) from dy (B, T, C), qkv and att. */
  selfAttentionBackward?(dy: Float32Array, qkv: Float32Array, att: Float32Array, B: number, T: number, nh: number, hs: number,
    scale: number, dqkv: Float32Array): void;

  /**
   * Optional, the MLP's first linear layer and its GELU in one call: pre (rows, n) = x (rows, k) @ w^T (+ bias, when not null),
   * out = gelu(pre) with th its tanh values, as geluForward writes them (kept with pre for the backward).
   * Backends without it use linear (or matmul and add) and geluForward: backends/reference/fused.ts, its oracle.
   */
  linearGelu?(x: Float32Array, w: Float32Array, bias: Float32Array | null, pre: Float32Array, out: Float32Array, th: Float32Array,
    rows: number, k: number, n: number): void;

  /**
   * Optional, the backward of GELU and of the bias before it, in one pass: dpre = g * gelu'(pre) (rows, n)
   * and, when dbias is not null, dbias (n) = the sum of dpre's rows (written, not added).
   */
  biasGeluBackward?(g: Float32Array, pre: Float32Array, th: Float32Array, rows: number, n: number, dpre: Float32Array,
    dbias: Float32Array | null): void;

  /**
   * Optional, the residual add and the layer norm after it in one pass: sum = x + y and out = layerNorm(sum)
   * over (rows, cols), mean and rstd as layerNorm writes them. Neither output aliases an input.
   */
  addLayerNorm?(x: Float32Array, y: Float32Array, weight: Float32Array | null, bias: Float32Array | null, rows: number,
    cols: number, eps: number, sum: Float32Array, out: Float32Array, mean: Float32Array, rstd: Float32Array): void;

  /**
   * Optional, one Adam(W) step over many parameters at once (the same update as adam on each
   * tensor i with steps[i]): one call per optimizer step instead of one per tensor.
   */
  adamMany?(p: Float32Array[], g: Float32Array[], m: Float32Array[], v: Float32Array[], steps: AdamStep[]): void;

  /**
   * Optional, the sum of squares over many arrays (a global gradient norm): one number for all of
   * them, so a device backend reads back one float instead of one per array. Backends without it
   * add sumSquares of each (backends/reference/fused.ts).
   */
  sumSquaresMany?(xs: Float32Array[]): number;

  /**
   * Optional, batch norm's running statistics updated in place from a training batch's mean and
   * rstd (batchNorm's outputs), per channel c of C, as PyTorch (momentum, unbiased variance over
   * `count` values): runningMean = (1 - momentum) * runningMean + momentum * mean,
   * runningVar = (1 - momentum) * runningVar + momentum * (1 / rstd^2 - eps) * count / (count - 1).
   * Backends without it use the reference's (backends/reference/batchnorm.ts).
   */
  batchNormRunningStats?(mean: Float32Array, rstd: Float32Array, C: number, count: number, eps: number, momentum: number,
    runningMean: Float32Array, runningVar: Float32Array): void;
}
