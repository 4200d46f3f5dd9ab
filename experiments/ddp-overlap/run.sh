#!/bin/bash
# Data parallel on one machine: the same global batch (B=4, T=64) on 1 rank x 2 threads and on
# 2 ranks x 1 thread with DDP (shared memory; with OMPI_MCA_mpi_yield_when_idle=1; over TCP),
# alternated over ROUNDS rounds, with `uptime` before each round. Compare the per-step times
# (`step N | ... | MS ms`) and rank 0's "waited for gradient buckets" line (exposed communication).
#
#   experiments/ddp-overlap/run.sh DATA_DIR [model flags...]
#   experiments/ddp-overlap/run.sh data/shakespeare --model gpt2                      # GPT-2 124M
#   experiments/ddp-overlap/run.sh data/shakespeare --n-layer 4 --n-head 4 --n-embd 256   # 16M
set -euo pipefail
DATA=${1:?usage: run.sh DATA_DIR [model flags]}; shift
ROUNDS=${ROUNDS:-2}
OUT=$(mktemp -d)
G="node $(dirname "$0")/../../bin/gradpath.js"
A="--data $DATA $* --batch-size 4 --seq-len 64 --max-steps 5 --eval-every 0 --num-samples 0 --peak-gflops 10 --warmup-steps 0 --force"
for i in $(seq "$ROUNDS"); do
  echo "== round $i: $(uptime)"
  echo "-- 1 rank x 2 threads"
  GRADPATH_THREADS=2 $G gpt2 train $A -o "$OUT/one" 2>&1 | grep -E "^step +[0-9]"
  echo "-- 2 ranks x 1 thread, DDP, shared memory"
  $G launch -n 2 -- gpt2 train $A -o "$OUT/dp" --dp 2 2>&1 | grep -E "step +[0-9]|waited"
  echo "-- 2 ranks x 1 thread, DDP, OMPI_MCA_mpi_yield_when_idle=1"
  OMPI_MCA_mpi_yield_when_idle=1 $G launch -n 2 -- gpt2 train $A -o "$OUT/dp" --dp 2 2>&1 | grep -E "step +[0-9]|waited"
  echo "-- 2 ranks x 1 thread, DDP, TCP"
  $G launch -n 2 --tcp -- gpt2 train $A -o "$OUT/dp" --dp 2 2>&1 | grep -E "step +[0-9]|waited"
done
echo "== end: $(uptime)"
rm -rf "$OUT"
