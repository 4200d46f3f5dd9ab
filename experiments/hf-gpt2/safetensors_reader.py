"""A safetensors reader with the standard library and numpy (the format: an 8-byte little-endian
header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}}, then the
raw little-endian data). Shared by the experiments that check gradpath's exports from Python."""
import json, struct

import numpy as np
import torch

DTYPES = {'F32': np.float32, 'F16': np.float16, 'I32': np.int32, 'I64': np.int64}


def read_safetensors(path):
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    body = memoryview(raw)[8 + n:]
    out = {}
    for name, t in header.items():
        begin, end = t['data_offsets']
        if t['dtype'] == 'BF16':
            bits = np.frombuffer(body[begin:end], dtype=np.uint16).astype(np.uint32) << 16
            arr = bits.view(np.float32)
        else:
            arr = np.frombuffer(body[begin:end], dtype=DTYPES[t['dtype']])
        out[name] = torch.from_numpy(arr.reshape(t['shape']).astype(np.float32, copy=True))
    return out, meta


def read_logits_dump(dump_dir):
    """gradpath's side of a comparison, as dump.mjs writes it: (windows (B, T) token ids, logits (B, T, V), meta.json)."""
    with open(f'{dump_dir}/meta.json') as f:
        dump = json.load(f)
    B, T, V = dump['B'], dump['T'], dump['vocab']
    logits = torch.from_numpy(np.fromfile(f'{dump_dir}/logits.bin', dtype=np.float32).reshape(B, T, V))
    return torch.tensor(dump['windows'], dtype=torch.long), logits, dump
