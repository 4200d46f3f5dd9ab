#!/usr/bin/env bash
# conv2d forward and forward+backward: PyTorch against gradpath (wasm backend, im2col + matmul) at
# the vision chapter's shapes, the same threads, taking turns round by round so a shared machine's
# load falls on both alike. Prints one table of median CPU milliseconds per side and their ratio.
#
#   experiments/conv2d-vs-pytorch/run.sh [rounds=3] [threads=2]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."
rounds=${1:-3} threads=${2:-2}
# passive: an idle OpenMP thread sleeps instead of spinning, so CPU time counts work (as experiments/native-vs-pytorch)
export GRADPATH_THREADS=$threads OMP_NUM_THREADS=$threads OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
out="$(mktemp)"
for r in $(seq "$rounds"); do
  /usr/bin/python3 "$here/torch_conv2d.py" --threads "$threads" | tail -n 1 >> "$out"
  node bin/gradpath.js bench conv2d --json | tail -n 1 >> "$out"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $rounds rounds, $threads threads; median CPU milliseconds (all threads) per side"
node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const med = (xs) => xs.sort((a, b) => a - b)[xs.length >> 1];
const torch = lines.filter((l) => l.torch), ours = lines.filter((l) => l.backend);
console.log("| shape | torch fwd | gradpath fwd | gradpath / torch | torch fwd+bwd | gradpath fwd+bwd | gradpath / torch |\n| - | - | - | - | - | - | - |");
torch[0].results.forEach((s, i) => {
  const tf = med(torch.map((l) => l.results[i].forward_ms)), tb = med(torch.map((l) => l.results[i].forward_backward_ms));
  const gf = med(ours.map((l) => l.results[i].im2col_forward_ms.cpu)), gb = med(ours.map((l) => l.results[i].im2col_forward_backward_ms.cpu));
  console.log(`| ${s.name} | ${tf.toFixed(1)} | ${gf.toFixed(1)} | ${(gf / tf).toFixed(1)}x | ${tb.toFixed(1)} | ${gb.toFixed(1)} | ${(gb / tb).toFixed(1)}x |`);
});' "$out"
rm -f "$out"
