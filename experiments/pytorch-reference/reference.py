"""PyTorch reference for `gradpath chargpt --preset cpu`: nanoGPT's recipe for its CPU run.

A bias-free pre-LayerNorm GPT (4 layers, 4 heads, 128 wide, context 64) with the head tied to the
token embedding, N(0, 0.02) initialisation with the residual projections scaled by 1/sqrt(2 n_layer);
AdamW (betas 0.9/0.99, weight decay 0.1 on matrices only), 100 warmup iterations then cosine decay
from 1e-3 to 1e-4 at iteration 2000, gradient clipping at 1.0, random 12 x 64 training windows.

Two modes:
  python3 reference.py --seed S [--gelu none|tanh]
      nanoGPT's loop: a 20-batch estimate of both splits every 250 iterations (as its
      --eval_iters=20), then the exact loss over consecutive windows of each split (as
      `gradpath chargpt --eval-only`). The last line is JSON.
  python3 reference.py --seed S --gelu tanh --lockstep DIR
      Writes the initial weights and every training batch to DIR, trains on them with gradpath's
      warmup formula, and writes each iteration's loss and gradient norm. lockstep.mjs then trains
      gradpath's model from the same weights on the same batches and compares.

Needs PyTorch (Debian: apt-get install python3-torch) and the text in $GRADPATH_DATA_DIR.
"""
import argparse, json, math, os, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument('--seed', type=int, default=1337)
ap.add_argument('--gelu', choices=['none', 'tanh'], default='none', help="nanoGPT: none (exact); gradpath: tanh")
ap.add_argument('--lockstep', metavar='DIR')
ap.add_argument('--threads', type=int, default=1)
ap.add_argument('--iters', type=int, default=2000)
args = ap.parse_args()
torch.manual_seed(args.seed)
torch.set_num_threads(args.threads)

text = open(os.path.join(os.environ.get('GRADPATH_DATA_DIR', '.'), 'tinyshakespeare.txt'), encoding='utf-8').read()
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
data = torch.tensor([stoi[c] for c in text], dtype=torch.long)
n = int(0.9 * len(data))
train_data, val_data = data[:n], data[n:]
V, T, B, L, H, C = len(chars), 64, 12, 4, 4, 128
WARMUP, LR, MIN_LR, DECAY_ITERS = 100, 1e-3, 1e-4, 2000


class LayerNorm(nn.Module):  # nanoGPT's bias-free LayerNorm
    def __init__(self, d):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))

    def forward(self, x):
        return F.layer_norm(x, self.weight.shape, self.weight, None, 1e-5)


class Attention(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_attn = nn.Linear(C, 3 * C, bias=False)
        self.c_proj = nn.Linear(C, C, bias=False)
        self.register_buffer('mask', torch.ones(T, T, dtype=torch.bool).tril())

    def forward(self, x):  # (B, T, C)
        b, t, _ = x.shape
        q, k, v = [z.view(b, t, H, C // H).transpose(1, 2) for z in self.c_attn(x).split(C, dim=2)]  # (B, nh, T, hs)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(C // H)  # (B, nh, T, T)
        att = F.softmax(att.masked_fill(~self.mask[:t, :t], float('-inf')), dim=-1)
        return self.c_proj((att @ v).transpose(1, 2).contiguous().view(b, t, C))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.c_fc = nn.Linear(C, 4 * C, bias=False)
        self.c_proj = nn.Linear(4 * C, C, bias=False)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate=args.gelu))


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.attn, self.ln_2, self.mlp = LayerNorm(C), Attention(), LayerNorm(C), MLP()

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(V, C), nn.Embedding(T, C)
        self.h = nn.ModuleList([Block() for _ in range(L)])
        self.ln_f = LayerNorm(C)
        self.lm_head = nn.Linear(C, V, bias=False)
        self.wte.weight = self.lm_head.weight
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0.0, 0.02)
        for name, p in self.named_parameters():
            if name.endswith('c_proj.weight'):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * L))

    def forward(self, idx, targets):  # (B, T), (B, T)
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))  # (B, T, C)
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))  # (B, T, V)
        return F.cross_entropy(logits.view(-1, V), targets.view(-1))


model = GPT()
params = list(model.parameters())
opt = torch.optim.AdamW([{'params': [p for p in params if p.dim() >= 2], 'weight_decay': 0.1},
                         {'params': [p for p in params if p.dim() < 2], 'weight_decay': 0.0}], lr=LR, betas=(0.9, 0.99))


def batch(split):
    d = train_data if split == 'train' else val_data
    ix = torch.randint(len(d) - T, (B,))
    return torch.stack([d[i:i + T] for i in ix]), torch.stack([d[i + 1:i + 1 + T] for i in ix])


def lr_at(it, gradpath_warmup):
    if it < WARMUP:  # nanoGPT: (it+1)/(warmup+1); gradpath: (it+1)/warmup
        return LR * (it + 1) / (WARMUP if gradpath_warmup else WARMUP + 1)
    if it > DECAY_ITERS:
        return MIN_LR
    return MIN_LR + 0.5 * (1 + math.cos(math.pi * (it - WARMUP) / (DECAY_ITERS - WARMUP))) * (LR - MIN_LR)


def step(it, x, y, gradpath_warmup=False):
    for g in opt.param_groups:
        g['lr'] = lr_at(it, gradpath_warmup)
    loss = model(x, y)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    norm = float(torch.nn.utils.clip_grad_norm_(params, 1.0))
    opt.step()
    return loss.item(), norm


@torch.no_grad()
def exact(d):  # every character predicted once, in consecutive windows of T
    model.eval()
    w = (len(d) - 1) // T
    x, y = d[:w * T].view(w, T), d[1:w * T + 1].view(w, T)
    total = sum(model(x[i:i + 256], y[i:i + 256]).item() * len(x[i:i + 256]) for i in range(0, w, 256))
    model.train()
    return total / w


@torch.no_grad()
def estimate(split):
    model.eval()
    loss = sum(model(*batch(split)).item() for _ in range(20)) / 20
    model.train()
    return loss


t0 = time.time()
if args.lockstep:
    out = args.lockstep
    os.makedirs(out, exist_ok=True)
    names = [name for name, _ in model.named_parameters()]  # the tied matrix is listed once, as wte.weight
    sd = model.state_dict()
    with open(os.path.join(out, 'init.bin'), 'wb') as f:
        for name in names:
            f.write(sd[name].contiguous().numpy().astype('<f4').tobytes())
    json.dump([[name, list(sd[name].shape)] for name in names], open(os.path.join(out, 'init.json'), 'w'))
    batches = [batch('train') for _ in range(args.iters)]
    np.stack([x.numpy() for x, _ in batches]).astype('<i4').tofile(os.path.join(out, 'x.bin'))
    np.stack([y.numpy() for _, y in batches]).astype('<i4').tofile(os.path.join(out, 'y.bin'))
    losses, norms = zip(*(step(it, x, y, gradpath_warmup=True) for it, (x, y) in enumerate(batches)))
    result = {'seed': args.seed, 'gelu': args.gelu, 'iters': args.iters, 'exact_val': round(exact(val_data), 4)}
    json.dump({**result, 'losses': losses, 'norms': norms}, open(os.path.join(out, 'torch.json'), 'w'))
else:
    for it in range(args.iters + 1):  # nanoGPT runs iterations 0..max_iters
        if it % 250 == 0:
            est = {'train': estimate('train'), 'val': estimate('val')}
            print(f"step {it}: train loss {est['train']:.4f}, val loss {est['val']:.4f} ({time.time() - t0:.0f} s)", flush=True)
        step(it, *batch('train'))
    result = {'seed': args.seed, 'gelu': args.gelu, 'estimate_val': round(est['val'], 4), 'exact_val': round(exact(val_data), 4), 'exact_train': round(exact(train_data), 4)}
print(json.dumps({**result, 'seconds': round(time.time() - t0, 1)}), flush=True)
