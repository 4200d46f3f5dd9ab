#!/bin/sh
# Measures one build of gradpath on every task, one run after another:
#   ./run.sh BUILD_DIST LABEL [DOUBLE_NV_RUNS]
# Appends to results/LABEL.jsonl (one line per run) and results/LABEL-summary.jsonl (one per task).
set -e
cd "$(dirname "$0")"
build=$1 label=$2 nv=${3:-0}
mkdir -p results
m() { node measure.mjs --build "$build" --label "$label" --out "results/$label.jsonl" "$@" | tee -a "results/$label-summary.jsonl"; }
m --task xor --runs 100 --seed 1
m --task parity3 --runs 30 --seed 1
m --task multiplexer3 --runs 30 --seed 1
m --task single --runs 50 --seed 1 --workers 2
m --task double --runs 50 --seed 1 --workers 2
if [ "$nv" -gt 0 ]; then m --task double-nv --runs "$nv" --seed 1 --workers 2; fi
