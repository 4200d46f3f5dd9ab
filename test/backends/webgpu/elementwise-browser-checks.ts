/**
 * The elementwise kernels (elementwise/: unary, clamp, binary, where, reduce, argmax, sumSquares,
 * gather, scatterAdd, copyStrided) checked inside a browser page (kernels-browser.test.ts loads this
 * module there, after browser-checks.ts's kernels/ on the same device) on the page's WebGPU
 * device (navigator.gpu) against the reference backend, returning the largest error per check. Imports
 * nothing of Node.
 */
import type { GpuExecutor } from '../../../src/backends/webgpu/executor.js';
import type { GpuArray } from '../../../src/backends/webgpu/kernel-context.js';
import { referenceBackend as ref } from '../../../src/backends/reference/index.js';
import { clamp, unary } from '../../../src/backends/webgpu/elementwise/unary.js';
import { where } from '../../../src/backends/webgpu/elementwise/where.js';
import { binary } from '../../../src/backends/webgpu/elementwise/binary.js';
import { argmax, reduce, sumSquares } from '../../../src/backends/webgpu/elementwise/reduce.js';
import { copyStrided, gather, groupRows, scatterAdd } from '../../../src/backends/webgpu/elementwise/indexing.js';

export interface Check { name: string; error: number; tolerance: number }

/** Runs the checks on `ex` (its buffers numbered from 1,000,000 on, apart from GpuArrays'): the largest error of each. */
export async function runElementwiseChecks(ex: GpuExecutor): Promise<Check[]> {
  let nextId = 1_000_000;
  let seed = 12345;
  const rand = (n: number, scale = 1): Float32Array => Float32Array.from({ length: n }, () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return ((seed / 2 ** 32) * 2 - 1) * scale;
  });
  /** `data` 3 elements into a fresh buffer, so a kernel that ignores offsets fails. */
  const up = (data: Float32Array | Int32Array): GpuArray => {
    const id = nextId++;
    ex.createBuffer(id, data.length + 6);
    ex.write(id, 3, data);
    return { buffer: id, offset: 3, length: data.length };
  };
  const out = (n: number): GpuArray => up(new Float32Array(n).fill(NaN));
  const maxErr = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
    let e = 0;
    for (let i = 0; i < b.length; i++) {
      if (Number.isNaN(a[i]) || Number.isNaN(b[i])) e = Number.isNaN(a[i]) && Number.isNaN(b[i]) ? e : Infinity; // NaN where the reference has NaN
      else e = Math.max(e, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
    }
    return e;
  };
  // every kernel is recorded first and all outputs are read back together at the end (one wait, not one per check)
  const pending: Promise<Check>[] = [];
  const check = (name: string, o: GpuArray, want: ArrayLike<number>, tolerance = 1e-5, ints = false): void => {
    const read: Promise<ArrayLike<number>> = ints ? ex.read(o, new Int32Array(o.length)) : ex.read(o);
    pending.push(read.then((v) => ({ name, error: maxErr(v, want), tolerance })));
  };

  for (const n of [1, 17, 127]) {
    const x = rand(n, 3);
    const w = new Float32Array(n); ref.unary('tanh', x, w);
    const o = out(n); unary(ex, 'tanh', up(x), o);
    check(`unary tanh n=${n}`, o, w);
  }
  {
    const a = rand(3 * 65), b = rand(65), w = new Float32Array(3 * 65);
    ref.binary('mul', a, [65, 1], b, [0, 1], w, [3, 65]);
    const o = out(3 * 65); binary(ex, 'mul', up(a), [65, 1], up(b), [0, 1], o, [3, 65], false);
    check('binary mul broadcast (3, 65) x (65)', o, w);
  }
  {
    const x = rand(5 * 17 * 3), w = new Float32Array(15), wi = new Int32Array(15);
    ref.reduce('sum', x, 5, 17, 3, w); ref.argmax(x, 5, 17, 3, wi);
    const o = out(15); reduce(ex, 'sum', up(x), 5, 17, 3, o);
    check('reduce sum (5, 17, 3)', o, w);
    const oi = up(new Int32Array(15).fill(-1)); argmax(ex, up(x), 5, 17, 3, oi);
    check('argmax (5, 17, 3)', oi, wi, 0, true);
    const x2 = rand(1500), s = out(1); sumSquares(ex, [up(x), up(x2)], s);
    check('sumSquares of two arrays, n=255 and 1500', s, [ref.sumSquares(x) + ref.sumSquares(x2)]);
  }
  {
    const x = rand(2 * 5 * 3), idx = Int32Array.from([4, 0, 4, 2, 1, 4, 3]);
    const w = new Float32Array(2 * 7 * 3); ref.gather(x, 2, 5, 3, idx, w);
    const o = out(w.length); gather(ex, up(x), 2, 5, 3, up(idx), o);
    check('gather (2, 5, 3) by 7 indices', o, w, 0);
    const src = rand(2 * 7 * 3), base = rand(2 * 5 * 3), ws = base.slice();
    ref.scatterAdd(src, 2, 5, 3, idx, ws);
    const { rows, starts } = groupRows(idx, 5);
    const os = up(base); scatterAdd(ex, up(src), 2, 5, 3, up(rows), up(starts), os);
    check('scatterAdd (2, 5, 3), repeated indices', os, ws);
  }
  {
    const x = rand(40), w = new Float32Array(15);
    ref.copyStrided(x, [3, 5], [1, 3], 2, w);
    const o = out(15); copyStrided(ex, up(x), [3, 5], [1, 3], 2, o);
    check('copyStrided transpose at offset 2', o, w, 0);
  }
  {
    const x = rand(17, 3), w = new Float32Array(17);
    x[3] = NaN;
    ref.clamp(x, -1, Infinity, w);
    const o = out(17); clamp(ex, up(x), -1, Infinity, o);
    check('clamp n=17 to [-1, inf), a NaN', o, w, 0);
  }
  {
    const c = Float32Array.from(rand(5), (v) => (v > 0 ? 1 : 0)), a = rand(3 * 5), b = rand(1), w = new Float32Array(15);
    ref.where(c, [0, 1], a, [5, 1], b, [0, 0], w, [3, 5]);
    const o = out(15); where(ex, up(c), [0, 1], up(a), [5, 1], up(b), [0, 0], o, [3, 5]);
    check('where (5) ? (3, 5) : scalar', o, w, 0);
  }
  return Promise.all(pending);
}
