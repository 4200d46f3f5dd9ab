// GFLOP/s of the native backend's matmul 4096x768x3072 per second of the process's CPU time (all
// threads), as matmul_cputime.py measures PyTorch's; the same call the engine makes (no transposes).
//   node experiments/native-vs-pytorch/matmul_cputime.mjs REPS THREADS   (GRADPATH_GEMM=openblas: OpenBLAS)
import { loadNative } from '../../dist/src/backends/native/index.js';

const reps = Number(process.argv[2] ?? 5), threads = Number(process.argv[3] ?? 1);
const nb = loadNative();
nb.setThreads(threads);
const [m, k, n] = [4096, 768, 3072];
const a = Float32Array.from({ length: m * k }, () => Math.random() - 0.5), b = Float32Array.from({ length: k * n }, () => Math.random() - 0.5);
const c = new Float32Array(m * n);
nb.matmul(a, b, c, 1, m, k, n, false, false, 0, 0); // warm-up
const r = [];
for (let i = 0; i < reps; i++) {
  const t0 = process.cpuUsage();
  nb.matmul(a, b, c, 1, m, k, n, false, false, 0, 0);
  const d = process.cpuUsage(t0);
  r.push((2 * m * n * k) / ((d.user + d.system) * 1e-6) / 1e9);
}
r.sort((x, y) => x - y);
console.log(`native (${nb.info().gemm}) cpu-time GFLOP/s median ${r[r.length >> 1].toFixed(1)} all ${r.map((x) => x.toFixed(1)).join(' ')}`);
