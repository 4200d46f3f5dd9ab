"""GFLOP/s of PyTorch's matmul 4096x768x3072 per second of the process's CPU time (all threads),
which a shared machine's load distorts far less than wall time. Pair: matmul_cputime.mjs.

  OMP_NUM_THREADS=T /usr/bin/python3 matmul_cputime.py REPS T
"""
import sys, time, torch
torch.set_num_threads(int(sys.argv[2]))
m, k, n = 4096, 768, 3072
a, b = torch.randn(m, k), torch.randn(k, n)
c = torch.empty(m, n)
torch.matmul(a, b, out=c)  # warm-up
r = []
for _ in range(int(sys.argv[1])):
    t0 = time.process_time()
    torch.matmul(a, b, out=c)
    r.append(2 * m * n * k / (time.process_time() - t0) / 1e9)
r.sort()
print('pytorch cpu-time GFLOP/s median', round(r[len(r) // 2], 1), 'all', [round(x, 1) for x in r])
