#!/bin/sh
# Trains chargpt briefly (nanoGPT's cpu preset, 250 iterations), exports it in nanoGPT's layout and
# loads it into nanoGPT's GPT. Needs a nanoGPT checkout:
#   sh experiments/nanogpt-export/run.sh NANOGPT_DIR [TEXT]    (after `npm run build`; python3 with torch and numpy)
set -e
NANOGPT=${1:?usage: run.sh NANOGPT_DIR [TEXT]}
cd "$(dirname "$0")/../.."
TEXT=${2:-${GRADPATH_DATA_DIR:-/work/shared/data}/tinyshakespeare.txt}
O=experiments/nanogpt-export/out
PY=${PYTHON:-python3}
node bin/gradpath.js chargpt -i "$TEXT" --preset cpu --max-iters 250 --num-samples 0 --quiet -o $O/run
node bin/gradpath.js chargpt export --init-from $O/run -o $O/nanogpt
node experiments/nanogpt-export/dump.mjs $O/run -i "$TEXT" -o $O/gradpath
$PY experiments/nanogpt-export/check.py --nanogpt "$NANOGPT" $O/nanogpt $O/gradpath
