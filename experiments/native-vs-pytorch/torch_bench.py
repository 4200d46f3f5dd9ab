"""Times PyTorch on the work `gradpath bench` times: matmul GFLOP/s, and training steps (forward,
backward, AdamW) of the small GPT (nanoGPT's CPU shape) and GPT-2 124M. The model is the same
architecture as gradpath's models/gpt.ts: pre-LayerNorm blocks with biases, causal attention,
a 4x tanh-GELU MLP, a head tied to the token embedding. Prints one JSON line.

  /usr/bin/python3 torch_bench.py matmul --threads 2
  /usr/bin/python3 torch_bench.py train --model small --steps 10 --threads 2
"""
import argparse, json, math, resource, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS = {
    'small': dict(vocab=65, block=64, layers=4, heads=4, embd=128, batch=12),
    'gpt2': dict(vocab=50257, block=1024, layers=12, heads=12, embd=768, batch=4),
}


class Block(nn.Module):
    def __init__(self, c, h):
        super().__init__()
        self.h = h
        self.ln_1, self.ln_2 = nn.LayerNorm(c), nn.LayerNorm(c)
        self.c_attn, self.attn_proj = nn.Linear(c, 3 * c), nn.Linear(c, c)
        self.c_fc, self.c_proj = nn.Linear(c, 4 * c), nn.Linear(4 * c, c)

    def forward(self, x):  # (B, T, C)
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))  # (B, H, T, D)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // self.h))
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        att = F.softmax(att.masked_fill(~mask, float('-inf')), dim=-1)
        x = x + self.attn_proj((att @ v).transpose(1, 2).reshape(B, T, C))
        return x + self.c_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate='tanh'))


class GPT(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(m['vocab'], m['embd']), nn.Embedding(m['block'], m['embd'])
        self.blocks = nn.ModuleList(Block(m['embd'], m['heads']) for _ in range(m['layers']))
        self.ln_f = nn.LayerNorm(m['embd'])
        for p in self.parameters():
            nn.init.normal_(p, std=0.02) if p.dim() > 1 else nn.init.zeros_(p)

    def forward(self, idx, targets):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for b in self.blocks:
            x = b(x)
        logits = self.ln_f(x) @ self.wte.weight.t()  # the tied head
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def median_rate(fn, flops, reps):
    fn()
    rates = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        rates.append(flops / (time.perf_counter() - t0) / 1e9)
    return statistics.median(rates)


def bench_matmul(reps):
    out = []
    for m, k, n in [(1024, 1024, 1024), (4096, 768, 3072)]:
        a, b = torch.randn(m, k), torch.randn(k, n)
        c = torch.empty(m, n)
        out.append(dict(m=m, k=k, n=n, gflops=round(median_rate(lambda: torch.matmul(a, b, out=c), 2 * m * k * n, reps), 2)))
    return dict(results=out)


def bench_train(model, steps, batch, seq):
    m = MODELS[model]
    torch.manual_seed(1337)
    net = GPT(m)
    opt = torch.optim.AdamW(net.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.1)
    batch = batch or m['batch']
    times, cpu = [], []
    for i in range(steps + 1):
        x = torch.randint(0, m['vocab'], (batch, seq))
        y = torch.randint(0, m['vocab'], (batch, seq))
        t0, c0 = time.perf_counter(), time.process_time()
        loss = net(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if i > 0:
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    params = sum(p.numel() for p in net.parameters())
    return dict(model=model, params=params, batch_size=batch, seq_len=seq, steps=steps,
                ms_per_step=round(statistics.median(times), 2), cpu_ms_per_step=round(statistics.median(cpu), 1),
                peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1))


if __name__ == '__main__':
    ap = argparse.ArgumentParser()
    ap.add_argument('what', choices=['matmul', 'train'])
    ap.add_argument('--model', choices=list(MODELS), default='small')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--batch-size', type=int, default=0)
    ap.add_argument('--seq-len', type=int, default=64)
    ap.add_argument('--reps', type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    r = bench_matmul(a.reps) if a.what == 'matmul' else bench_train(a.model, a.steps, a.batch_size, a.seq_len)
    r.update(backend='pytorch', torch=torch.__version__, threads=torch.get_num_threads())
    print(json.dumps(r))
