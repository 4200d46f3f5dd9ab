import { defineCommand } from './args.js';
import { transformerFlags } from './transformer-flags.js';
import { parallelFlags, dataParallelOptions, checkParallelModes } from './parallel-flags.js';
import { commonFlags } from './flags.js';
import { checkCheckpoints, leaveNoTrace } from './preflight.js';
import { runChargpt } from '../chapters/transformers/chargpt.js';
import { loadChargpt, saveNanoGPT } from '../chapters/transformers/export.js';
import { GradpathError } from '../util/errors.js';

const exportCmd = defineCommand({
  name: 'export',
  summary: "Write a chargpt checkpoint in nanoGPT's layout (model.safetensors, GPTConfig as config.json, meta.json)",
  usage: 'gradpath chargpt export --init-from RUN_DIR|FILE -o DIR [--format nanogpt]',
  description: `nanoGPT's GPT loads the folder with load_state_dict (see experiments/nanogpt-export).

Example:
  gradpath chargpt export --init-from runs/chargpt-cpu -o exports/chargpt-nanogpt`,
  options: {
    'init-from': { type: 'string', help: 'A chargpt run directory (its best checkpoint, else latest) or a checkpoint file', placeholder: 'PATH' },
    out: { type: 'string', short: 'o', aliases: ['out-dir', 'output'], path: 'out-dir', help: 'Output folder', placeholder: 'DIR' },
    format: { type: 'choice', choices: ['nanogpt'], default: 'nanogpt', help: "nanogpt: nanoGPT's model.py names and GPTConfig" },
  },
  run(opts) {
    if (!opts.initFrom || !opts.out) throw new GradpathError('gradpath chargpt export: --init-from RUN_DIR|FILE and -o DIR are required');
    const { model, config, file, step } = loadChargpt(opts.initFrom);
    const files = saveNanoGPT(opts.out, model, config, config.vocab);
    console.log(`${file} (iteration ${step}) -> ${opts.format}: wrote ${opts.out}/{${files.join(',')}}`);
  },
});

/** `gradpath chargpt`: nanoGPT's shakespeare_char, with the attention designs that came after GPT-2. */
export const command = defineCommand({
  name: 'chargpt',
  summary: "A character-level GPT on Shakespeare (nanoGPT's shakespeare_char), with MHA/GQA/MQA/MLA attention and RoPE",
  usage: 'gradpath chargpt [options]   (train, sample, evaluate)  |  gradpath chargpt export --init-from RUN_DIR -o DIR',
  description: `
Trains nanoGPT's character-level GPT: token + position embeddings, pre-LayerNorm blocks, a tied head,
AdamW with warmup and cosine decay. Evaluates both splits every --eval-every iterations, keeps the
best model, prints samples at the end. Ctrl-C saves; --resume continues exactly.

Examples:
  gradpath chargpt --preset cpu -i tinyshakespeare.txt   # or set GRADPATH_DATA_DIR to its folder
  gradpath chargpt --preset cpu --attention mla --max-steps 500 --json
  gradpath chargpt --report-kv --attention gqa --n-kv-head 2
  gradpath chargpt -o runs/chargpt-cpu --sample-only --prompt "ROMEO:"
  gradpath chargpt -o runs/chargpt-cpu --eval-only --json
  gradpath launch -n 2 -- chargpt --preset cpu --dp 2 --zero 1   # data parallel over 2 ranks
  gradpath launch -n 2 -- chargpt --tp 2 --sequence-parallel --max-steps 200   # tensor + sequence parallel
  gradpath launch -n 2 -- chargpt --pp 2 --pp-schedule 1f1b --micro-batches 4  # pipeline parallel`,
  options: {
    ...transformerFlags,
    ...parallelFlags,
    'sample-only': { type: 'boolean', help: 'Only sample from the checkpoint in --out' },
    'eval-only': { type: 'boolean', help: "Only measure the checkpoint in --out: exact loss over every window of both splits (not --eval-iters' estimate)" },
    'num-samples': { type: 'int', min: 0, default: 2, help: 'Samples printed at the end' },
    'max-new-tokens': { ...commonFlags['max-new-tokens'], default: 500, help: 'Characters per sample' },
    prompt: { type: 'string', aliases: ['start'], help: 'Start of every sample (default: a newline)' },
    temperature: { type: 'float', min: 0.01, default: 0.8, help: 'Sampling temperature' },
    'top-k': { type: 'int', min: 1, default: 200, help: 'Sample among the k most likely characters' },
    'report-kv': { type: 'boolean', help: 'Print KV-cache sizes of MHA, GQA, MQA and MLA at this model size (formulas and measured)' },
    'kv-tokens': { type: 'int', min: 2, help: 'Tokens generated for --report-kv (default: block size)' },
  },
  subcommands: [exportCmd],
  run: (o) => {
    checkParallelModes(o);
    const out = o.out ?? `runs/chargpt-${o.preset}`;
    checkCheckpoints(out, [...(o.resume ? ['latest.safetensors'] : []), ...(o.sampleOnly || o.evalOnly ? ['best.safetensors'] : [])]);
    return leaveNoTrace(out, () => runChargpt({ ...o, out, parallel: dataParallelOptions(o) }));
  },
});
