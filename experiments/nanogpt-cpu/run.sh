#!/usr/bin/env bash
# gradpath's `chargpt --preset cpu` against nanoGPT's train.py with the CPU settings of its README,
# on the same threads, one after the other: wall time of each whole run (training and its periodic
# evaluations) and the validation loss of each (the 20-batch estimate each prints at iteration 2,000,
# and the exact loss over every validation window of each one's best checkpoint). Appends JSON lines
# to a results file and prints the table.
#
#   experiments/nanogpt-cpu/run.sh [threads=2] [nanoGPT checkout=/work/ref/nanoGPT] [rounds=1] [iterations=2000]
#
# Fewer iterations than the recipe's 2,000 (for a loaded machine) shorten both runs alike: the
# cosine decay and the evaluation interval follow them (one evaluation, at the end; nanoGPT also
# evaluates at iteration 0, as it always does).
#
# Needs: python3-torch (Debian's, run as /usr/bin/python3), numpy, a nanoGPT checkout (read only:
# its data preparation runs on a copy), tinyshakespeare.txt in $GRADPATH_DATA_DIR (default: the
# project's data/ folder). Nothing is downloaded: prepare.py finds input.txt already in place.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
threads=${1:-2} nanogpt=${2:-/work/ref/nanoGPT} rounds=${3:-1} iters=${4:-2000}
short_gp=() short_ng=()
if [ "$iters" != 2000 ]; then
  short_gp=(--max-steps "$iters" --lr-decay-iters "$iters" --eval-every "$iters")
  short_ng=(--max_iters="$iters" --lr_decay_iters="$iters" --eval_interval="$iters")
fi
data_dir=${GRADPATH_DATA_DIR:-$root/data}
[ -f "$data_dir/tinyshakespeare.txt" ] || { echo "run.sh: no tinyshakespeare.txt in $data_dir (set GRADPATH_DATA_DIR)" >&2; exit 2; }
[ -f "$nanogpt/train.py" ] || { echo "run.sh: no nanoGPT checkout at $nanogpt" >&2; exit 2; }
py=/usr/bin/python3
export OMP_NUM_THREADS=$threads GRADPATH_THREADS=$threads OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/nanoGPT/data"
cp -r "$nanogpt"/{train.py,model.py,configurator.py,config} "$work/nanoGPT/"
cp -r "$nanogpt/data/shakespeare_char" "$work/nanoGPT/data/"
cp "$data_dir/tinyshakespeare.txt" "$work/nanoGPT/data/shakespeare_char/input.txt"
(cd "$work/nanoGPT" && $py data/shakespeare_char/prepare.py > /dev/null)
out="$here/results-$(date -u +%Y%m%dT%H%M%S).jsonl"
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "{\"note\":\"start\",\"threads\":$threads,\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)\",\"torch\":\"$($py -c 'import torch; print(torch.__version__)')\",\"OPENBLAS_CORETYPE\":\"${OPENBLAS_CORETYPE:-unset}\",\"iterations\":$iters,\"gemm\":\"$(node "$root/bin/gradpath.js" native status 2>&1 | head -1)\"}" >> "$out"
for r in $(seq "$rounds"); do
  # gradpath (its default backend: native where built)
  l0=$(load); t0=$(date +%s.%N)
  node "$root/bin/gradpath.js" chargpt --preset cpu -i "$data_dir/tinyshakespeare.txt" -o "$work/gp" --force --num-samples 0 --quiet --json "${short_gp[@]}" > "$work/gp.json"
  t1=$(date +%s.%N); l1=$(load)
  node "$root/bin/gradpath.js" chargpt -o "$work/gp" --eval-only --quiet --json > "$work/gp-exact.json"
  $py - "$work/gp.json" "$work/gp-exact.json" "$t0" "$t1" "$l0" "$l1" "$r" >> "$out" <<'PY'
import json, sys
run, ev = (json.loads(open(f).read().strip().splitlines()[-1]) for f in sys.argv[1:3])
t0, t1 = float(sys.argv[3]), float(sys.argv[4])
print(json.dumps({'round': int(sys.argv[7]), 'who': 'gradpath', 'backend': run['backend'], 'wall_s': round(t1 - t0, 1), 'val_estimate': run['val_loss'],
                  'exact_val': ev['val_loss'], 'best_step': ev['step'], 'load_before': sys.argv[5], 'load_after': sys.argv[6]}))
PY
  # nanoGPT's train.py, its README's CPU command
  l0=$(load); t0=$(date +%s.%N)
  (cd "$work/nanoGPT" && $py train.py config/train_shakespeare_char.py --device=cpu --compile=False --eval_iters=20 --log_interval=1 \
    --block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128 --max_iters=2000 --lr_decay_iters=2000 --dropout=0.0 \
    --out_dir="$work/ng" "${short_ng[@]}" > "$work/ng.log" 2>&1)
  t1=$(date +%s.%N); l1=$(load)
  $py "$here/exact_val.py" "$work/nanoGPT" "$work/ng" "$work/nanoGPT/data/shakespeare_char" > "$work/ng-exact.json"
  $py - "$work/ng.log" "$work/ng-exact.json" "$t0" "$t1" "$l0" "$l1" "$r" >> "$out" <<'PY'
import json, re, sys
log = open(sys.argv[1]).read()
est = re.findall(r'step (\d+): train loss ([\d.]+), val loss ([\d.]+)', log)
ev = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])  # after model.py's own prints
t0, t1 = float(sys.argv[3]), float(sys.argv[4])
print(json.dumps({'round': int(sys.argv[7]), 'who': 'nanoGPT', 'backend': 'pytorch', 'wall_s': round(t1 - t0, 1), 'val_estimate': float(est[-1][2]) if est else None,
                  'exact_val': ev['exact_val'], 'best_step': ev['iter'], 'load_before': sys.argv[5], 'load_after': sys.argv[6]}))
PY
done
$py - "$out" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if '"who"' in l]
print(f"results: {sys.argv[1]}")
print('| round | run | wall s | val loss (20-batch estimate at the end) | exact val loss (best checkpoint, step) | load before / after |')
print('| --- | --- | --- | --- | --- | --- |')
for r in rows:
    print(f"| {r['round']} | {r['who']} ({r['backend']}) | {r['wall_s']} | {r['val_estimate']} | {r['exact_val']} ({r['best_step']}) | {r['load_before']} / {r['load_after']} |")
for rd in sorted({r['round'] for r in rows}):
    g = next((r for r in rows if r['round'] == rd and r['who'] == 'gradpath'), None)
    n = next((r for r in rows if r['round'] == rd and r['who'] == 'nanoGPT'), None)
    if g and n: print(f"round {rd}: gradpath / nanoGPT wall time {g['wall_s'] / n['wall_s']:.2f}")
PY
