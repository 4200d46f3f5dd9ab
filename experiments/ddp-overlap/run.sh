#!/bin/bash
# Data parallel on one machine: the same global batch on 1 rank x 2 threads and on 2 ranks x 1
# thread with DDP, alternated over ROUNDS rounds, with `uptime` before each round. Compare the
# per-step times (`step N | ... | MS ms`) and rank 0's "waited for gradient buckets" line
# (exposed communication).
#
#   experiments/ddp-overlap/run.sh DATA_DIR [model flags...]
#   experiments/ddp-overlap/run.sh data/shakespeare --model gpt2                      # GPT-2 124M
#   experiments/ddp-overlap/run.sh data/shakespeare --n-layer 4 --n-head 4 --n-embd 256   # 16M
#
# Environment:
#   ROUNDS  rounds (default 2)
#   ACCUM   micro-batches of B=4 x T=64 per optimizer step (--total-batch-tokens 256 x ACCUM; default 1):
#           only the last one communicates, so the all-reduce is paid once per ACCUM micro-batches
#   SETUPS  which setups, in this order each round (default "one shm yield tcp"):
#           one    1 rank x 2 threads
#           shm    2 ranks x 1 thread, DDP over shared memory (gradpath launch sets OMPI_MCA_mpi_yield_when_idle=1)
#           yield  the same with OMPI_MCA_mpi_yield_when_idle=1 set by hand
#           tcp    2 ranks over TCP (gradpath launch --tcp, the several-machines path)
#           zero1  2 ranks over shared memory with --zero 1 (each rank updates half of the parameters)
#           zero2  the same with --zero 2
set -euo pipefail
DATA=${1:?usage: run.sh DATA_DIR [model flags]}; shift
ROUNDS=${ROUNDS:-2}
ACCUM=${ACCUM:-1}
SETUPS=${SETUPS:-one shm yield tcp}
OUT=$(mktemp -d)
G="node $(dirname "$0")/../../bin/gradpath.js"
A="--data $DATA $* --batch-size 4 --seq-len 64 --total-batch-tokens $((256 * ACCUM)) --max-steps 5 --eval-every 0 --num-samples 0 --peak-gflops 10 --warmup-steps 0 --force"
DP="$G launch -n 2 -- gpt2 train $A -o $OUT/dp --dp 2"
SHOW="step +[0-9]|waited"
for i in $(seq "$ROUNDS"); do
  echo "== round $i (ACCUM=$ACCUM): $(uptime)"
  for s in $SETUPS; do
    echo "-- $s"
    case $s in
      one) GRADPATH_THREADS=2 $G gpt2 train $A -o "$OUT/one" 2>&1 | grep -E "^step +[0-9]" ;;
      shm) $DP 2>&1 | grep -E "$SHOW" ;;
      yield) OMPI_MCA_mpi_yield_when_idle=1 $DP 2>&1 | grep -E "$SHOW" ;;
      tcp) $G launch -n 2 --tcp -- gpt2 train $A -o "$OUT/dp" --dp 2 2>&1 | grep -E "$SHOW" ;;
      zero1) $DP --zero 1 2>&1 | grep -E "$SHOW" ;;
      zero2) $DP --zero 2 2>&1 | grep -E "$SHOW" ;;
      *) echo "unknown setup $s (one shm yield tcp zero1 zero2)" >&2; exit 2 ;;
    esac
  done
done
echo "== end: $(uptime)"
rm -rf "$OUT"
