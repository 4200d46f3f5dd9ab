import { GradpathError } from '../../util/errors.js';
import { Tensor } from '../../engine/tensor.js';
import { cat } from '../../engine/ops/view.js';

/**
 * Rotary position embeddings (Su et al., RoFormer; used by LLaMA and DeepSeek). Instead of adding
 * a position vector, each pair of channels of q and k is rotated by an angle proportional to the
 * position: pair i at position m turns by m * base^(-2i/d). A rotation keeps norms, and
 * q_m . k_n then depends only on the offset m - n, which is what attention should care about.
 *
 * Pairing: channel i goes with channel i + d/2 ("rotate half", as GPT-NeoX and Hugging Face's
 * LLaMA), which needs only two narrows instead of an interleaving reshape.
 */
export class Rope {
  /** cos and sin of every angle: (maxPos, d/2) each. */
  readonly cos: Tensor;
  readonly sin: Tensor;
  constructor(readonly dim: number, readonly maxPos: number, readonly base = 10000) {
    if (dim % 2 !== 0 || dim < 2) throw new GradpathError(`rope: the rotated head dimension must be even and positive; got ${dim}`);
    const half = dim / 2;
    const c = new Float32Array(maxPos * half), s = new Float32Array(maxPos * half);
    for (let m = 0; m < maxPos; m++) {
      for (let i = 0; i < half; i++) {
        const angle = m * Math.pow(base, (-2 * i) / dim);
        c[m * half + i] = Math.cos(angle);
        s[m * half + i] = Math.sin(angle);
      }
    }
    this.cos = new Tensor(c, [maxPos, half]);
    this.sin = new Tensor(s, [maxPos, half]);
  }

  /** Rotates x (..., T, d) whose first token is at position `start`. */
  apply(x: Tensor, start = 0): Tensor {
    const T = x.shape[x.ndim - 2], half = this.dim / 2;
    if (x.shape[x.ndim - 1] !== this.dim) throw new GradpathError(`rope: expected last dim ${this.dim}; got ${x.shape[x.ndim - 1]}`);
    if (start + T > this.maxPos) throw new GradpathError(`rope: position ${start + T - 1} is past the table (${this.maxPos} positions)`);
    const cos = this.cos.narrow(0, start, T), sin = this.sin.narrow(0, start, T); // (T, d/2), broadcast over (...)
    const x1 = x.narrow(-1, 0, half), x2 = x.narrow(-1, half, half); // (..., T, d/2)
    // [x1, x2] -> [x1 cos - x2 sin, x2 cos + x1 sin]: a 2-D rotation of each (x1_i, x2_i) pair
    return cat([x1.mul(cos).sub(x2.mul(sin)), x2.mul(cos).add(x1.mul(sin))], -1); // (..., T, d)
  }
}
