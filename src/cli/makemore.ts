import { defineCommand } from './args.js';
import { MODEL_TYPES, type ModelType } from '../chapters/makemore/models/index.js';
import { runMakemore } from '../chapters/makemore/run.js';
import { watchInterrupt } from '../util/interrupt.js';
import { commonFlags } from './flags.js';
import { backendName } from '../engine/device.js';
import { checkCheckpoints, leaveNoTrace } from './preflight.js';

export const command = defineCommand({
  name: 'makemore',
  summary: 'Character-level language models (bigram, MLP, WaveNet, RNN, GRU, LSTM, BoW, Transformer) that make more names',
  description: `
Trains a model on a file with one item per line (default: makemore's names.txt, or the embedded
@stdlib first names when offline) and samples new items like them. Flags left out take the
per-type defaults of docs/makemore.md (learning rate, steps, sizes).
Examples:
  gradpath makemore                                 # the Transformer, a few minutes
  gradpath makemore --type bigram --max-steps 3000  # counting and neural bigram, heatmap in the run directory
  gradpath makemore --type mlp --sample-only        # samples from the best saved MLP`,
  options: {
    input: { type: 'string', short: 'i', aliases: ['input-file'], path: 'file', help: 'Input file, one item per line (or give it as the argument)', placeholder: 'FILE' },
    out: { ...commonFlags.out, aliases: ['out-dir', 'work-dir'], help: 'Run directory (default: runs/makemore-<type>)' },
    type: { type: 'choice', choices: MODEL_TYPES, default: 'transformer', help: 'Model type' },
    'max-steps': { ...commonFlags['max-steps'], min: 0, help: 'Training steps (default: per type)' },
    'batch-size': { type: 'int', min: 1, default: 32, help: 'Items per batch' },
    lr: { ...commonFlags.lr, help: 'Peak AdamW learning rate (default: per type)' },
    'weight-decay': { type: 'float', min: 0, default: 0.01, help: 'AdamW weight decay' },
    'n-layer': { type: 'int', min: 1, default: 4, help: 'Transformer layers' },
    'n-head': { type: 'int', min: 1, default: 4, help: 'Transformer heads' },
    'n-embd': { type: 'int', min: 1, help: 'Embedding size (default 64; mlp 10, wavenet 24)' },
    'n-embd2': { type: 'int', min: 1, help: 'Hidden size (default 64; mlp 200, wavenet 128)' },
    dropout: { type: 'float', min: 0, help: 'Transformer dropout probability (default 0.1; other types have none)' },
    seed: { type: 'int', default: 3407, help: 'Random seed (split, initialisation, batches)' },
    'top-k': { type: 'int', min: 1, help: 'Sample only from the k most likely characters' },
    'num-samples': { type: 'int', min: 0, default: 50, help: 'Samples printed at the end' },
    'sample-only': { type: 'boolean', help: 'Load the best model from the run directory and sample' },
    'eval-every': { ...commonFlags['eval-every'], help: 'Evaluate train and test loss every N steps (default: 500, and at the end)' },
    backend: commonFlags.backend,
    resume: commonFlags.resume,
    force: commonFlags.force,
    json: { ...commonFlags.json, help: 'Last stdout line: {type, params, steps, train_loss, test_loss, seconds, backend}' },
  },
  async run(o) {
    const outDir = o.out ?? `runs/makemore-${o.type}`;
    checkCheckpoints(outDir, [...(o.resume ? ['latest.safetensors'] : []), ...(o.sampleOnly ? ['best.safetensors'] : [])]);
    watchInterrupt();
    const summary = await leaveNoTrace(outDir, () => runMakemore({ ...o, outDir, learningRate: o.lr, evalInterval: o.evalEvery, type: o.type as ModelType }));
    if (summary && o.json) console.log(JSON.stringify({ ...summary, backend: backendName() }));
    return summary?.interrupted ? 130 : 0; // saved and stopped by Ctrl-C: the shell's convention, as grokking
  },
});
