#!/bin/sh
# Trains chargpt briefly (nanoGPT's cpu preset, 250 iterations), exports it in nanoGPT's layout and
# loads it into nanoGPT's GPT. Needs a nanoGPT checkout:
#   sh experiments/nanogpt-export/run.sh NANOGPT_DIR [TEXT]    (after `npm run build`; python3 with torch and numpy)
set -e
NANOGPT=${1:?usage: run.sh NANOGPT_DIR [TEXT]}
cd "$(dirname "$0")/../.."
TEXT=${2:-${GRADPATH_DATA_DIR:-../shared/data}/tinyshakespeare.txt}
O=experiments/nanogpt-export/out
rm -rf "$O"   # this run's scratch folder: every command below starts a fresh run in it
PY=${PYTHON:-python3}
node bin/gradpath.js chargpt -i "$TEXT" --preset cpu --max-iters 250 --num-samples 0 --quiet -o $O/run
node bin/gradpath.js chargpt export --init-from $O/run -o $O/nanogpt
node experiments/nanogpt-export/dump.mjs $O/run -i "$TEXT" -o $O/gradpath
$PY experiments/nanogpt-export/check.py --nanogpt "$NANOGPT" $O/nanogpt $O/gradpath
# nanoGPT's own sample.py on the export (it imports tiktoken even when meta.pkl gives the characters:
# where tiktoken is not installed, an empty module stands in)
$PY experiments/nanogpt-export/to_ckpt.py $O/nanogpt $O/nanogpt-outdir
mkdir -p $O/no-tiktoken && touch $O/no-tiktoken/tiktoken.py
OUTDIR=$(pwd)/$O/nanogpt-outdir STUB=$(pwd)/$O/no-tiktoken
(cd "$NANOGPT" && PYTHONDONTWRITEBYTECODE=1 PYTHONPATH="$STUB" $PY sample.py --init_from=resume --out_dir="$OUTDIR" --device=cpu --compile=False --dtype=float32 --num_samples=1 --max_new_tokens=200)
