import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { GradpathError } from '../../util/errors.js';
import { writeFileAtomic } from '../../io/atomic.js';
import type { Tokenizer } from './bpe.js';
import type { GPT2, GPT2Config } from './model.js';
import { saveHF } from './weights.js';
import { saveHFTokenizer } from './hf_tokenizer.js';
import { EOT_TEXT } from './gpt2_tokenizer.js';

/**
 * A folder Hugging Face's `GPT2LMHeadModel.from_pretrained(dir)` and `AutoTokenizer` load as
 * they are: model.safetensors (HF names, Conv1D weights (in, out), vocabulary unpadded),
 * config.json (GPT2Config's fields), vocab.json + merges.txt + tokenizer_config.json.
 */

/** GPT2Config for our model: GPT-2's architecture choices (tanh GELU = "gelu_new", scaled attention, tied head). */
export function hfConfig(c: Required<GPT2Config>, eotId: number | null): Record<string, unknown> {
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: c.vocabSize,
    n_positions: c.blockSize,
    n_ctx: c.blockSize, // older readers take the context length from here
    n_embd: c.nEmbd,
    n_layer: c.nLayer,
    n_head: c.nHead,
    n_inner: null, // 4 * n_embd
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    // gradpath trains GPT-2 without dropout; HF's defaults (0.1) would apply only to further training
    resid_pdrop: 0.0,
    embd_pdrop: 0.0,
    attn_pdrop: 0.0,
    initializer_range: 0.02,
    scale_attn_weights: true,
    scale_attn_by_inverse_layer_idx: false,
    reorder_and_upcast_attn: false,
    summary_type: 'cls_index',
    summary_use_proj: true,
    summary_activation: null,
    summary_proj_to_labels: true,
    summary_first_dropout: 0.1,
    tie_word_embeddings: true,
    use_cache: true,
    bos_token_id: eotId,
    eos_token_id: eotId,
    torch_dtype: 'float32',
  };
}

/** Writes the folder; returns the file names written. The tokenizer must fit the model's vocabulary. */
export function saveHFFolder(dir: string, model: GPT2, tokenizer: Tokenizer): string[] {
  const c = model.gpt2;
  if (tokenizer.vocabSize > c.vocabSize) {
    throw new GradpathError(`export: the tokenizer has ${tokenizer.vocabSize} tokens but the model's vocabulary is ${c.vocabSize}; pass the tokenizer the model was trained with (--encoding)`);
  }
  if (statSync(dir, { throwIfNoEntry: false })?.isFile()) throw new GradpathError(`export: ${dir} is a file; -o names a folder for --format hf (or end it in .safetensors for the weights alone)`);
  mkdirSync(dir, { recursive: true });
  saveHF(join(dir, 'model.safetensors'), model);
  writeFileAtomic(join(dir, 'config.json'), JSON.stringify(hfConfig(c, tokenizer.specialTokens.get(EOT_TEXT) ?? null), null, 2) + '\n');
  return ['model.safetensors', 'config.json', ...saveHFTokenizer(dir, tokenizer, { modelMaxLength: c.blockSize })];
}
