import { GradpathError } from '../../util/errors.js';
import { Tensor } from '../../engine/tensor.js';
import { Generator } from '../../util/random.js';
import { noGrad } from '../../engine/autograd.js';
import { backendName } from '../../engine/device.js';
import { KVCache, type GPT, type AttentionLayer } from '../../models/gpt.js';
import { loadCheckpoint } from '../../io/checkpoint.js';
import { RunDir } from '../../io/rundir.js';
import { checkRunDir } from '../../train/fresh.js';
import { Progress } from '../../io/progress.js';
import { formatTable } from '../../util/format.js';
import { CharData, loadText } from './data.js';
import { buildModel, kvElementsPerToken, kvFormulas, resolveConfig, type AttentionKind, type TransformerConfig } from './model.js';
import { CONFIG_KEYS, settingsFromFlags, type ModelFlags } from './presets.js';
import { train, type TrainResult } from './train.js';
import { tensorParallelFromFlags, tensorParallelRun, assembleTensorParallel } from '../../dist/tensor-parallel-training.js';
import { launchedRank, type DataParallelFlags } from '../../dist/ddp.js';
import { setupPipeline, type PipelineFlags } from '../../dist/pipeline.js';
import { pipelineRun } from '../../dist/pipeline-checkpoint.js';
import { newestCheckpoint } from '../../dist/checkpoint.js';
import { batchRows, runGrid } from '../../dist/parallel-context.js';

export const KIND = 'chargpt';

export interface ChargptFlags extends ModelFlags, PipelineFlags {
  input?: string; out?: string; seed: number; resume: boolean; force?: boolean; json: boolean; quiet: boolean;
  /** --dp, --zero, --bucket-mb (src/dist/ddp.ts). */
  parallel?: DataParallelFlags;
  sampleOnly: boolean; evalOnly: boolean; reportKv: boolean; tp?: number; sequenceParallel?: boolean; kvTokens?: number; numSamples: number; maxNewTokens: number; prompt?: string; temperature: number; topK: number;
}

// with data parallel only rank 0 prints (and writes the run directory: see train.ts)
const log = (m: string) => (launchedRank() === 0 ? console.error(m) : undefined);

/** Samples with the KV cache, timing the generation (tokens per second). */
export function sample(model: GPT<AttentionLayer>, data: { encode(s: string): number[]; decode(ids: ArrayLike<number>): string }, o: { prompt: string; n: number; len: number; temperature: number; topK: number; gen: Generator }): { texts: string[]; tokensPerSecond: number } {
  const ids = data.encode(o.prompt); // checked before any training starts
  const texts: string[] = [];
  let tokens = 0, seconds = 0;
  for (let i = 0; i < o.n; i++) {
    const t0 = performance.now();
    const out = model.generate(new Tensor(Int32Array.from(ids), [1, ids.length]), o.len, { temperature: o.temperature, topK: o.topK, generator: o.gen, cache: new KVCache(model.config.nLayer) });
    seconds += (performance.now() - t0) / 1000;
    tokens += o.len;
    texts.push(data.decode(out.intValues()));
  }
  return { texts, tokensPerSecond: seconds > 0 ? tokens / seconds : 0 };
}

/** Mean cross-entropy over `batches` batches of a split; lossOf: one batch's loss (the model's, or through the pipeline). */
function evalLoss(lossOf: (x: Tensor, y: Tensor) => number, data: CharData, split: 'train' | 'val', gen: Generator, batches: number, B: number, T: number): Record<string, number> {
  let sum = 0;
  for (let i = 0; i < batches; i++) {
    const { x, y } = data.batch(split, B, T, gen);
    sum += lossOf(x, y);
  }
  return { loss: sum / batches };
}

/** `gradpath chargpt`: train (or resume, or only sample from) a character-level GPT. */
export async function runChargpt(o: ChargptFlags): Promise<number> {
  const { model: shape, train: settings } = settingsFromFlags(o);
  if (o.reportKv) return reportKv(shape, o);
  const run = new RunDir(o.out ?? `runs/chargpt-${o.preset}`);
  if (o.sampleOnly) return sampleOnly(run, o);
  if (o.evalOnly) return evalOnly(run, o);
  // a single process's latest.safetensors or a distributed run's sharded checkpoint: either resumes in any layout
  const newest = o.resume ? newestCheckpoint(run.dir) : null;
  if (o.resume && !newest) throw new GradpathError(`--resume: no checkpoint at ${run.path('latest.safetensors')} or ${run.path('latest.index.json')}`);
  checkRunDir(run, o); // a finished run is not replaced by accident
  // --tp: this rank's group; --pp: this rank trains one pipeline stage; only rank 0 logs and writes the run directory (others get no run, no log)
  // the process grid of --dp x --pp x --tp, made once; each mode takes its group of it (dist/parallel-context.ts)
  const grid = await runGrid({ dp: o.parallel?.dp, tp: o.tp, pp: o.pp }, log);
  const tp = await tensorParallelFromFlags(o, log, grid);
  const par = o.pp > 1 ? await setupPipeline(o, shape.nLayer, settings.batchSize, grid) : null;
  const lead = launchedRank() === 0 && (!tp || tp.leads) && (!par || par.worldRank === 0);
  const say = lead ? log : () => {};

  const { text, path } = await loadText(o.input, say);
  const data = new CharData(text, shape.blockSize);
  const prompt = o.prompt ?? (data.chars.includes('\n') ? '\n' : data.chars[0]);
  data.encode(prompt); // a bad prompt fails now, not after training
  const gen = new Generator(o.seed);
  const { model, config } = buildModel({ ...shape, vocabSize: data.vocabSize }, gen, { parallel: tp, layers: par?.pipe.layers });
  par?.pipe.attach(model, { hidden: config.nEmbd, tied: model.config.tieWeights ?? true, seed: o.seed, tensorParallel: tp });
  const full = { ...config, vocab: data.chars.join(''), preset: o.preset, ...settings, seed: o.seed, input: path };
  if (newest === 'single') {
    // refuse another configuration before anything in the run directory is touched (the loop checks a sharded one's)
    const ck = loadCheckpoint(run.path('latest.safetensors'), { kind: KIND });
    for (const k of CONFIG_KEYS) {
      const a = JSON.stringify(ck.config[k]), b = JSON.stringify((full as Record<string, unknown>)[k]);
      if (a !== b) throw new GradpathError(`--resume: ${run.path('latest.safetensors')} was trained with another configuration: ${k} is ${a ?? 'unset'} there but ${b ?? 'unset'} now`);
    }
  }
  say(`chargpt: ${data.train.length + data.val.length} characters, vocab ${data.vocabSize}, ${o.attention}${config.pos === 'rope' ? ' + RoPE' : ''}, ${model.numParams().toLocaleString('en-US')} parameters${par ? ` on stage 0 of ${o.pp}` : ''}, run dir ${run.dir}`);
  const B = settings.batchSize, T = config.blockSize;
  const res: TrainResult = await train({
    model, gen, kind: KIND, config: full, configKeys: CONFIG_KEYS, settings, run: lead ? run : undefined, resume: o.resume, force: o.force, quiet: o.quiet || !lead, log: say,
    tensorParallel: tp ? (optimizer, dir) => tensorParallelRun(tp, model, optimizer, dir, KIND, grid) : undefined, dir: run.dir, grid,
    trainLoss: (g, rows) => {
      const { x, y } = rows(data.batch('train', B, T, g)); // every rank draws the global batch, keeps its rows (data parallel)
      return model.forward(x, y).loss!; // (B, T) targets -> scalar
    },
    dataParallel: o.parallel && { ...o.parallel, layers: model.h },
    evaluate: (split, g, n) => evalLoss(par ? (x, y) => par.pipe.evalLoss(x, y) : (x, y) => model.forward(x, y).loss!.item(), data, split, g, n, B, T),
    // with data parallel too, each replica's pipeline takes its rows of the global batch
    pipeline: par ? {
      hooks: par.pipe.loopHooks(() => batchRows(data.batch('train', B, T, gen), grid?.coords.dp ?? 0, grid?.shape.dp ?? 1)), writer: par.worldRank === 0,
      checkpoints: (optimizer, dir) => pipelineRun(par.pipe, model, optimizer, dir, KIND, grid),
    } : undefined,
  });
  if (par) say(par.pipe.summary());
  say(`${res.iters} iterations in ${res.seconds.toFixed(1)} s (${res.secondsPerIter.toFixed(3)} s/iter); best val loss ${res.bestValLoss.toFixed(4)}`);
  let tokensPerSecond = 0;
  // a split model samples as the whole one, assembled from every rank's pieces
  const whole = tp && !par && !res.interrupted && o.numSamples > 0 ? buildModel(config, new Generator(o.seed)).model : model;
  if (tp && whole !== model) whole.loadStateDict(assembleTensorParallel(model, tp));
  if (par && o.numSamples > 0) say('samples need the whole model: none with --pp');
  if (!lead) return 0;
  if (!par && !res.interrupted && o.numSamples > 0) {
    const s = sample(whole, data, { prompt, n: o.numSamples, len: o.maxNewTokens, temperature: o.temperature, topK: o.topK, gen: new Generator(o.seed + 1) });
    tokensPerSecond = s.tokensPerSecond;
    const text = s.texts.map((t, i) => `--- sample ${i + 1} ---\n${t}`).join('\n');
    run.writeText('samples.txt', text + '\n');
    console.log(text);
    say(`generation with the KV cache: ${tokensPerSecond.toFixed(1)} tokens/s`);
  }
  if (o.json && (!par || par.worldRank === 0)) {
    console.log(JSON.stringify({
      preset: o.preset, params: model.numParams(), iters: res.iters, train_loss: round(res.trainLoss), val_loss: round(res.valLoss), seconds: round(res.seconds, 1),
      attention: config.attention, pos: config.pos, best_val_loss: round(res.bestValLoss), s_per_iter: round(res.secondsPerIter), kv_elements_per_token_per_layer: kvElementsPerToken(config), gen_tokens_per_s: round(tokensPerSecond, 1),
      backend: backendName(),
    }));
  }
  return res.interrupted ? 130 : 0;
}

function round(x: number, d = 4): number | null {
  return Number.isFinite(x) ? Number(x.toFixed(d)) : null;
}

/**
 * The exact mean loss of a split: every character predicted once, in consecutive windows of
 * block_size (each window starts with no context, as a random training window does). The periodic
 * evaluations average only --eval-iters random batches, an estimate that moves by about ±0.02.
 */
export function fullSplitLoss(model: GPT<AttentionLayer>, data: Int32Array, T: number, opts: { B?: number; onBatch?: (windowsDone: number, windows: number) => void } = {}): number {
  const B = opts.B ?? 64;
  const windows = Math.floor((data.length - 1) / T);
  if (windows < 1) throw new GradpathError(`a split of ${data.length} characters is shorter than block_size + 1 = ${T + 1}`);
  let sum = 0;
  noGrad(() => {
    for (let w = 0; w < windows; w += B) {
      const b = Math.min(B, windows - w);
      const x = new Int32Array(b * T), y = new Int32Array(b * T);
      for (let i = 0; i < b; i++) {
        const at = (w + i) * T;
        x.set(data.subarray(at, at + T), i * T);
        y.set(data.subarray(at + 1, at + T + 1), i * T);
      }
      sum += model.forward(new Tensor(x, [b, T]), new Tensor(y, [b, T])).loss!.item() * b; // (b, T) -> mean
      opts.onBatch?.(w + b, windows);
    }
  });
  return sum / windows;
}

/** The run directory's best (else latest) checkpoint, rebuilt as a model; `flag` names the asking option in errors. */
function loadSavedModel(run: RunDir, flag: string, seed: number) {
  const name = ['best.safetensors', 'latest.safetensors'].find((n) => run.exists(n));
  if (!name && newestCheckpoint(run.dir) === 'sharded') throw new GradpathError(`${flag}: ${run.dir} holds a sharded checkpoint (a --dp or --tp run); make it one file first: gradpath dist merge ${run.dir} --out OTHER_DIR/latest.safetensors, then ${flag} -o OTHER_DIR`);
  if (!name) throw new GradpathError(`${flag}: no checkpoint in ${run.dir} (train first, or pass -o with a run directory)`);
  const ck = loadCheckpoint(run.path(name), { kind: KIND });
  const cfg = ck.config as unknown as TransformerConfig & { vocab: string; input?: string };
  const { model } = buildModel(cfg, new Generator(seed));
  model.loadStateDict(ck.model);
  return { name, ck, cfg, model };
}

/** --eval-only: the checkpoint's exact train and val loss on the text it was trained on. */
async function evalOnly(run: RunDir, o: ChargptFlags): Promise<number> {
  const { name, ck, cfg, model } = loadSavedModel(run, '--eval-only', o.seed);
  const { text } = await loadText(o.input ?? cfg.input, log);
  const data = new CharData(text, cfg.blockSize);
  if (data.chars.join('') !== cfg.vocab) throw new GradpathError(`--eval-only: ${run.path(name)} was trained on a text with another vocabulary; pass the same -i FILE`);
  model.eval();
  const measure = (split: 'train' | 'val') => {
    const progress = new Progress({ total: Math.floor((data[split].length - 1) / cfg.blockSize), label: `${split} windows`, quiet: o.quiet });
    const loss = fullSplitLoss(model, data[split], cfg.blockSize, { onBatch: (done) => progress.update(done) });
    progress.done();
    return loss;
  };
  const val = measure('val'), train = measure('train');
  log(`${name} (iteration ${ck.step}): exact loss over whole splits: train ${train.toFixed(4)}, val ${val.toFixed(4)}`);
  if (o.json) console.log(JSON.stringify({ checkpoint: run.path(name), step: ck.step, train_loss: round(train), val_loss: round(val), backend: backendName() }));
  return 0;
}

/** --sample-only: the best (or latest) checkpoint of the run directory, no data needed. */
function sampleOnly(run: RunDir, o: ChargptFlags): number {
  const { name, ck, cfg, model } = loadSavedModel(run, '--sample-only', o.seed);
  const chars = Array.from(cfg.vocab);
  const index = new Map(chars.map((c, i) => [c, i]));
  const vocab = {
    encode: (s: string) => Array.from(s, (c) => {
      const i = index.get(c);
      if (i === undefined) throw new GradpathError(`the prompt has the character ${JSON.stringify(c)}, which is not in the model's vocabulary`);
      return i;
    }),
    decode: (ids: ArrayLike<number>) => Array.from(ids, (i) => chars[i] ?? '').join(''),
  };
  const prompt = o.prompt ?? (index.has('\n') ? '\n' : chars[0]);
  vocab.encode(prompt);
  const s = sample(model, vocab, { prompt, n: o.numSamples, len: o.maxNewTokens, temperature: o.temperature, topK: o.topK, gen: new Generator(o.seed + 1) });
  console.log(s.texts.map((t, i) => `--- sample ${i + 1} ---\n${t}`).join('\n'));
  log(`${name} (iteration ${ck.step}): ${s.tokensPerSecond.toFixed(1)} tokens/s with the KV cache`);
  if (o.json) console.log(JSON.stringify({ checkpoint: run.path(name), step: ck.step, gen_tokens_per_s: round(s.tokensPerSecond, 1), backend: backendName() }));
  return 0;
}

/**
 * --report-kv: DeepSeek-V2's cache formulas for the configured dimensions next to real caches:
 * each variant is built at this size, generates N tokens, and its KVCache is measured.
 */
function reportKv(shape: Omit<TransformerConfig, 'vocabSize'>, o: ChargptFlags): number {
  const N = Math.min(o.kvTokens ?? shape.blockSize, shape.blockSize);
  const base = resolveConfig({ ...shape, vocabSize: 65 });
  const rows: (string | number)[][] = [];
  const json: Record<string, unknown>[] = [];
  { // warm up the JIT and the kernels so the first variant's speed is not penalised
    const { model } = buildModel({ ...shape, vocabSize: 65, attention: 'mha' }, new Generator(o.seed));
    noGrad(() => model.generate(new Tensor(Int32Array.of(0), [1, 1]), Math.min(16, N), { cache: new KVCache(shape.nLayer), generator: new Generator(1) }));
  }
  for (const f of kvFormulas(base)) {
    const kind = f.name.toLowerCase() as AttentionKind;
    const cfg: TransformerConfig = { ...shape, vocabSize: 65, attention: kind, nKvHead: kind === 'gqa' ? (base.attention === 'gqa' ? base.nKvHead : undefined) : undefined };
    if (kind === 'mla') Object.assign(cfg, { kvRank: base.kvRank, qRank: base.qRank, ropeDim: base.ropeDim, pos: 'rope' });
    const { model, config } = buildModel(cfg, new Generator(o.seed));
    const cache = new KVCache(config.nLayer);
    const t0 = performance.now();
    // 1 prompt token + N new ones: every token but the last sampled one has gone through the cache
    noGrad(() => model.generate(new Tensor(Int32Array.of(0), [1, 1]), N, { cache, generator: new Generator(1) }));
    const sec = (performance.now() - t0) / 1000;
    const bytes = cache.bytes();
    const perToken = bytes / 4 / cache.pos / config.nLayer;
    const mark = kind === base.attention ? ' (configured)' : '';
    rows.push([f.name + mark, f.formula, f.elements, kvElementsPerToken(config), bytes, perToken, model.numParams(), (N / sec).toFixed(0)]);
    json.push({ attention: kind, formula: f.formula, formula_elements: f.elements, elements_per_token_per_layer: perToken, cache_bytes: bytes, cached_tokens: cache.pos, params: model.numParams(), tokens_per_s: Number((N / sec).toFixed(1)) });
  }
  {
    // the same generation without a cache recomputes every earlier position at every step
    const { model } = buildModel({ ...shape, vocabSize: 65, attention: 'mha' }, new Generator(o.seed));
    const t0 = performance.now();
    noGrad(() => model.generate(new Tensor(Int32Array.of(0), [1, 1]), N, { generator: new Generator(1) }));
    const sec = (performance.now() - t0) / 1000;
    rows.push(['MHA, no cache', '-', '-', '-', '-', '-', model.numParams(), (N / sec).toFixed(0)]);
    json.push({ attention: 'mha-nocache', tokens_per_s: Number((N / sec).toFixed(1)) });
  }
  console.log(`KV cache per token per layer (float32), n_layer ${shape.nLayer}, n_head ${shape.nHead}, d_h ${shape.nEmbd / shape.nHead}; measured after generating ${N} tokens:`);
  console.log(formatTable(['attention', 'DeepSeek-V2 formula', 'elements', 'this model', `cache bytes (${N} tok)`, 'measured el/tok/layer', 'params', 'tok/s'], rows));
  console.log(`GQA: n_g = ${base.attention === 'gqa' ? base.nKvHead : Math.max(1, shape.nHead >> 1)} K/V heads; MLA: d_c and d_h^R as configured (defaults n_embd/2 and d_h/2). DeepSeek-V2 itself uses d_c = 4 d_h, d_h^R = d_h/2.`);
  if (o.json) console.log(JSON.stringify({ tokens: N, n_layer: shape.nLayer, variants: json }));
  return 0;
}

