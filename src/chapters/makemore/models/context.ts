import { Tensor } from '../../../engine/tensor.js';
import { crossEntropy } from '../../../engine/ops/nn.js';

/**
 * For models that look at a fixed window (MLP, WaveNet): the n tokens ending at each position,
 * with the start marker 0 before the item begins, exactly the lecture's `context = [0] * n`.
 * idx (B, T) -> windows (B*T, n).
 */
export function contextWindows(idx: Tensor, n: number): Int32Array {
  const [B, T] = idx.shape;
  const x = idx.intValues();
  const out = new Int32Array(B * T * n);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < n; j++) {
        const s = t - (n - 1) + j;
        out[(b * T + t) * n + j] = s >= 0 ? x[b * T + s] : 0;
      }
    }
  }
  return out;
}

/**
 * Runs a window model on the positions that matter: with targets, only those not padded
 * with -1 (so padding costs nothing and BatchNorm statistics see only real examples, as in
 * the lecture); without targets, every position, reshaped back to (B, T, vocab).
 */
export function windowForward(
  idx: Tensor,
  targets: Tensor | undefined,
  n: number,
  logitsOf: (windows: Tensor) => Tensor,
): { logits: Tensor; loss: Tensor | null } {
  const [B, T] = idx.shape;
  const all = contextWindows(idx, n);
  if (!targets) {
    const logits = logitsOf(new Tensor(all, [B * T, n])); // (B*T, vocab)
    return { logits: logits.view(B, T, -1), loss: null };
  }
  const y = targets.intValues();
  const keep: number[] = [];
  for (let i = 0; i < y.length; i++) if (y[i] !== -1) keep.push(i);
  const windows = new Int32Array(keep.length * n), ys = new Int32Array(keep.length);
  keep.forEach((row, k) => {
    windows.set(all.subarray(row * n, (row + 1) * n), k * n);
    ys[k] = y[row];
  });
  const logits = logitsOf(new Tensor(windows, [keep.length, n])); // (N, vocab)
  return { logits, loss: crossEntropy(logits, new Tensor(ys, [keep.length])) };
}
