import { availableParallelism, loadavg } from 'node:os';
import { defineCommand } from '../args.js';
import { formatTable } from '../../util/format.js';
import { initWasm, matmul, defaultThreads } from '../../backends/wasm/index.js';
import { matmul as referenceMatmul } from '../../backends/reference/matmul.js';
import { loadNative, nativeBuilt } from '../../backends/native/index.js';
import type { Backend } from '../../backends/backend.js';
import { commonFlags } from '../flags.js';
import { startWebGpu } from '../../backends/webgpu/index.js';
import { softwareAdapter, timeWebGpuMatmul } from './matmul-webgpu.js';

/**
 * `gradpath bench matmul`: GFLOP/s of the wasm matmul (all threads, one thread, and the
 * plain-SIMD build where relaxed SIMD is on) and, where built, the native backend's (OpenBLAS,
 * all threads and one) against the reference triple loop, same run.
 */

const SHAPES: [number, number, number][] = [[1024, 1024, 1024], [4096, 768, 3072]];

function randomArray(n: number): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.random() * 2 - 1;
  return x;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median GFLOP/s over `reps` timed runs after one warm-up run (of the wasm kernel unless `mm` is given). */
function timeWasm(m: number, k: number, n: number, reps: number, mm: Backend['matmul'] = matmul): number {
  const a = randomArray(m * k), b = randomArray(k * n), out = new Float32Array(m * n);
  mm(a, b, out, 1, m, k, n, false, false, 0, 0);
  const rates: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    mm(a, b, out, 1, m, k, n, false, false, 0, 0);
    rates.push((2 * m * k * n) / ((performance.now() - t0) * 1e6));
  }
  return median(rates);
}

/**
 * The reference is ~100x slower, so it runs once on the first `rows` rows of A (each row of C
 * costs the same, so the rate is that of the full product), after a small warm-up.
 */
function timeReference(m: number, k: number, n: number, rows: number): number {
  const a = randomArray(rows * k), b = randomArray(k * n), out = new Float32Array(rows * n);
  referenceMatmul(a, b, out, 1, Math.min(rows, 4), k, n, false, false, 0, 0);
  const t0 = performance.now();
  referenceMatmul(a, b, out, 1, rows, k, n, false, false, 0, 0);
  return (2 * rows * k * n) / ((performance.now() - t0) * 1e6);
}

export const command = defineCommand({
  name: 'matmul',
  summary: 'GFLOP/s of the matmul on every available backend (native, wasm; 1024^3 and 4096x768x3072) vs the reference loop',
  description: `Times C = A @ B for square 1024 and the GPT-2 MLP shape M=4096, K=768, N=3072 on every
available backend in the same run: native where built (all threads and one) and wasm (all threads
(GRADPATH_THREADS, default: all cores), one thread, and the plain-SIMD kernel when relaxed SIMD is
in use); --backend times one of them. The median of --reps runs after a warm-up. The
reference backend runs once on a subset of rows (the rate per row is constant) in the same run.
With --json, the last stdout line is a JSON summary.`,
  options: {
    json: { type: 'boolean', help: 'Print a JSON summary as the last line' },
    reps: { type: 'int', default: 5, min: 1, help: 'Timed repetitions per measurement (median reported)' },
    'ref-rows': { type: 'int', default: 64, min: 1, help: 'Rows of A the reference runs on' },
    backend: { ...commonFlags.backend, help: 'Time only this backend, beside the reference (default: native where built, wasm and the reference; webgpu only when named)' },
  },
  async run(opts) {
    const threads = defaultThreads();
    const only = opts.backend;
    if (only === 'webgpu') return benchWebGpu(opts.reps, opts.refRows, opts.json ?? false);
    const shapes = SHAPES.map(([m, k, n]) => ({ m, k, n, multi: 0, single: 0, plain: 0, ref: 0, native: 0, nativeSingle: 0 }));
    const native = nativeBuilt() && (!only || only === 'native') ? loadNative() : null;
    const wasm = !only || only === 'wasm';
    if (native) {
      for (const s of shapes) s.native = timeWasm(s.m, s.k, s.n, opts.reps, native.matmul);
      if (threads > 1) {
        native.setThreads(1);
        for (const s of shapes) s.nativeSingle = timeWasm(s.m, s.k, s.n, opts.reps, native.matmul);
        native.setThreads(threads);
      } else for (const s of shapes) s.nativeSingle = s.native;
    }
    let relaxed = false;
    if (wasm) {
      // One configuration at a time: re-initialising the pool between shapes would be wasted time.
      relaxed = (await initWasm({ threads })).relaxedSimd;
      for (const s of shapes) s.multi = timeWasm(s.m, s.k, s.n, opts.reps);
      if (threads > 1) {
        await initWasm({ threads: 1 });
        for (const s of shapes) s.single = timeWasm(s.m, s.k, s.n, opts.reps);
      } else for (const s of shapes) s.single = s.multi;
      if (relaxed) {
        await initWasm({ threads, relaxedSimd: false });
        for (const s of shapes) s.plain = timeWasm(s.m, s.k, s.n, opts.reps);
      }
      await initWasm({ threads });
    }
    for (const s of shapes) s.ref = timeReference(s.m, s.k, s.n, Math.min(s.m, opts.refRows));

    const kernel = relaxed ? 'relaxed SIMD (fused multiply-add)' : 'plain SIMD (relaxed SIMD unavailable)';
    if (wasm) console.log(`wasm matmul, ${threads} thread${threads > 1 ? 's' : ''}, ${kernel}; median of ${opts.reps} runs after a warm-up.`);
    if (native) console.log(`native: OpenBLAS ${native.info().blas} kernels, ${threads} thread${threads > 1 ? 's' : ''} and 1, same reps.`);
    else if (!only) console.log('native: not built (`gradpath native build`), so not timed.');
    console.log(`reference: one run on the first ${opts.refRows} rows of A, rate scaled to the full product.`);
    // Wall-clock rates drop in proportion when other processes share the cores; say so.
    const load = loadavg()[0];
    if (load > availableParallelism() - 0.5) {
      console.log(`note: load average ${load.toFixed(1)} on ${availableParallelism()} cores: other processes are competing, so these rates are low.`);
    }
    console.log('');
    const header = ['M x K x N'];
    if (native) header.push(`native ${threads}T GFLOP/s`, 'native 1T GFLOP/s');
    if (wasm) header.push(`wasm ${threads}T GFLOP/s`, 'wasm 1T GFLOP/s');
    if (relaxed) header.push(`plain SIMD ${threads}T`);
    header.push('reference GFLOP/s');
    if (wasm) header.push('wasm / reference');
    if (native) header.push(wasm ? 'native / wasm' : 'native / reference');
    console.log(formatTable(header, shapes.map((s) => [
      `${s.m} x ${s.k} x ${s.n}`, ...(native ? [s.native.toFixed(1), s.nativeSingle.toFixed(1)] : []), ...(wasm ? [s.multi.toFixed(1), s.single.toFixed(1)] : []),
      ...(relaxed ? [s.plain.toFixed(1)] : []), s.ref.toFixed(2), ...(wasm ? [`${(s.multi / s.ref).toFixed(0)}x`] : []),
      ...(native ? [wasm ? `${(s.native / s.multi).toFixed(2)}x` : `${(s.native / s.ref).toFixed(0)}x`] : []),
    ])));
    if (opts.json) {
      const round = (x: number) => Math.round(x * 100) / 100;
      const backends = [...(native ? ['native'] : []), ...(wasm ? ['wasm'] : []), 'reference'];
      console.log(JSON.stringify({
        threads,
        backends,
        gflops: round(wasm ? shapes[0].multi : native ? shapes[0].native : shapes[0].ref),
        results: shapes.map((s) => ({
          m: s.m, k: s.k, n: s.n,
          ...(wasm ? { backend: 'wasm', gflops: round(s.multi), single_thread_gflops: round(s.single), ratio: round(s.multi / s.ref) } : {}),
          ...(relaxed ? { plain_simd_gflops: round(s.plain) } : {}),
          reference_gflops: round(s.ref),
          ...(native ? { native_gflops: round(s.native), native_single_thread_gflops: round(s.nativeSingle), ...(wasm ? { native_over_wasm: round(s.native / s.multi) } : {}) } : {}),
        })),
        ...(native ? { native_blas: native.info().blas } : {}),
        relaxed_simd: relaxed,
      }));
    }
    return 0;
  },
});

/**
 * --backend webgpu: the device's matmul against the reference loop, same run. On a software
 * adapter (SwiftShader, where there is no GPU) only a 256^3 product is timed, and the rates say
 * nothing about GPUs: the line under the table says so.
 */
function benchWebGpu(reps: number, refRows: number, json: boolean): number {
  const gpu = startWebGpu();
  const software = softwareAdapter(gpu);
  const shapes = software ? [[256, 256, 256] as [number, number, number]] : SHAPES;
  const results = shapes.map(([m, k, n]) => ({ m, k, n, gflops: timeWebGpuMatmul(gpu, m, k, n, reps, software ? 1 : 10), ref: timeReference(m, k, n, Math.min(m, refRows)) }));
  console.log(`webgpu matmul on ${gpu.bridge.description}: operands on the device, batches of matmuls timed to the device's fence; median of ${reps} runs after a warm-up.`);
  console.log(`reference: one run on the first ${refRows} rows of A, rate scaled to the full product.`);
  if (software) console.log('note: a software adapter (no GPU here): correct results, but these rates say nothing about a GPU\'s speed.');
  console.log('');
  console.log(formatTable(['M x K x N', 'webgpu GFLOP/s', 'reference GFLOP/s', 'webgpu / reference'],
    results.map((r) => [`${r.m} x ${r.k} x ${r.n}`, r.gflops.toFixed(2), r.ref.toFixed(2), `${(r.gflops / r.ref).toFixed(2)}x`])));
  if (json) {
    const round = (x: number) => Math.round(x * 100) / 100;
    console.log(JSON.stringify({
      backends: ['webgpu', 'reference'], adapter: gpu.bridge.description, software_adapter: software, gflops: round(results[0].gflops),
      results: results.map((r) => ({ m: r.m, k: r.k, n: r.n, backend: 'webgpu', gflops: round(r.gflops), reference_gflops: round(r.ref), ratio: round(r.gflops / r.ref) })),
    }));
  }
  return 0;
}
