"""Turns a folder from `gradpath chargpt export --format nanogpt` into a nanoGPT out_dir: ckpt.pt as
nanoGPT's train.py saves it ({'model', 'model_args', 'iter_num', 'best_val_loss', 'config'}) and
meta.pkl, so nanoGPT's own sample.py generates from it:
  python3 experiments/nanogpt-export/to_ckpt.py EXPORT_DIR OUT_DIR
  cd NANOGPT && python3 sample.py --init_from=resume --out_dir=OUT_DIR --device=cpu --compile=False --dtype=float32
sample.py reads meta.pkl from data/<config['dataset']>/; an absolute path there points it at OUT_DIR.
"""
import json, os, pickle, sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'hf-gpt2'))
from safetensors_reader import read_safetensors  # noqa: E402

export_dir, out_dir = sys.argv[1], os.path.abspath(sys.argv[2])
with open(os.path.join(export_dir, 'config.json')) as f:
    model_args = json.load(f)
with open(os.path.join(export_dir, 'meta.json')) as f:
    meta = json.load(f)
sd, _ = read_safetensors(os.path.join(export_dir, 'model.safetensors'))
if not hasattr(torch.nn.functional, 'scaled_dot_product_attention'):
    # before PyTorch 2, nanoGPT's attention keeps its causal mask as a state-dict buffer, attn.bias
    T = model_args['block_size']
    for i in range(model_args['n_layer']):
        sd[f'transformer.h.{i}.attn.bias'] = torch.tril(torch.ones(T, T)).view(1, 1, T, T)
os.makedirs(out_dir, exist_ok=True)
torch.save({'model': sd, 'model_args': model_args, 'iter_num': 0, 'best_val_loss': float('nan'), 'config': {'dataset': out_dir}}, os.path.join(out_dir, 'ckpt.pt'))
with open(os.path.join(out_dir, 'meta.pkl'), 'wb') as f:
    pickle.dump({'vocab_size': meta['vocab_size'], 'itos': {int(k): v for k, v in meta['itos'].items()}, 'stoi': meta['stoi']}, f)
print(f'wrote {out_dir}/ckpt.pt and meta.pkl')
