/**
 * The wasm Adam step: same signature as Backend.adam. When p, g, m and v all lie in the wasm
 * memory (a training run's parameters, gradients and moments), the SIMD kernel (kernels/adam.ts)
 * updates them in place, split across the worker pool for large parameters. Otherwise chunks
 * small enough to stay in cache are copied in, updated, and copied back. The JS loop is bound by
 * float64 sqrt and division; four float32 lanes at a time leave mostly memory traffic.
 */
import type { AdamStep } from '../backend.js';
import { streamChunks } from './chunks.js';
import { addressOf, needState, runOnAllThreads } from './state.js';
import { ELEMENT_UNIT, F_B1, F_B2, F_DECAY, F_EPS, F_INVC2, F_L2, F_OB1, F_OB2, F_STEP, J_G, J_LEN, J_MOM, J_P, J_UNIT, J_VAR,
  KIND_ADAM, MIN_THREADED_ELEMENTS, runAdamUnits } from './shared.js';

/** Elements per chunk: 4 arrays x 64K floats = 1 MiB, warm in L2 between copy-in, kernel and copy-out. */
const CHUNK = 65536;

export function adam(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, s: AdamStep): void {
  const st = needState();
  // 1 - beta in float64 here: 1 - f32(0.999) in the kernel would be off by 1e-5 relative
  const ob1 = 1 - s.beta1, ob2 = 1 - s.beta2;
  const [pa, ga, ma, va] = [p, g, m, v].map(addressOf);
  if (pa < 0 || ga < 0 || ma < 0 || va < 0) {
    const arrays = [{ data: p, in: true, out: true }, { data: g, in: true }, { data: m, in: true, out: true }, { data: v, in: true, out: true }];
    streamChunks(p.length, CHUNK, arrays, (state, [pp, gp, mp, vp], len) =>
      state.adam(pp, gp, mp, vp, len, s.beta1, s.beta2, ob1, ob2, s.stepSize, s.invSqrtC2, s.eps, s.decay, s.l2));
    return;
  }
  if (st.threads === 1 || p.length < MIN_THREADED_ELEMENTS) {
    st.adam(pa, ga, ma, va, p.length, s.beta1, s.beta2, ob1, ob2, s.stepSize, s.invSqrtC2, s.eps, s.decay, s.l2);
    return;
  }
  const c = st.ctrl, f = st.ctrlF64;
  c[J_P] = pa; c[J_G] = ga; c[J_MOM] = ma; c[J_VAR] = va; c[J_LEN] = p.length; c[J_UNIT] = ELEMENT_UNIT;
  f[F_B1] = s.beta1; f[F_B2] = s.beta2; f[F_OB1] = ob1; f[F_OB2] = ob2; f[F_STEP] = s.stepSize;
  f[F_INVC2] = s.invSqrtC2; f[F_EPS] = s.eps; f[F_DECAY] = s.decay; f[F_L2] = s.l2;
  runOnAllThreads(st, KIND_ADAM, () => runAdamUnits(st.adam, c, f));
}
