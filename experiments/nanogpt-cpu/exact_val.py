"""The exact validation loss of a nanoGPT checkpoint: every character of val.bin predicted once,
in consecutive windows of block_size (each window starting with no context), which is what
`gradpath chargpt --eval-only` prints for a gradpath run. Prints one JSON line.

  /usr/bin/python3 exact_val.py NANOGPT_DIR OUT_DIR DATA_DIR
"""
import json, os, sys

import numpy as np
import torch

nanogpt, out_dir, data_dir = sys.argv[1:4]
sys.path.insert(0, nanogpt)
from model import GPT, GPTConfig  # nanoGPT's model.py

ckpt = torch.load(os.path.join(out_dir, 'ckpt.pt'), map_location='cpu')
model = GPT(GPTConfig(**ckpt['model_args']))
model.load_state_dict({k.removeprefix('_orig_mod.'): v for k, v in ckpt['model'].items()})
model.eval()
T = ckpt['model_args']['block_size']
d = torch.from_numpy(np.fromfile(os.path.join(data_dir, 'val.bin'), dtype=np.uint16).astype(np.int64))
w = (len(d) - 1) // T
x, y = d[:w * T].view(w, T), d[1:w * T + 1].view(w, T)
with torch.no_grad():
    total = sum(model(x[i:i + 256], y[i:i + 256])[1].item() * len(x[i:i + 256]) for i in range(0, w, 256))
print(json.dumps({'iter': ckpt['iter_num'], 'best_val_estimate': round(float(ckpt['best_val_loss']), 4), 'exact_val': round(total / w, 4)}))
