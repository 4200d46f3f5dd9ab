#!/bin/sh
# The whole Hugging Face check, twice: GPT-2's tokenizer, then a BPE trained with `gradpath bpe train`.
# Each trains a small GPT-2 for 40 steps on tinyshakespeare, exports it with `gradpath gpt2 export
# --format hf`, and compares check.py's PyTorch forward and tokenizer with gradpath's.
#   sh experiments/hf-gpt2/run.sh [TEXT]      (after `npm run build`; needs python3 with torch, numpy, regex)
set -e
cd "$(dirname "$0")/../.."
TEXT=${1:-${GRADPATH_DATA_DIR:-../shared/data}/tinyshakespeare.txt}
O=experiments/hf-gpt2/out
rm -rf "$O"   # this run's scratch folder: every command below starts a fresh run in it
PY=${PYTHON:-python3}
gp() { node bin/gradpath.js "$@"; }
small="--n-layer 4 --n-head 4 --n-embd 128 --block-size 128 --max-steps 40 --eval-every 0 --lr 3e-3"

echo "== GPT-2's tokenizer"
gp gpt2 prepare -i "$TEXT" -o $O/shards
gp gpt2 train --data $O/shards $small -o $O/run > $O/train.log 2>&1
gp gpt2 export --init-from $O/run/latest.safetensors -o $O/hf --format hf
node experiments/hf-gpt2/dump.mjs $O/run/latest.safetensors -i "$TEXT" -o $O/gradpath
$PY experiments/hf-gpt2/check.py $O/hf $O/gradpath

echo "== a BPE trained by gradpath (GPT-2's pre-split), written as vocab.json + merges.txt"
gp bpe train -i "$TEXT" --vocab-size 1024 --pattern gpt2 --special '<|endoftext|>' --format hf -o $O/bpe1024
gp gpt2 prepare -i "$TEXT" -o $O/shards-bpe --encoding $O/bpe1024
gp gpt2 train --data $O/shards-bpe $small --vocab-size 1024 -o $O/run-bpe > $O/train-bpe.log 2>&1
gp gpt2 export --init-from $O/run-bpe/latest.safetensors -o $O/hf-bpe --format hf --encoding $O/bpe1024
node experiments/hf-gpt2/dump.mjs $O/run-bpe/latest.safetensors -i "$TEXT" -o $O/gradpath-bpe --encoding $O/bpe1024
$PY experiments/hf-gpt2/check.py $O/hf-bpe $O/gradpath-bpe
