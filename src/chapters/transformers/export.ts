import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GradpathError } from '../../util/errors.js';
import { Generator } from '../../util/random.js';
import { loadCheckpoint } from '../../io/checkpoint.js';
import { saveSafetensors, type TensorData } from '../../io/safetensors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import type { GPT, AttentionLayer } from '../../models/gpt.js';
import { buildModel, type TransformerConfig } from './model.js';

/**
 * chargpt's checkpoints in nanoGPT's layout (github.com/karpathy/nanoGPT, model.py), so its GPT
 * takes them with load_state_dict:
 *   - model.safetensors: `transformer.` before every name but the head's, `lm_head.weight` written
 *     out although it is the same tensor as `transformer.wte.weight` (nanoGPT's state_dict lists
 *     both); every Linear already is nn.Linear's (out, in), as nanoGPT's are, so nothing is transposed;
 *   - config.json: the keyword arguments of nanoGPT's GPTConfig (its checkpoint's model_args);
 *   - meta.json: what nanoGPT's data/shakespeare_char/meta.pkl holds (vocab_size, itos, stoi).
 * nanoGPT's MLP uses the exact (erf) GELU where gradpath uses the tanh approximation: logits
 * differ by the approximation (see experiments/nanogpt-export).
 */

/** What a chargpt checkpoint's config holds besides the model's shape. */
export type ChargptConfig = TransformerConfig & { vocab: string };

/** nanoGPT's model has multi-head attention with a learned position table only. */
export function checkNanoGPTCompatible(c: TransformerConfig): void {
  if (c.attention !== 'mha') throw new GradpathError(`export --format nanogpt: this model uses --attention ${c.attention}; nanoGPT's GPT has multi-head attention only (train with --attention mha)`);
  if (c.pos === 'rope') throw new GradpathError("export --format nanogpt: this model uses rotary positions; nanoGPT's GPT has a learned position table (train with --pos learned)");
  if (c.bidirectional) throw new GradpathError("export --format nanogpt: this model is an encoder (bidirectional attention); nanoGPT's GPT is causal");
}

/** nanoGPT's GPTConfig(**config) for this model. */
export function nanoGPTConfig(c: TransformerConfig): Record<string, number | boolean> {
  return { block_size: c.blockSize, vocab_size: c.vocabSize, n_layer: c.nLayer, n_head: c.nHead, n_embd: c.nEmbd, dropout: c.dropout ?? 0, bias: c.bias ?? true };
}

/** Our state dict under nanoGPT's names. */
export function nanoGPTState(model: GPT<AttentionLayer>): Record<string, TensorData> {
  const out: Record<string, TensorData> = {};
  for (const [name, t] of Object.entries(model.stateDict())) {
    out[`transformer.${name}`] = { shape: [...t.shape], data: t.values() as Float32Array };
  }
  const wte = out['transformer.wte.weight'];
  if (model.config.tieWeights !== false) out['lm_head.weight'] = { shape: wte.shape, data: wte.data };
  else {
    const head = out['transformer.lm_head.weight'];
    delete out['transformer.lm_head.weight'];
    out['lm_head.weight'] = head;
  }
  return out;
}

/** Writes model.safetensors, config.json and meta.json into dir; returns their names. */
export function saveNanoGPT(dir: string, model: GPT<AttentionLayer>, config: TransformerConfig, vocab: string): string[] {
  checkNanoGPTCompatible(config);
  const chars = Array.from(vocab);
  if (chars.length !== config.vocabSize) throw new GradpathError(`export: the vocabulary has ${chars.length} characters but the model ${config.vocabSize} rows`);
  if (statSync(dir, { throwIfNoEntry: false })?.isFile()) throw new GradpathError(`export: ${dir} is a file; -o names the folder to write`);
  mkdirSync(dir, { recursive: true });
  saveSafetensors(join(dir, 'model.safetensors'), nanoGPTState(model), { format: 'pt' });
  writeFileAtomic(join(dir, 'config.json'), JSON.stringify(nanoGPTConfig(config), null, 2) + '\n');
  const meta = { vocab_size: chars.length, itos: Object.fromEntries(chars.map((c, i) => [i, c])), stoi: Object.fromEntries(chars.map((c, i) => [c, i])) };
  writeFileAtomic(join(dir, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
  return ['model.safetensors', 'config.json', 'meta.json'];
}

/** A chargpt checkpoint file, or a run directory (its best checkpoint, else its latest), as a model. */
export function loadChargpt(path: string): { model: GPT<AttentionLayer>; config: ChargptConfig; file: string; step: number } {
  let file = path;
  if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    const name = ['best.safetensors', 'latest.safetensors'].find((n) => existsSync(join(path, n)));
    if (!name) throw new GradpathError(`${path}: no best.safetensors or latest.safetensors in this run directory (train with \`gradpath chargpt -o ${path}\` first)`);
    file = join(path, name);
  } else if (!existsSync(path)) throw new GradpathError(`${path} does not exist; pass a chargpt run directory or one of its checkpoints`);
  const ck = loadCheckpoint(file, { kind: 'chargpt' });
  const config = ck.config as unknown as ChargptConfig;
  const { model } = buildModel(config, new Generator(0));
  model.loadStateDict(ck.model);
  return { model, config, file, step: ck.step };
}
