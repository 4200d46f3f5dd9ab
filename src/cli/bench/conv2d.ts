import { loadavg } from 'node:os';
import { defineCommand } from '../args.js';
import { formatTable } from '../../util/format.js';
import type { Window2d } from '../../backends/backend.js';
import { randn } from '../../engine/ops/create.js';
import { conv2d } from '../../engine/ops/conv.js';
import { BufferPool } from '../../engine/pool.js';
import { getBackend, withBackend } from '../../engine/device.js';
import type { Backend, WindowKernels } from '../../backends/backend.js';
import { batchNormChannels } from '../../engine/ops/batchnorm.js';
import { maxPool2d } from '../../engine/ops/pool.js';
import type { Tensor } from '../../engine/tensor.js';

/**
 * `gradpath bench conv2d`: milliseconds of conv2d forward, and forward + backward, at the
 * chapter's CNN shapes (batch 128), by im2col + the backend's matmul (what the engine does), and
 * the forward by a direct loop over output, input channel and kernel (no column copy, no matmul
 * kernel) in the same run: the measurement behind choosing im2col. Then a whole CNN block
 * (conv, BatchNorm, ReLU, max-pool; forward + backward) with the backend's own window kernels
 * against the reference ones, taking turns rep by rep. Times are the median of --reps runs after
 * a warm-up, as CPU time of this process (all threads) and wall time.
 */

interface Shape { name: string; N: number; C: number; H: number; O: number; k: number }
const SHAPES: Shape[] = [
  { name: 'cnn block1 1->16 @28', N: 128, C: 1, H: 28, O: 16, k: 3 },
  { name: 'cnn block2 16->32 @14', N: 128, C: 16, H: 14, O: 32, k: 3 },
  { name: 'wider 32->64 @14', N: 128, C: 32, H: 14, O: 64, k: 3 },
];

/** The direct convolution (stride 1, padding k/2): out[n, o, y, x] = sum over c, i, j. Loops ordered so the innermost runs along x. */
function directConv(x: Float32Array, w: Float32Array, out: Float32Array, s: Shape): void {
  const { N, C, H, O, k } = s, p = (k - 1) / 2, W = H;
  out.fill(0);
  for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) {
    const ob = (n * O + o) * H * W;
    for (let c = 0; c < C; c++) {
      const xb = (n * C + c) * H * W, wb = (o * C + c) * k * k;
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
        const wv = w[wb + i * k + j];
        for (let y = Math.max(0, p - i); y < Math.min(H, H + p - i); y++) {
          const xr = xb + (y + i - p) * W + j - p, or = ob + y * W;
          for (let xx = Math.max(0, p - j); xx < Math.min(W, W + p - j); xx++) out[or + xx] += wv * x[xr + xx];
        }
      }
    }
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Median CPU and wall milliseconds of fn over reps runs after one warm-up. */
function time(fn: () => void, reps: number): { cpu: number; wall: number } {
  fn();
  const cpu: number[] = [], wall: number[] = [];
  for (let r = 0; r < reps; r++) {
    const c0 = process.cpuUsage(), t0 = performance.now();
    fn();
    const c = process.cpuUsage(c0);
    wall.push(performance.now() - t0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { cpu: median(cpu), wall: median(wall) };
}

/** The active backend without its window kernels: the engine then runs the reference ones (engine/ops/window.ts). */
function withoutWindowKernels(b: Backend): Backend {
  const names: (keyof WindowKernels)[] = ['im2col', 'col2im', 'maxPool2d', 'maxPool2dBackward', 'avgPool2d', 'avgPool2dBackward', 'batchNorm', 'batchNormBackward'];
  const rest: Record<string, unknown> = { ...b };
  for (const n of names) delete rest[n];
  return rest as unknown as Backend;
}

/** Median CPU milliseconds of a and of b, run in turns (a, b, a, b ...) after a warm-up of each, so load changes fall on both. */
function timeInTurns(a: () => void, b: () => void, reps: number): [number, number] {
  a(); b();
  const ta: number[] = [], tb: number[] = [];
  for (let r = 0; r < reps; r++) {
    for (const [fn, out] of [[a, ta], [b, tb]] as const) {
      const c0 = process.cpuUsage();
      fn();
      const c = process.cpuUsage(c0);
      out.push((c.user + c.system) / 1000);
    }
  }
  return [median(ta), median(tb)];
}

/** One block of the chapter's CNN, forward and backward: conv 3x3 -> BatchNorm -> ReLU -> max-pool 2. */
function cnnBlock(x: Tensor, w: Tensor, gamma: Tensor, beta: Tensor): void {
  x.zeroGrad(); w.zeroGrad(); gamma.zeroGrad(); beta.zeroGrad();
  const y = batchNormChannels(conv2d(x, w, null, { padding: 1 }), null, null, gamma, beta, true).relu(); // (N, O, H, W)
  maxPool2d(y, 2).sum().backward(); // (N, O, H/2, W/2)
}

export const command = defineCommand({
  name: 'conv2d',
  summary: 'conv2d forward and backward (im2col + matmul) vs a direct loop, at the vision chapter\'s shapes',
  options: {
    reps: { type: 'int', min: 1, default: 5, help: 'timed runs per measurement (median reported)' },
    json: { type: 'boolean', help: 'print a JSON summary as the last line of stdout' },
  },
  run: (o) => {
    const pool = new BufferPool();
    const rows: (string | number)[][] = [], results: Record<string, unknown>[] = [];
    for (const s of SHAPES) {
      const x = randn([s.N, s.C, s.H, s.H]).setRequiresGrad(), w = randn([s.O, s.C, s.k, s.k]).mul(0.1).detach().setRequiresGrad();
      const pooled = (fn: () => void) => () => { pool.run(fn); pool.reset(); };
      const fwd = time(pooled(() => { conv2d(x, w, null, { padding: 1 }); }), o.reps);
      const both = time(pooled(() => { x.zeroGrad(); w.zeroGrad(); conv2d(x, w, null, { padding: 1 }).sum().backward(); }), o.reps);
      const xv = x.floatValues(), wv = w.floatValues(), out = new Float32Array(s.N * s.O * s.H * s.H);
      const direct = time(() => directConv(xv, wv, out, s), o.reps);
      const gflop = (2 * s.N * s.O * s.C * s.k * s.k * s.H * s.H) / 1e9;
      rows.push([s.name, fwd.cpu.toFixed(1), direct.cpu.toFixed(1), (direct.cpu / fwd.cpu).toFixed(1) + 'x', both.cpu.toFixed(1), (gflop / (fwd.wall / 1000)).toFixed(1)]);
      results.push({ shape: s, im2col_forward_ms: fwd, direct_forward_ms: direct, im2col_forward_backward_ms: both, forward_gflop: gflop });
    }
    const b = getBackend(), plain = withoutWindowKernels(b);
    const blockRows: (string | number)[][] = [];
    if (b.im2col) {
      for (const s of SHAPES) {
        const x = randn([s.N, s.C, s.H, s.H]).setRequiresGrad(), w = randn([s.O, s.C, s.k, s.k]).mul(0.1).detach().setRequiresGrad();
        const gamma = randn([s.O]).detach().setRequiresGrad(), beta = randn([s.O]).detach().setRequiresGrad();
        const run = (backend: Backend) => () => withBackend(backend, () => { pool.run(() => cnnBlock(x, w, gamma, beta)); pool.reset(); });
        const [own, ref] = timeInTurns(run(b), run(plain), o.reps);
        blockRows.push([s.name, ref.toFixed(1), own.toFixed(1), (ref / own).toFixed(1) + 'x']);
        results.find((r) => r.shape === s)!.block_forward_backward_ms = { reference_window_kernels: ref, backend_window_kernels: own };
      }
    }
    const load = loadavg()[0];
    console.log(`backend ${getBackend().name}; load average ${load.toFixed(1)}; CPU milliseconds (all threads), median of ${o.reps}`);
    console.log(formatTable(['shape (batch 128, 3x3, padding 1)', 'im2col fwd', 'direct fwd', 'direct / im2col', 'im2col fwd+bwd', 'im2col fwd GFLOP/s (wall)'], rows));
    if (blockRows.length) {
      console.log(`\nA CNN block (conv 3x3, BatchNorm, ReLU, max-pool 2), forward + backward: the reference window kernels against ${b.name}'s, in turns`);
      console.log(formatTable(['shape', 'reference window kernels', `${b.name} window kernels`, 'speed-up'], blockRows));
    } else {
      console.log(`\n(${b.name} has no window kernels of its own: im2col, pooling and batch norm run the reference ones)`);
    }
    if (o.json) console.log(JSON.stringify({ backend: getBackend().name, load, results }));
    return 0;
  },
});
