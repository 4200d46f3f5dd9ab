#!/usr/bin/env bash
# conv2d forward and forward+backward: PyTorch against gradpath (im2col + matmul) on each backend
# named, at the vision chapter's shapes, the same threads, taking turns round by round so a shared
# machine's load falls on all alike. Prints one table per backend: median CPU milliseconds per side
# and their ratio.
#
#   experiments/conv2d-vs-pytorch/run.sh [rounds=3] [threads=2] [backends="native wasm"]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
rounds=${1:-3} threads=${2:-2} backends=${3:-native wasm}
# passive: an idle OpenMP thread sleeps instead of spinning, so CPU time counts work (as experiments/native-vs-pytorch)
export GRADPATH_THREADS=$threads OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
out="$(mktemp)"
for r in $(seq "$rounds"); do
  /usr/bin/python3 "$here/torch_conv2d.py" --threads "$threads" | tail -n 1 >> "$out"
  for b in $backends; do GRADPATH_BACKEND="$b" node bin/gradpath.js bench conv2d --json | tail -n 1 >> "$out"; done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds, $threads threads; median CPU milliseconds (all threads) per side"
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
const torch = lines.filter((l) => l.torch);
for (const backend of [...new Set(lines.filter((l) => l.backend).map((l) => l.backend))]) {
const ours = lines.filter((l) => l.backend === backend);
console.log(`\ngradpath on the ${backend} backend\n| shape | torch fwd | gradpath fwd | gradpath / torch | torch fwd+bwd | gradpath fwd+bwd | gradpath / torch |\n| - | - | - | - | - | - | - |`);
torch[0].results.forEach((s, i) => {
  const tf = med(torch.map((l) => l.results[i].forward_ms)), tb = med(torch.map((l) => l.results[i].forward_backward_ms));
  const gf = med(ours.map((l) => l.results[i].im2col_forward_ms.cpu)), gb = med(ours.map((l) => l.results[i].im2col_forward_backward_ms.cpu));
  console.log(`| ${s.name} | ${tf.toFixed(1)} | ${gf.toFixed(1)} | ${(gf / tf).toFixed(1)}x | ${tb.toFixed(1)} | ${gb.toFixed(1)} | ${(gb / tb).toFixed(1)}x |`);
});
}' "$out"
rm -f "$out"
