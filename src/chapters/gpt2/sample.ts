import type { Generator } from '../../util/random.js';
import { Tensor } from '../../engine/tensor.js';
import { GradpathError } from '../../util/errors.js';
import type { GPT2 } from './model.js';
import type { Tokenizer } from './bpe.js';
import { EOT, gpt2Tokenizer } from './gpt2_tokenizer.js';

/** Text sampled after a prompt (or after <|endoftext|>), top-k. */
export function sample(model: GPT2, opts: { prompt?: string; maxNewTokens: number; topK?: number; temperature?: number; generator?: Generator }, tok: Tokenizer = gpt2Tokenizer()): string {
  const V = model.gpt2.vocabSize;
  const prompt = opts.prompt ? tok.encode(opts.prompt) : [V > EOT ? EOT : 0];
  for (const id of prompt) if (id >= V) throw new GradpathError(`gpt2 sample: the prompt has token ${id}, outside the model's vocabulary of ${V}`);
  const out = model.generate(new Tensor(Int32Array.from(prompt), [1, prompt.length]), opts.maxNewTokens, { topK: opts.topK, temperature: opts.temperature, generator: opts.generator });
  const ids = Array.from(out.intValues());
  return tok.decode(opts.prompt ? ids : ids.slice(1));
}
