import { GradpathError } from '../../util/errors.js';
import { record } from '../autograd.js';
import { getBackend } from '../device.js';
import { broadcastShapes, numel, shapeStr } from '../shape.js';
import { Tensor } from '../tensor.js';
import { contiguous } from './view.js';
import { floatsUninit } from '../pool.js';

/**
 * One matrix operand as the backend sees it: contiguous storage, possibly transposed
 * (so x.T costs nothing), and a batch stride (0 when one matrix serves the whole batch).
 */
interface Operand { data: Float32Array; trans: boolean; batchStride: number }

/** The last two dims of x as a (rows, cols) matrix without copying, when its layout allows. */
function operand(x: Tensor, batch: number[]): Operand {
  const nd = x.ndim;
  const r = x.shape[nd - 2], c = x.shape[nd - 1];
  const sr = x.strides[nd - 2], sc = x.strides[nd - 1];
  const mat = r * c;
  const batchDims = x.shape.slice(0, nd - 2);
  // batch dims must be either absent/broadcast (stride 0 everywhere) or densely packed
  const xBatch = numel(batchDims);
  const broadcastBatch = xBatch === 1 && numel(batch) > 1;
  let batchOk = true;
  if (!broadcastBatch) {
    let expect = mat;
    for (let i = nd - 3; i >= 0; i--) {
      if (x.shape[i] !== 1 && x.strides[i] !== expect) batchOk = false;
      expect *= x.shape[i];
    }
    if (batchDims.length !== batch.length || batchDims.some((d, i) => d !== batch[i])) batchOk = false;
  }
  const rowMajor = (sc === 1 || c === 1) && (sr === c || r === 1);
  const colMajor = (sr === 1 || r === 1) && (sc === r || c === 1) && !rowMajor;
  if (batchOk && (rowMajor || colMajor)) {
    return { data: x.storage.subarray(x.offset) as Float32Array, trans: colMajor, batchStride: broadcastBatch ? 0 : mat };
  }
  const full = contiguous(x.expand([...batch, r, c]));
  return { data: full.storage as Float32Array, trans: false, batchStride: mat };
}

/**
 * matmul with PyTorch's semantics (torch.matmul):
 *   (k) @ (k) -> () the dot product;
 *   (k) @ (..., k, n) -> (..., n): a 1 is put before a's dim, and removed from the result;
 *   (..., m, k) @ (k) -> (..., m): a 1 is put after b's dim, and removed from the result;
 *   (..., m, k) @ (..., k, n) -> (..., m, n), the batch dims broadcast: (2, 1, 3, 4) @ (5, 4, 6) -> (2, 5, 3, 6).
 * The 1-D cases are views around the N-D product, so their gradients come from the views' rules;
 * a broadcast batch dim's gradient is summed (the matmul rule's unbroadcast).
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.ndim === 0 || b.ndim === 0) throw new GradpathError(`matmul: both operands need at least 1 dim; got ${shapeStr(a.shape)} and ${shapeStr(b.shape)}`);
  if (a.dtype !== 'float32' || b.dtype !== 'float32') throw new GradpathError('matmul: operands must be float32');
  if (a.ndim === 1 && b.ndim === 1) {
    if (a.shape[0] !== b.shape[0]) throw new GradpathError(`matmul: cannot take the dot product of ${shapeStr(a.shape)} and ${shapeStr(b.shape)}: sizes ${a.shape[0]} and ${b.shape[0]} differ`);
    return matmul(a.unsqueeze(0), b.unsqueeze(1)).reshape([]); // (1, k) @ (k, 1) -> ()
  }
  if (a.ndim === 1) return matmul(a.unsqueeze(0), b).squeeze(-2);
  if (b.ndim === 1) return matmul(a, b.unsqueeze(1)).squeeze(-1);
  const m = a.shape[a.ndim - 2], k = a.shape[a.ndim - 1];
  const k2 = b.shape[b.ndim - 2], n = b.shape[b.ndim - 1];
  if (k !== k2) {
    throw new GradpathError(`matmul: cannot multiply ${shapeStr(a.shape)} by ${shapeStr(b.shape)}: inner dimensions ${k} and ${k2} differ`);
  }
  // (B, T, C) @ (C, D): fold the batch into rows, one big matmul is faster than B small ones
  if (b.ndim === 2 && a.ndim > 2 && a.isContiguous()) {
    const flat = a.reshape(-1, k);
    return matmul(flat, b).reshape(...a.shape.slice(0, -1), n);
  }
  const batch = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  const nb = numel(batch);
  const A = operand(a, batch), B = operand(b, batch);
  const out = new Tensor(floatsUninit(nb * m * n), [...batch, m, n]);
  getBackend().matmul(A.data, B.data, out.storage as Float32Array, nb, m, k, n, A.trans, B.trans, A.batchStride, B.batchStride);
  return record(out, 'matmul', [a, b]);
}
