"""Loads a folder written by `gradpath chargpt export --format nanogpt` into nanoGPT's own GPT
(model.py of a nanoGPT checkout, imported from --nanogpt DIR, never copied) with load_state_dict,
and compares its logits with gradpath's (dump.mjs) on the same characters.

nanoGPT's MLP uses PyTorch's exact (erf) GELU; gradpath's GPT uses the tanh approximation (as
GPT-2 does). The check runs nanoGPT's model as it is, and again with its MLPs' GELU set to
nn.GELU(approximate='tanh'): the second is the same function as gradpath's.
  python3 experiments/nanogpt-export/check.py --nanogpt DIR EXPORT_DIR DUMP_DIR [--json]
"""
import argparse, json, os, sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'hf-gpt2'))
from safetensors_reader import read_logits_dump, read_safetensors  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--nanogpt', required=True, help='a nanoGPT checkout (holds model.py)')
    ap.add_argument('export_dir')
    ap.add_argument('dump_dir')
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args()
    if not os.path.isfile(os.path.join(a.nanogpt, 'model.py')):
        raise SystemExit(f'--nanogpt {a.nanogpt}: no model.py there; pass the path of a nanoGPT checkout')
    sys.dont_write_bytecode = True  # leave the nanoGPT checkout as it is (no __pycache__)
    sys.path.insert(0, os.path.abspath(a.nanogpt))
    from model import GPT, GPTConfig  # nanoGPT's

    with open(os.path.join(a.export_dir, 'config.json')) as f:
        model_args = json.load(f)
    with open(os.path.join(a.export_dir, 'meta.json')) as f:
        meta = json.load(f)
    assert meta['vocab_size'] == model_args['vocab_size'] == len(meta['itos']), 'meta.json and config.json disagree'
    torch.manual_seed(0)
    model = GPT(GPTConfig(**model_args))
    sd, _ = read_safetensors(os.path.join(a.export_dir, 'model.safetensors'))
    # without PyTorch 2's scaled_dot_product_attention, nanoGPT keeps its causal mask as a buffer
    # named attn.bias in the state dict; it is built by the model, not trained: take the model's own
    own = model.state_dict()
    buffers = [k for k in own if k.endswith('.attn.bias') and k not in sd and k not in dict(model.named_parameters())]
    for k in buffers:
        sd[k] = own[k]
    result = model.load_state_dict(sd, strict=True)  # raises on any missing or unexpected name, or a wrong shape
    tied = model.lm_head.weight.data_ptr() == model.transformer.wte.weight.data_ptr()
    model.eval()

    idx, ours, _ = read_logits_dump(a.dump_dir)
    B, T, V = ours.shape
    torch.set_num_threads(1)

    def logits():
        with torch.no_grad():
            out, _ = model(idx, targets=torch.zeros_like(idx))  # with targets nanoGPT returns every position's logits
        return out

    exact_gelu = logits()
    for block in model.transformer.h:
        block.mlp.gelu = nn.GELU(approximate='tanh')
    tanh_gelu = logits()
    r = {
        'model_args': model_args, 'load_state_dict': str(result), 'mask_buffers_from_model': len(buffers), 'head_tied': tied,
        'logits_shape': [B, T, V], 'max_abs_logit': tanh_gelu.abs().max().item(),
        'max_abs_diff_tanh_gelu': (tanh_gelu - ours).abs().max().item(),
        'max_abs_diff_exact_gelu': (exact_gelu - ours).abs().max().item(),
        'argmax_agreement_exact_gelu': (exact_gelu.argmax(-1) == ours.argmax(-1)).float().mean().item(),
    }
    if a.json:
        print(json.dumps(r))
    else:
        print(f"nanoGPT GPT(GPTConfig(**{model_args})): load_state_dict(strict=True) -> {result}; "
              f"{len(buffers)} causal-mask buffers from the model itself; lm_head tied to wte: {tied}")
        print(f"logits ({B}, {T}, {V}), largest |logit| {r['max_abs_logit']:.3g}:")
        print(f"  nanoGPT with tanh GELU (gradpath's function): max |diff| {r['max_abs_diff_tanh_gelu']:.3g}")
        print(f"  nanoGPT as it is (exact GELU):                max |diff| {r['max_abs_diff_exact_gelu']:.3g}, same argmax at {100 * r['argmax_agreement_exact_gelu']:.2f}% of positions")
    ok = r['max_abs_diff_tanh_gelu'] <= 1e-4 * max(1.0, r['max_abs_logit'])
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
