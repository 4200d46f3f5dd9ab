/**
 * The wasm window kernels (kernels/window.ts): im2col, col2im, max and average pooling with their
 * backward passes, batch norm over channels, with the WindowKernels' signatures. Operands that lie
 * in the wasm memory (a pooled training step's activations and gradients) are used in place;
 * ordinary arrays are copied into scratch and results copied back. When the memory has no room
 * the reference kernel runs instead. im2col, col2im and the pools give the reference's results
 * bit for bit; batch norm rounds its per-element pass in float32 (the reference in float64).
 * Single-threaded: these passes are memory-bound next to the matmul that follows them.
 */
import type { Window2d } from '../backend.js';
import { referenceWindowKernels as ref } from '../reference/index.js';
import { GradpathError } from '../../util/errors.js';
import { addressOf, memoryFloats, needState, tryScratch } from './state.js';

/** kernels/window.ts (addresses are bytes, 0 for an absent optional array; sizes are elements). */
type Geometry = [N: number, C: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number, ph: number, pw: number,
  dh: number, dw: number, OH: number, OW: number];
export interface WindowKernelExports {
  im2col(x: number, ...rest: [...Geometry, number]): void;
  col2im(cols: number, ...rest: [...Geometry, number]): void;
  maxPool2d(x: number, ...rest: [...Geometry, number, number]): void;
  maxPool2dBackward(g: number, idx: number, N: number, C: number, H: number, W: number, OH: number, OW: number, out: number): number;
  avgPool2d(x: number, ...rest: [...Geometry, number]): void;
  avgPool2dBackward(g: number, ...rest: [...Geometry, number]): void;
  batchNorm(x: number, N: number, C: number, L: number, weight: number, bias: number, eps: number, batchStats: number,
    mean: number, rstd: number, out: number): void;
  batchNormBackward(g: number, x: number, N: number, C: number, L: number, weight: number, batchStats: number,
    mean: number, rstd: number, dx: number, dweight: number, dbias: number): void;
}

type Floats = Float32Array | Int32Array;

/**
 * Byte addresses of `inputs` then `outputs` (0 for null): resident arrays where they lie, the
 * others copied (inputs) or given room (outputs) in one scratch block; `finish` copies the
 * scratch outputs back. Null when the scratch cannot be had.
 */
function operands(inputs: (Floats | null)[], outputs: (Floats | null)[]): { at: number[]; finish(): void } | null {
  const all = [...inputs, ...outputs];
  const at = all.map((x) => (x ? addressOf(x) : 0));
  const size = (x: Floats) => (4 * Math.max(x.length, 1) + 63) & ~63;
  let bytes = 0;
  all.forEach((x, i) => { if (x && at[i] < 0) bytes += size(x); });
  const base = bytes > 0 ? tryScratch(bytes) : 0;
  if (base < 0) return null;
  const buffer = memoryFloats().buffer;
  const view = (x: Floats, a: number) => (x instanceof Float32Array ? new Float32Array(buffer, a, x.length) : new Int32Array(buffer, a, x.length));
  let next = base;
  const back: [Floats, number][] = [];
  all.forEach((x, i) => {
    if (!x || at[i] >= 0) return;
    at[i] = next;
    if (i < inputs.length) view(x, next).set(x as never);
    else back.push([x, next]);
    next += size(x);
  });
  return { at, finish: () => { for (const [x, a] of back) x.set(view(x, a) as never); } };
}

function geometry(w: Window2d): Geometry {
  return [w.N, w.C, w.H, w.W, w.kh, w.kw, w.sh, w.sw, w.ph, w.pw, w.dh, w.dw, w.OH, w.OW];
}

/** Refuses, in one line, arrays too short for the geometry or output sizes it does not give: the kernels trust both. */
function check(op: string, w: Window2d, image: Floats, windows: Floats): void {
  const OH = Math.floor((w.H + 2 * w.ph - w.dh * (w.kh - 1) - 1) / w.sh) + 1, OW = Math.floor((w.W + 2 * w.pw - w.dw * (w.kw - 1) - 1) / w.sw) + 1;
  const sizes = [w.N, w.C, w.H, w.W, w.kh, w.kw, w.sh, w.sw, w.dh, w.dw];
  const ok = sizes.every((v) => Number.isInteger(v) && v >= 1) && w.ph >= 0 && w.pw >= 0 && OH === w.OH && OW === w.OW;
  const perWindow = op === 'im2col' || op === 'col2im' ? w.kh * w.kw : 1;
  if (!ok || image.length < w.N * w.C * w.H * w.W || windows.length < w.N * w.C * perWindow * OH * OW) {
    throw new GradpathError(`wasm ${op}: inconsistent geometry or array sizes (x (${w.N}, ${w.C}, ${w.H}, ${w.W}), output ${w.OH}x${w.OW}); pass the Window2d that engine/ops/window.ts computes`);
  }
}

const kernels = () => needState().window;

/** Runs kernel on the addresses of inputs then outputs (copied results back after it), or fallback where they cannot be placed. */
function onOperands(inputs: (Floats | null)[], outputs: (Floats | null)[], kernel: (at: number[]) => void, fallback: () => void): void {
  const p = operands(inputs, outputs);
  if (!p) return fallback();
  kernel(p.at);
  p.finish();
}

export function im2col(x: Float32Array, w: Window2d, out: Float32Array): void {
  check('im2col', w, x, out);
  onOperands([x], [out], (at) => kernels().im2col(at[0], ...geometry(w), at[1]), () => ref.im2col(x, w, out));
}

export function col2im(cols: Float32Array, w: Window2d, out: Float32Array): void {
  check('col2im', w, out, cols);
  onOperands([cols], [out], (at) => kernels().col2im(at[0], ...geometry(w), at[1]), () => ref.col2im(cols, w, out));
}

export function maxPool2d(x: Float32Array, w: Window2d, out: Float32Array, idx: Int32Array): void {
  check('maxPool2d', w, x, out);
  check('maxPool2d', w, x, idx);
  onOperands([x], [out, idx], (at) => kernels().maxPool2d(at[0], ...geometry(w), at[1], at[2]), () => ref.maxPool2d(x, w, out, idx));
}

export function maxPool2dBackward(g: Float32Array, idx: Int32Array, w: Window2d, out: Float32Array): void {
  check('maxPool2dBackward', w, out, g);
  check('maxPool2dBackward', w, out, idx);
  onOperands([g, idx], [out], (at) => {
    const bad = kernels().maxPool2dBackward(at[0], at[1], w.N, w.C, w.H, w.W, w.OH, w.OW, at[2]);
    if (bad) throw new GradpathError(`wasm maxPool2dBackward: an index out of range (the planes are ${w.H}x${w.W}); pass the indices maxPool2d wrote`);
  }, () => ref.maxPool2dBackward(g, idx, w, out));
}

export function avgPool2d(x: Float32Array, w: Window2d, out: Float32Array): void {
  check('avgPool2d', w, x, out);
  onOperands([x], [out], (at) => kernels().avgPool2d(at[0], ...geometry(w), at[1]), () => ref.avgPool2d(x, w, out));
}

export function avgPool2dBackward(g: Float32Array, w: Window2d, out: Float32Array): void {
  check('avgPool2dBackward', w, out, g);
  onOperands([g], [out], (at) => kernels().avgPool2dBackward(at[0], ...geometry(w), at[1]), () => ref.avgPool2dBackward(g, w, out));
}

/** Refuses, in one line, arrays shorter than (N, C, L) and C statistics need. */
function checkChannels(op: string, N: number, C: number, L: number, big: Floats[], small: (Floats | null)[]): void {
  if (big.some((x) => x.length < N * C * L) || small.some((x) => x !== null && x.length < C)) {
    throw new GradpathError(`wasm ${op}: arrays too short for (N ${N}, C ${C}, L ${L})`);
  }
}

export function batchNorm(x: Float32Array, N: number, C: number, L: number, weight: Float32Array | null, bias: Float32Array | null,
  eps: number, batchStats: boolean, mean: Float32Array, rstd: Float32Array, out: Float32Array): void {
  checkChannels('batchNorm', N, C, L, [x, out], [weight, bias, mean, rstd]);
  // the statistics are outputs or inputs; their addresses come in the same order either way
  const [ins, outs] = batchStats ? [[x, weight, bias], [mean, rstd, out]] : [[x, weight, bias, mean, rstd], [out]];
  onOperands(ins, outs, ([xAt, wAt, bAt, mAt, rAt, oAt]) => kernels().batchNorm(xAt, N, C, L, wAt, bAt, eps, batchStats ? 1 : 0, mAt, rAt, oAt),
    () => ref.batchNorm(x, N, C, L, weight, bias, eps, batchStats, mean, rstd, out));
}

export function batchNormBackward(g: Float32Array, x: Float32Array, N: number, C: number, L: number, weight: Float32Array | null,
  batchStats: boolean, mean: Float32Array, rstd: Float32Array, dx: Float32Array, dweight: Float32Array | null, dbias: Float32Array | null): void {
  checkChannels('batchNormBackward', N, C, L, [g, x, dx], [weight, mean, rstd, dweight, dbias]);
  onOperands([g, x, weight, mean, rstd], [dx, dweight, dbias], (at) => {
    const [gAt, xAt, wAt, mAt, rAt, dxAt, dwAt, dbAt] = at;
    kernels().batchNormBackward(gAt, xAt, N, C, L, wAt, batchStats ? 1 : 0, mAt, rAt, dxAt, dwAt, dbAt);
  }, () => ref.batchNormBackward(g, x, N, C, L, weight, batchStats, mean, rstd, dx, dweight, dbias));
}
