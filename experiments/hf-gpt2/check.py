"""Reads a folder written by `gradpath gpt2 export --format hf` the way Hugging Face's
from_pretrained would, with nothing but the standard library, numpy and PyTorch:

  1. config.json -> the GPT2Config fields a GPT2LMHeadModel is built from;
  2. model.safetensors -> tensors (the format: an 8-byte little-endian header length, a JSON
     header {name: {dtype, shape, data_offsets}}, then the raw data), HF's names, an optional
     'transformer.' prefix, Conv1D weights stored (in, out);
  3. a GPT-2 forward written from those config semantics (learned positions, pre-LayerNorm
     blocks with layer_norm_epsilon, Conv1D projections x @ W + b, attention scaled by
     1/sqrt(head size) when scale_attn_weights, the activation_function named in the config,
     final LayerNorm, logits from the tied wte);
  4. vocab.json + merges.txt -> a byte-level BPE tokenizer (GPT-2's byte -> character table,
     its pre-split regex, merges applied lowest rank first, <|endoftext|> as one id).

It compares the logits with gradpath's (dump.mjs) and the token ids of the whole text.
  python3 experiments/hf-gpt2/check.py HF_DIR GRADPATH_DUMP_DIR [--json]
"""
import argparse, json, math, os, sys

import numpy as np
import regex  # Debian: python3-regex (\p{L} and \p{N} in the pre-split)
import torch

from safetensors_reader import read_logits_dump, read_safetensors


def activation(name):
    if name == 'gelu_new':  # GPT-2's tanh approximation
        return lambda x: 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))
    if name == 'gelu':
        return lambda x: torch.nn.functional.gelu(x)
    if name == 'relu':
        return torch.relu
    raise SystemExit(f'activation_function {name!r} is not one this check knows')


class GPT2:
    """GPT2LMHeadModel's computation, from config.json and the state dict, in eval mode."""

    def __init__(self, cfg, sd):
        self.cfg = cfg
        self.sd = {k[len('transformer.'):] if k.startswith('transformer.') else k: v for k, v in sd.items()}
        for k in list(self.sd):
            if k.endswith('.attn.bias') or k.endswith('.attn.masked_bias'):
                del self.sd[k]  # buffers (the causal mask), not weights
        self.act = activation(cfg['activation_function'])
        self.eps = cfg['layer_norm_epsilon']
        C, L = cfg['n_embd'], cfg['n_layer']
        expect = {'wte.weight': (cfg['vocab_size'], C), 'wpe.weight': (cfg['n_positions'], C), 'ln_f.weight': (C,), 'ln_f.bias': (C,)}
        inner = cfg.get('n_inner') or 4 * C
        for i in range(L):
            expect.update({f'h.{i}.ln_1.weight': (C,), f'h.{i}.ln_1.bias': (C,), f'h.{i}.attn.c_attn.weight': (C, 3 * C), f'h.{i}.attn.c_attn.bias': (3 * C,),
                           f'h.{i}.attn.c_proj.weight': (C, C), f'h.{i}.attn.c_proj.bias': (C,), f'h.{i}.ln_2.weight': (C,), f'h.{i}.ln_2.bias': (C,),
                           f'h.{i}.mlp.c_fc.weight': (C, inner), f'h.{i}.mlp.c_fc.bias': (inner,), f'h.{i}.mlp.c_proj.weight': (inner, C), f'h.{i}.mlp.c_proj.bias': (C,)})
        lm = self.sd.pop('lm_head.weight', None)
        if lm is not None and not torch.equal(lm, self.sd['wte.weight']):
            raise SystemExit('lm_head.weight differs from wte.weight, but tie_word_embeddings is set')
        missing = sorted(set(expect) - set(self.sd))
        extra = sorted(set(self.sd) - set(expect))
        wrong = [k for k in expect if k in self.sd and tuple(self.sd[k].shape) != expect[k]]
        if missing or extra or wrong:
            raise SystemExit(f'state dict does not fit config.json: missing {missing[:3]}, unexpected {extra[:3]}, wrong shapes {[(k, tuple(self.sd[k].shape), expect[k]) for k in wrong[:3]]}')

    def ln(self, x, p):
        return torch.nn.functional.layer_norm(x, x.shape[-1:], self.sd[p + '.weight'], self.sd[p + '.bias'], self.eps)

    def conv1d(self, x, p):  # HF's Conv1D: weight (in, out)
        return x @ self.sd[p + '.weight'] + self.sd[p + '.bias']

    @torch.no_grad()
    def __call__(self, idx):  # (B, T) -> (B, T, vocab)
        cfg, sd = self.cfg, self.sd
        B, T = idx.shape
        nh, C = cfg['n_head'], cfg['n_embd']
        hs = C // nh
        x = sd['wte.weight'][idx] + sd['wpe.weight'][torch.arange(T)]
        mask = torch.ones(T, T, dtype=torch.bool).tril()
        for i in range(cfg['n_layer']):
            h = f'h.{i}'
            q, k, v = self.conv1d(self.ln(x, h + '.ln_1'), h + '.attn.c_attn').split(C, dim=2)
            q, k, v = (t.view(B, T, nh, hs).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
            att = q @ k.transpose(-2, -1)
            if cfg.get('scale_attn_weights', True):
                att = att / math.sqrt(hs)
            if cfg.get('scale_attn_by_inverse_layer_idx', False):
                att = att / (i + 1)
            att = att.masked_fill(~mask, float('-inf')).softmax(dim=-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, C)
            x = x + self.conv1d(y, h + '.attn.c_proj')
            x = x + self.conv1d(self.act(self.conv1d(self.ln(x, h + '.ln_2'), h + '.mlp.c_fc')), h + '.mlp.c_proj')
        return self.ln(x, 'ln_f') @ sd['wte.weight'].T


# ---------------------------------------------------------------- the tokenizer

GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""


def byte_table():
    """GPT-2's byte -> character map: printable Latin-1 bytes are themselves, the 68 others U+0100 on."""
    keep = [b for b in range(256) if 33 <= b <= 126 or 161 <= b <= 172 or 174 <= b <= 255]
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


class ByteLevelBPE:
    def __init__(self, folder):
        with open(os.path.join(folder, 'vocab.json'), encoding='utf-8') as f:
            self.vocab = json.load(f)
        with open(os.path.join(folder, 'merges.txt'), encoding='utf-8') as f:
            lines = [l for l in f.read().split('\n') if l and not l.startswith('#version')]
        self.ranks = {tuple(l.split(' ')): r for r, l in enumerate(lines)}
        self.table = byte_table()
        self.specials = [t for t in self.vocab if t.startswith('<|') and t.endswith('|>')]
        self.split = regex.compile(GPT2_PATTERN)
        self.cache = {}

    def bpe(self, word):
        parts = list(word)
        while len(parts) > 1:
            pairs = [(self.ranks.get((a, b), math.inf), i) for i, (a, b) in enumerate(zip(parts, parts[1:]))]
            rank, i = min(pairs)
            if rank == math.inf:
                break
            parts[i:i + 2] = [parts[i] + parts[i + 1]]
        return [self.vocab[p] for p in parts]

    def encode_ordinary(self, text):
        out = []
        for piece in self.split.findall(text):
            if piece not in self.cache:
                self.cache[piece] = self.bpe(''.join(self.table[b] for b in piece.encode('utf-8')))
            out.extend(self.cache[piece])
        return out

    def encode(self, text):
        if not self.specials:
            return self.encode_ordinary(text)
        out = []
        chunks = regex.split('(' + '|'.join(regex.escape(s) for s in self.specials) + ')', text)
        for c in chunks:
            if c in self.vocab and c in self.specials:
                out.append(self.vocab[c])
            elif c:
                out.extend(self.encode_ordinary(c))
        return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('hf_dir')
    ap.add_argument('dump_dir')
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args()
    with open(os.path.join(a.hf_dir, 'config.json')) as f:
        cfg = json.load(f)
    for k in ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head', 'layer_norm_epsilon', 'activation_function', 'architectures', 'model_type']:
        if k not in cfg:
            raise SystemExit(f'config.json has no {k}')
    assert cfg['model_type'] == 'gpt2' and cfg['architectures'] == ['GPT2LMHeadModel'], cfg
    sd, meta = read_safetensors(os.path.join(a.hf_dir, 'model.safetensors'))
    if meta.get('format') != 'pt':
        raise SystemExit(f"model.safetensors metadata {meta}: transformers needs format 'pt'")
    model = GPT2(cfg, sd)

    idx, ours, dump = read_logits_dump(a.dump_dir)
    B, T, V = ours.shape
    torch.set_num_threads(1)
    theirs = model(idx)
    diff = (theirs - ours).abs().max().item()
    scale = theirs.abs().max().item()
    # the same forward in float64: how far each float32 result is from exact
    model64 = GPT2(cfg, {k: v.double() for k, v in sd.items()})
    exact = model64(idx)
    torch_err = (theirs.double() - exact).abs().max().item()
    ours_err = (ours.double() - exact).abs().max().item()
    same_argmax = (theirs.argmax(-1) == ours.argmax(-1)).float().mean().item()

    tok = ByteLevelBPE(a.hf_dir)
    with open(dump['text'], encoding='utf-8') as f:
        text = f.read() + dump['extra']
    ids = tok.encode(text)
    same_ids = ids == dump['text_ids']
    first_diff = next((i for i, (x, y) in enumerate(zip(ids, dump['text_ids'])) if x != y), None)

    r = {'config': {k: cfg[k] for k in ['vocab_size', 'n_positions', 'n_embd', 'n_layer', 'n_head', 'activation_function']},
         'logits_shape': [B, T, V], 'max_abs_diff': diff, 'max_abs_logit': scale, 'torch_f32_vs_f64': torch_err, 'gradpath_f32_vs_f64': ours_err,
         'argmax_agreement': same_argmax, 'tokens': len(ids), 'token_ids_identical': same_ids, 'first_differing_token': first_diff}
    if a.json:
        print(json.dumps(r))
    else:
        print(f"config: {r['config']}")
        print(f'logits ({B}, {T}, {V}): max |PyTorch - gradpath| = {diff:.3g} (largest |logit| {scale:.3g}); '
              f'against a float64 forward: PyTorch {torch_err:.3g}, gradpath {ours_err:.3g}; same argmax at {100 * same_argmax:.2f}% of positions')
        print(f'tokenizer: {len(ids)} ids from vocab.json + merges.txt, identical to gradpath\'s: {same_ids}' + ('' if same_ids else f' (first difference at {first_diff})'))
    tol = 1e-4 * max(1.0, scale)
    ok = diff <= tol and same_ids
    if not ok:
        print(f'FAILED: tolerance {tol:.3g}', file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
