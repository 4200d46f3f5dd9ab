#!/usr/bin/env bash
# Times PyTorch and gradpath (native backend, and wasm where cheap) on the same threads, taking
# turns round by round so a shared machine's load falls on both alike; appends one JSON line per
# measurement to a results file and prints the summary table (summarize.mjs).
#
#   experiments/native-vs-pytorch/run.sh [rounds=3] [threads=2] [gpt2 steps=2]
#
# Needs: python3-torch (Debian), `gradpath native build`. Both sides get the same environment:
# OMP_WAIT_POLICY (passive unless set; PyTorch and the native backend both use libgomp) and
# OPENBLAS_CORETYPE (left as the caller set it; unset it to let OpenBLAS choose for both).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
rounds=${1:-3} threads=${2:-2} gpt2steps=${3:-2}
export GRADPATH_THREADS=$threads OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
py=/usr/bin/python3
out="$here/results-$(date -u +%Y%m%dT%H%M%S).jsonl"
note() { echo "{\"note\":\"$1\",\"load\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"time\":\"$(date -u +%FT%TZ)\"}" >> "$out"; }
last() { tail -n 1; }
note "start: threads=$threads OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset} OMP_WAIT_POLICY=$OMP_WAIT_POLICY cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
for r in $(seq "$rounds"); do
  $py "$here/torch_bench.py" matmul --threads "$threads" | sed 's/^{/{"round":'"$r"',"what":"matmul",/' >> "$out"
  node bin/gradpath.js bench matmul --json | last | sed 's/^{/{"round":'"$r"',"what":"matmul","backend":"gradpath",/' >> "$out"
  $py "$here/torch_bench.py" train --model small --steps 10 --threads "$threads" | sed 's/^{/{"round":'"$r"',"what":"train",/' >> "$out"
  node bin/gradpath.js bench train --model small --backends native,wasm --steps 10 --reference-steps 0 --json | last | sed 's/^{/{"round":'"$r"',"what":"train",/' >> "$out"
  $py "$here/torch_bench.py" train --model gpt2 --steps "$gpt2steps" --threads "$threads" | sed 's/^{/{"round":'"$r"',"what":"train",/' >> "$out"
  node bin/gradpath.js bench train --model gpt2 --backends native --steps "$gpt2steps" --json | last | sed 's/^{/{"round":'"$r"',"what":"train",/' >> "$out"
  note "round $r done"
done
# what each native fusion gives the small step: every variant in one process, taking turns (fusions.mjs)
node "$here/fusions.mjs" "$((rounds * 3))" 10 --json >> "$out"
note "fusions done"
node "$here/summarize.mjs" "$out"
