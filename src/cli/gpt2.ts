import { defineCommand } from './args.js';
import { checkTextFile } from '../data/text.js';
import { GradpathError } from '../util/errors.js';
import { watchInterrupt } from '../util/interrupt.js';
import { Progress } from '../io/progress.js';
import { Generator } from '../util/random.js';
import { gpt2Tokenizer } from '../chapters/gpt2/gpt2_tokenizer.js';
import { prepareShards, shardFiles } from '../chapters/gpt2/data.js';
import { gpt2Config, padVocab, type GPT2Config } from '../chapters/gpt2/model.js';
import { loadGPT2, resolveWeights, saveHF, saveLLMC } from '../chapters/gpt2/weights.js';
import { saveHFFolder } from '../chapters/gpt2/hf_export.js';
import { sample, trainGPT2, type StepInfo, type TrainOptions } from '../chapters/gpt2/train.js';
import { evaluateHellaSwag, readHellaSwag } from '../chapters/gpt2/hellaswag.js';
import { tokenizerFor } from './bpe.js';
import { commonFlags } from './flags.js';
import { parallelFlags, dataParallelOptions, checkParallelModes } from './parallel-flags.js';
import { tensorParallelFromFlags } from '../dist/tensor-parallel-training.js';
import { runGrid } from '../dist/parallel-context.js';
import { backendName } from '../engine/device.js';
import { checkPath } from './paths.js';
import { checkCheckpoints, leaveNoTrace } from './preflight.js';
import { launchedRank } from '../dist/ddp.js';

/** `gradpath gpt2`: prepare token shards, train or finetune GPT-2, sample, evaluate, convert weights. */

const log = (m: string) => console.error(m);

const prepare = defineCommand({
  name: 'prepare',
  summary: 'Tokenize text files into llm.c-format uint16 token shards (streaming)',
  usage: 'gradpath gpt2 prepare -o DIR [-i] TEXT [TEXT...] [--shard-tokens N] [--val-tokens N]',
  variadic: true,
  options: {
    input: { type: 'string', short: 'i', path: 'file', help: 'A text file (list more after the flags); each is a document', placeholder: 'FILE' },
    out: { ...commonFlags.out, aliases: ['out-dir', 'output'], help: 'Directory for val_000000.bin and train_*.bin' },
    'shard-tokens': { type: 'int', min: 1, default: 100_000_000, help: 'Tokens per train shard' },
    'val-tokens': { type: 'int', min: 0, default: 32768, help: 'The first N tokens form the validation shard (llm.c: 32768 for tinyshakespeare)' },
    encoding: { type: 'string', default: 'gpt2', help: 'gpt2 or a tokenizer file from `gradpath bpe train`', placeholder: 'gpt2|FILE' },
    paragraphs: { type: 'boolean', help: 'Every blank-line-separated paragraph is a document, as llm.c prepares tinyshakespeare' },
  },
  run(opts, positionals) {
    const inputs = [...(opts.input ? [opts.input] : []), ...positionals];
    if (!inputs.length) throw new GradpathError('gradpath gpt2 prepare: give at least one text file with -i');
    if (!opts.out) throw new GradpathError('gradpath gpt2 prepare: -o DIR is required');
    for (const file of inputs) checkTextFile(file);
    const t0 = performance.now();
    const { files, tokens } = prepareShards(inputs, opts.out, tokenizerFor(opts.encoding), { shardTokens: opts.shardTokens, valTokens: opts.valTokens, paragraphs: opts.paragraphs, log });
    console.log(`${tokens} tokens in ${files.length} shard(s) in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${files.join(', ')}`);
  },
});

const modelOptions = {
  model: { type: 'choice' as const, choices: ['gpt2', 'gpt2-medium', 'gpt2-large', 'gpt2-xl'], default: 'gpt2', help: 'Configuration for a fresh model' },
  'n-layer': { type: 'int' as const, min: 1, help: 'Override: layers' },
  'n-head': { type: 'int' as const, min: 1, help: 'Override: attention heads' },
  'n-embd': { type: 'int' as const, min: 1, help: 'Override: embedding width' },
  'block-size': { type: 'int' as const, min: 1, help: 'Override: context length' },
  'vocab-size': { type: 'int' as const, min: 1, help: 'Override: vocabulary (GPT-2: 50257)' },
  'no-pad-vocab': { type: 'boolean' as const, help: 'Do not pad the embedding table to a multiple of 64 (50304)' },
};

function configFrom(opts: { model: string; nLayer?: number; nHead?: number; nEmbd?: number; blockSize?: number; vocabSize?: number; noPadVocab: boolean }): GPT2Config {
  const c = gpt2Config(opts.model, { nLayer: opts.nLayer, nHead: opts.nHead, nEmbd: opts.nEmbd, blockSize: opts.blockSize, vocabSize: opts.vocabSize });
  return { ...c, paddedVocabSize: opts.noPadVocab ? c.vocabSize : padVocab(c.vocabSize) };
}

/** llm.c's CPU reference run (train_gpt2.c): finetune 124M on tinyshakespeare, B=4, T=64, constant lr 1e-4, AdamW(0.9, 0.999), no decay. */
const PRESETS: Record<string, Partial<TrainOptions>> = {
  'llmc-cpu': { batchSize: 4, seqLen: 64, lr: 1e-4, minLr: 1e-4, warmupSteps: 0, weightDecay: 0, beta2: 0.999, gradClip: 0, maxSteps: 40, evalEvery: 10, evalSteps: 5, sampleEvery: 20, sampleTokens: 64 },
};

const train = defineCommand({
  name: 'train',
  summary: 'Train or finetune GPT-2 on token shards (AdamW, warmup + cosine, accumulation, clipping, exact resume)',
  usage: 'gradpath gpt2 train --data DIR [--init-from PATH|gpt2] [--model gpt2|--n-layer N ...] [options]',
  description: `Examples:
  gradpath gpt2 prepare -i tinyshakespeare.txt -o data/shakespeare
  gradpath gpt2 train --data data/shakespeare --preset llmc-cpu --init-from gpt2_124M.bin   # llm.c's CPU finetune
  gradpath gpt2 train --data data/shakespeare --n-layer 2 --n-head 2 --n-embd 64 --block-size 64 --max-steps 200
  gradpath launch -n 2 -- gpt2 train --data data/shakespeare --init-from gpt2 --batch-size 4 --dp 2   # data parallel`,
  options: {
    data: { type: 'string', help: 'Directory of token shards from `gradpath gpt2 prepare`', placeholder: 'DIR' },
    out: { ...commonFlags.out, default: 'runs/gpt2', help: 'Run directory (config, metrics.jsonl, samples, latest.safetensors)' },
    'init-from': { type: 'string', help: 'Start from weights (their configuration is used): HF model.safetensors, llm.c .bin, gradpath checkpoint, or a hub name (gpt2, ...)', placeholder: 'PATH' },
    ...modelOptions,
    preset: { type: 'choice', choices: ['llmc-cpu'], help: 'llmc-cpu: llm.c\'s CPU finetune (B 4, T 64, lr 1e-4, 40 steps); flags still override' },
    'batch-size': { type: 'int', min: 1, help: 'Micro-batch B (default 4)' },
    'seq-len': { type: 'int', min: 1, help: 'Sequence length T (default 64)' },
    'total-batch-tokens': { type: 'int', min: 1, help: 'Tokens per optimizer step (multiple of B*T; default B*T)' },
    'max-steps': { ...commonFlags['max-steps'], help: 'Optimizer steps (default 50)' },
    lr: { ...commonFlags.lr, help: 'Peak learning rate (default 6e-4)' },
    'min-lr': { type: 'float', min: 0, help: 'Final learning rate (default lr/10)' },
    'warmup-steps': { type: 'int', min: 0, help: 'Linear warmup steps (default 10)' },
    'weight-decay': { type: 'float', min: 0, help: 'AdamW weight decay on matrices (default 0.1)' },
    'grad-clip': { type: 'float', min: 0, help: 'Clip the global gradient norm (default 1.0; 0: off)' },
    'eval-every': { ...commonFlags['eval-every'], min: 0, help: 'Validation loss every N steps (default 25; 0: off)' },
    'eval-steps': { type: 'int', min: 1, help: 'Validation batches per evaluation (default 5)' },
    'sample-every': { type: 'int', min: 0, help: 'Sample every N steps (default 0: at the end)' },
    'max-new-tokens': { ...commonFlags['max-new-tokens'], help: 'Tokens per sample (default 64)' },
    'num-samples': { type: 'int', min: 0, default: 1, help: 'Samples printed at the end (0: none)' },
    'checkpoint-every': { type: 'int', min: 0, default: 0, help: 'Also checkpoint every N steps (always at the end and on Ctrl-C)' },
    resume: { ...commonFlags.resume, help: 'Continue from OUT/latest.safetensors exactly' },
    force: commonFlags.force,
    seed: { type: 'int', default: 1337, help: 'Random seed' },
    'peak-gflops': { type: 'float', min: 0, help: 'Matmul peak for the utilisation figure (default: measured at startup)' },
    json: { ...commonFlags.json, help: 'Print a JSON summary as the last line (per-step data is in OUT/metrics.jsonl)' },
    ...parallelFlags,
    backend: commonFlags.backend,
  },
  async run(opts) {
    if (!opts.data) throw new GradpathError('gradpath gpt2 train: --data DIR is required (make it with `gradpath gpt2 prepare`)');
    checkParallelModes(opts);
    const parallel = dataParallelOptions(opts);
    const root = launchedRank() === 0; // with data parallel only rank 0 prints
    shardFiles(opts.data, 'train'); // a missing data directory is refused before the run directory is made
    if (opts.resume) checkCheckpoints(opts.out, ['latest.safetensors']);
    watchInterrupt();
    const p = opts.preset ? PRESETS[opts.preset] : {};
    const pick = <T>(flag: T | undefined, key: keyof TrainOptions, def: T): T => flag ?? ((p[key] as T | undefined) ?? def);
    const maxSteps = pick(opts.maxSteps, 'maxSteps', 50);
    // the process grid of --dp x --pp x --tp, made once; each mode takes its group of it
    const grid = await runGrid({ dp: parallel?.dp, tp: opts.tp, pp: opts.pp }, log);
    const o: TrainOptions = {
      data: opts.data, out: opts.out, model: configFrom(opts),
      initFrom: opts.initFrom ? await resolveWeights(opts.initFrom, log) : undefined,
      batchSize: pick(opts.batchSize, 'batchSize', 4), seqLen: pick(opts.seqLen, 'seqLen', 64), totalBatchTokens: opts.totalBatchTokens,
      maxSteps, lr: pick(opts.lr, 'lr', 6e-4), minLr: pick(opts.minLr, 'minLr', undefined as number | undefined),
      warmupSteps: pick(opts.warmupSteps, 'warmupSteps', 10), weightDecay: pick(opts.weightDecay, 'weightDecay', 0.1), beta2: p.beta2,
      gradClip: pick(opts.gradClip, 'gradClip', 1.0), evalEvery: pick(opts.evalEvery, 'evalEvery', 25), evalSteps: pick(opts.evalSteps, 'evalSteps', 5),
      sampleEvery: pick(opts.sampleEvery, 'sampleEvery', 0), sampleTokens: pick(opts.maxNewTokens, 'sampleTokens', 64),
      samplesAtEnd: opts.numSamples,
      checkpointEvery: opts.checkpointEvery, seed: opts.seed, resume: opts.resume, peakGflops: opts.peakGflops, parallel,
      grid, tp: await tensorParallelFromFlags(opts, log, grid),
      pipeline: { pp: opts.pp, ppSchedule: opts.ppSchedule, microBatches: opts.microBatches },
    };
    const lead = root && (!o.tp || o.tp.leads); // only rank 0 of a distributed job prints
    const progress = new Progress({ total: maxSteps, label: `gpt2 (${backendName()})`, quiet: opts.json || !lead });
    // with --json, stdout holds only the summary; the step lines still go to stderr
    const say = (m: string) => (!lead ? undefined : opts.json ? console.error(m) : progress.log(m));
    let last: StepInfo | undefined;
    const t0 = performance.now();
    const r = await leaveNoTrace(opts.out, () => trainGPT2({ ...o, ...{ force: opts.force } }, { // force: read by the loop once it refuses to overwrite a run
      log: say,
      onStep: (s) => {
        last = s;
        say(`step ${String(s.step).padStart(5)} | loss ${s.loss.toFixed(4)} | lr ${s.lr.toExponential(2)} | norm ${s.gradNorm.toFixed(3)} | ${(s.seconds * 1000).toFixed(0)} ms | ${s.tokensPerSec.toFixed(0)} tok/s | ${s.gflops.toFixed(2)} GFLOP/s (${(100 * s.utilization).toFixed(1)}% of peak)`);
        progress.update(s.step + 1, { loss: s.loss });
      },
      onEval: (step, v) => say(`step ${step}: val loss ${v.toFixed(4)}`),
      onSample: (step, text) => say(`--- sample at step ${step} ---\n${text}\n---`),
    }));
    progress.done();
    const rss = process.resourceUsage().maxRSS / 1024;
    if (!r.writer) return; // another rank of a parallel job: rank 0 reports
    if (opts.json) {
      console.log(JSON.stringify({
        steps: r.steps, loss: r.losses.at(-1) ?? null, val_loss: r.valLosses.at(-1)?.[1] ?? null,
        seconds: Number(((performance.now() - t0) / 1000).toFixed(2)), tokens_per_s: last?.tokensPerSec ?? null,
        max_rss_mb: Math.round(rss), out: opts.out, backend: backendName(),
      }));
    } else console.log(`done: ${r.steps} steps; last loss ${r.losses.at(-1)?.toFixed(4) ?? '-'}; peak RSS ${rss.toFixed(0)} MB; run in ${opts.out}`);
  },
});

const sampleCmd = defineCommand({
  name: 'sample',
  summary: 'Generate text from GPT-2 weights (HF, llm.c or a gradpath checkpoint)',
  usage: 'gradpath gpt2 sample --init-from PATH --prompt "..." [--top-k 50] [--max-new-tokens N]',
  options: {
    'init-from': { type: 'string', help: 'Weights file, or a hub name (downloads when online)', placeholder: 'PATH' },
    prompt: { type: 'string', default: '', aliases: ['start'], help: 'Text to continue (empty: start after <|endoftext|>)' },
    'max-new-tokens': { ...commonFlags['max-new-tokens'], default: 64, help: 'Tokens to generate' },
    'top-k': { type: 'int', min: 1, default: 50, help: 'Sample among the k most likely tokens' },
    temperature: { type: 'float', min: 0, default: 1.0, help: 'Softmax temperature' },
    'num-samples': { type: 'int', min: 1, default: 1, help: 'How many samples' },
    seed: { type: 'int', default: 42, help: 'Random seed' },
    backend: commonFlags.backend,
  },
  async run(opts) {
    if (!opts.initFrom) throw new GradpathError('gradpath gpt2 sample: --init-from PATH is required');
    const { model } = loadGPT2(await resolveWeights(opts.initFrom, log));
    const gen = new Generator(opts.seed);
    for (let i = 0; i < opts.numSamples; i++) {
      const text = sample(model, { prompt: opts.prompt || undefined, maxNewTokens: opts.maxNewTokens, topK: opts.topK, temperature: opts.temperature, generator: gen });
      console.log(opts.numSamples > 1 ? `--- sample ${i + 1} ---\n${text}` : text);
    }
  },
});

const hellaswag = defineCommand({
  name: 'hellaswag',
  summary: 'HellaSwag accuracy: the ending with the lowest average loss (build-nanogpt\'s acc_norm)',
  usage: 'gradpath gpt2 hellaswag --init-from PATH -i hellaswag_val.jsonl [--limit N] [--json]',
  options: {
    'init-from': { type: 'string', help: 'Weights file or hub name', placeholder: 'PATH' },
    input: { type: 'string', short: 'i', path: 'file', help: 'JSONL with ctx, endings, label per line', placeholder: 'FILE' },
    limit: { type: 'int', min: 1, help: 'Only the first N examples' },
    json: { type: 'boolean', help: 'Print one JSON object' },
    backend: commonFlags.backend,
  },
  async run(opts) {
    if (!opts.initFrom || !opts.input) throw new GradpathError('gradpath gpt2 hellaswag: --init-from PATH and -i FILE are required');
    const examples = readHellaSwag(opts.input).slice(0, opts.limit); // a bad file fails before a model loads
    const { model } = loadGPT2(await resolveWeights(opts.initFrom, log));
    const progress = new Progress({ total: examples.length, label: `hellaswag (${backendName()})`, quiet: opts.json });
    const r = evaluateHellaSwag(model, gpt2Tokenizer(), examples, (i) => progress.update(i + 1));
    progress.done();
    if (opts.json) console.log(JSON.stringify({ ...r, backend: backendName() }));
    else console.log(`${r.n} examples: acc ${(100 * r.acc).toFixed(2)}% (total loss), acc_norm ${(100 * r.accNorm).toFixed(2)}% (average loss)`);
  },
});

const exportCmd = defineCommand({
  name: 'export',
  summary: 'Convert weights: a Hugging Face folder (weights, config.json, tokenizer), llm.c .bin',
  usage: 'gradpath gpt2 export --init-from PATH -o DIR --format hf [--encoding gpt2|FILE|DIR]  |  -o FILE --format llmc [--bf16]',
  description: `--format hf writes a folder that Hugging Face's from_pretrained loads as it is: model.safetensors,
config.json, vocab.json, merges.txt, tokenizer_config.json. With -o NAME.safetensors, only the weights file.

Examples:
  gradpath gpt2 export --init-from runs/gpt2/latest.safetensors -o exports/gpt2-hf --format hf
  gradpath gpt2 export --init-from runs/mine/latest.safetensors -o exports/mine-hf --format hf --encoding shakes.bpe.json
  gradpath gpt2 export --init-from model.safetensors -o gpt2_124M.bin --format llmc`,
  options: {
    'init-from': { type: 'string', help: 'Weights in any supported layout', placeholder: 'PATH' },
    out: { type: 'string', short: 'o', aliases: ['out-dir', 'output'], help: 'Output folder (hf), or file (llmc, or hf weights only when it ends in .safetensors)', placeholder: 'DIR|FILE' },
    format: { type: 'choice', choices: ['hf', 'llmc'], default: 'hf', help: 'hf: Hugging Face folder; llmc: llm.c checkpoint (version 3)' },
    encoding: { type: 'string', default: 'gpt2', help: 'hf: the tokenizer the model was trained with (gpt2, a `gradpath bpe train` file or folder)', placeholder: 'gpt2|FILE|DIR' },
    bf16: { type: 'boolean', help: 'llm.c only: write version 5 (bfloat16)' },
  },
  async run(opts) {
    if (!opts.initFrom || !opts.out) throw new GradpathError('gradpath gpt2 export: --init-from PATH and -o DIR|FILE are required');
    const folder = opts.format === 'hf' && !opts.out.endsWith('.safetensors');
    checkPath('gradpath gpt2 export', '--out', folder ? 'out-dir' : 'out-file', opts.out);
    const { model, format } = loadGPT2(await resolveWeights(opts.initFrom, log));
    let wrote = opts.out;
    if (opts.format === 'llmc') saveLLMC(opts.out, model, { bf16: opts.bf16 });
    else if (!folder) saveHF(opts.out, model);
    else wrote = `${opts.out}/{${saveHFFolder(opts.out, model, tokenizerFor(opts.encoding)).join(',')}}`;
    console.log(`${format} -> ${opts.format}${opts.bf16 ? ' (bf16)' : ''}: wrote ${wrote}`);
  },
});

export const command = defineCommand({
  name: 'gpt2',
  summary: 'GPT-2: token shards, training and finetuning, sampling, HellaSwag, weight conversion',
  usage: 'gradpath gpt2 <prepare|train|sample|hellaswag|export> [options]',
  options: {},
  subcommands: [prepare, train, sampleCmd, hellaswag, exportCmd],
});
