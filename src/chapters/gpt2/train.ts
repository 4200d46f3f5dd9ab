import { existsSync } from 'node:fs';
import { Generator } from '../../util/random.js';
import { Tensor } from '../../engine/tensor.js';
import { noGrad } from '../../engine/autograd.js';
import { BufferPool } from '../../engine/pool.js';
import { AdamW } from '../../optim/adam.js';
import { clipGradNorm, cosineWithWarmup, gradNorm as globalNorm } from '../../optim/schedule.js';
import { RunDir } from '../../io/rundir.js';
import { loadTrainingState, saveTrainingState } from '../../train/state.js';
import { interruptRequested, yieldToEventLoop } from '../../util/interrupt.js';
import { GradpathError } from '../../util/errors.js';
import { checkMemory, describeMemory, flopsPerToken, GPT2, measureMatmulGflops, type GPT2Config } from './model.js';
import { ShardLoader, shardFiles, type LoaderState } from './data.js';
import { loadGPT2, safetensorsMetadata } from './weights.js';
import { EOT, gpt2Tokenizer } from './gpt2_tokenizer.js';

/**
 * GPT-2 training as in build-nanogpt / llm.c: AdamW (weight decay on matrices only), linear
 * warmup then cosine decay, gradient accumulation up to a total batch of tokens, gradient
 * clipping, a validation loss, samples, checkpoints that resume exactly, and throughput in
 * tokens/s and FLOP/s against a measured matmul peak.
 */
export interface TrainOptions {
  data: string;
  out: string;
  model: GPT2Config;
  initFrom?: string;
  batchSize: number;
  seqLen: number;
  /** Tokens per optimizer step; a multiple of B*T (gradient accumulation makes up the rest). */
  totalBatchTokens?: number;
  maxSteps: number;
  lr: number;
  minLr?: number;
  warmupSteps: number;
  weightDecay: number;
  beta2?: number;
  /** 0 turns clipping off. */
  gradClip: number;
  evalEvery: number;
  evalSteps: number;
  sampleEvery: number;
  sampleTokens: number;
  checkpointEvery: number;
  seed: number;
  resume?: boolean;
  peakGflops?: number;
}

export interface StepInfo {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  seconds: number;
  /** CPU time of this process during the step, all threads (on a shared machine, steadier than wall time). */
  cpuSeconds: number;
  tokensPerSec: number;
  gflops: number;
  /** Achieved FLOP/s as a fraction of the matmul peak. */
  utilization: number;
}

export interface TrainHooks {
  log?: (msg: string) => void;
  onStep?: (s: StepInfo) => void;
  onEval?: (step: number, valLoss: number) => void;
  onSample?: (step: number, text: string) => void;
}

/** Config keys a resumed run must share with its checkpoint. */
const RESUME_KEYS = ['model', 'batchSize', 'seqLen', 'totalBatchTokens'] as const;

export function gradAccumSteps(totalBatchTokens: number | undefined, B: number, T: number): number {
  const micro = B * T;
  if (totalBatchTokens === undefined) return 1;
  if (totalBatchTokens % micro !== 0) throw new GradpathError(`gpt2 train: --total-batch-tokens ${totalBatchTokens} is not a multiple of B x T = ${micro}`);
  return totalBatchTokens / micro;
}

export async function trainGPT2(o: TrainOptions, hooks: TrainHooks = {}): Promise<{ losses: number[]; valLosses: [number, number][]; model: GPT2; steps: number }> {
  const log = hooks.log ?? (() => {});
  const { batchSize: B, seqLen: T } = o;
  const accum = gradAccumSteps(o.totalBatchTokens, B, T);
  const run = new RunDir(o.out);
  const ckptPath = run.path('latest.safetensors');
  const gen = new Generator(o.seed);

  // data first: a missing directory should not wait for a 124M model to be built
  const train = new ShardLoader(o.data, 'train', B, T);
  const hasVal = shardFiles(o.data, 'val').length > 0;
  const val = hasVal ? new ShardLoader(o.data, 'val', B, T) : null;

  // model: from weights (their configuration wins), from the checkpoint being resumed, or fresh;
  // a fresh one is checked against memory before its tensors are allocated
  const resuming = Boolean(o.resume && existsSync(ckptPath));
  if (!o.initFrom && !resuming) checkMemory(o.model, B, T);
  let model: GPT2;
  if (resuming) {
    // the checkpoint's own configuration (it may have come from --init-from weights); weights are loaded below
    const meta = JSON.parse(safetensorsMetadata(ckptPath).gradpath ?? '{}') as { config?: { model?: GPT2Config } };
    model = new GPT2(meta.config?.model ?? o.model, gen);
  } else if (o.initFrom) {
    const loaded = loadGPT2(o.initFrom);
    model = loaded.model;
    log(`loaded ${loaded.format} weights from ${o.initFrom}`);
  } else model = new GPT2(o.model, gen);
  const config = model.gpt2;
  if (T > config.blockSize) throw new GradpathError(`gpt2 train: --seq-len ${T} is longer than the model's context ${config.blockSize}`);
  const mem = checkMemory(config, B, T);
  log(`model: ${(model.numParameters() / 1e6).toFixed(2)}M parameters (L ${config.nLayer}, H ${config.nHead}, C ${config.nEmbd}, vocab ${config.vocabSize} padded to ${config.paddedVocabSize}); estimated memory ${describeMemory(mem)}`);

  // AdamW: decay the matrices (embeddings, projections), not biases and layer-norm gains
  const params = model.namedParameters();
  const decay = params.filter(([, p]) => p.ndim >= 2).map(([, p]) => p), noDecay = params.filter(([, p]) => p.ndim < 2).map(([, p]) => p);
  const opt = new AdamW([{ params: decay, weightDecay: o.weightDecay }, { params: noDecay, weightDecay: 0 }], { lr: o.lr, betas: [0.9, o.beta2 ?? 0.95], eps: 1e-8 });
  const schedule = cosineWithWarmup({ maxLr: o.lr, minLr: o.minLr ?? o.lr * 0.1, warmupSteps: o.warmupSteps, decaySteps: o.maxSteps });

  const runConfig = { model: config, batchSize: B, seqLen: T, totalBatchTokens: B * T * accum, lr: o.lr, minLr: o.minLr, warmupSteps: o.warmupSteps, weightDecay: o.weightDecay, gradClip: o.gradClip, maxSteps: o.maxSteps, seed: o.seed };
  let start = 0;
  if (resuming) {
    const s = loadTrainingState(ckptPath, { model, optimizer: opt, generator: gen, kind: 'gpt2', config: runConfig, configKeys: RESUME_KEYS });
    start = s.step;
    train.setState(s.extra.loader as LoaderState);
    run.resumeAt(start, Number(s.extra.elapsed ?? 0));
    log(`resumed from ${ckptPath} at step ${start}`);
  } else if (o.resume) log(`no checkpoint in ${o.out} yet: starting fresh`);
  run.writeConfig(runConfig);

  const peak = o.peakGflops ?? measureMatmulGflops();
  const flopsPerStep = flopsPerToken(config, T) * B * T * accum;
  log(`batch: ${B} x ${T} tokens x ${accum} accumulation steps = ${B * T * accum} tokens/step; matmul peak ${peak.toFixed(1)} GFLOP/s${o.peakGflops ? ' (given)' : ' (measured)'}`);

  const save = (step: number) => {
    saveTrainingState(ckptPath, { model, optimizer: opt, generator: gen, step, kind: 'gpt2', config: runConfig, extra: { loader: train.getState(), elapsed: run.elapsed() } });
    log(`saved ${ckptPath} (step ${step})`);
  };

  const losses: number[] = [], valLosses: [number, number][] = [];
  // every micro-step reuses the last one's storage: fresh memory costs ms per MB on these VMs
  const pool = new BufferPool();
  let step = start;
  for (; step < o.maxSteps; step++) {
    const t0 = performance.now(), cpu0 = process.cpuUsage();
    const lr = schedule(step);
    opt.setLearningRate(lr);
    pool.run(() => opt.zeroGrad()); // last step's gradients go back to the pool
    let lossSum = 0;
    for (let micro = 0; micro < accum; micro++) {
      const { x, y } = train.nextBatch();
      pool.run(() => {
        const { loss } = model.forward(x, y);
        lossSum += loss!.item();
        loss!.mul(1 / accum).backward(); // gradients add up over micro-batches: scale so they average
      });
      pool.reset(); // activations are dead; the gradients (kept by backward) live on
    }
    const gradNorm = o.gradClip > 0 ? clipGradNorm(model.parameters(), o.gradClip) : globalNorm(model.parameters());
    opt.step();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const info: StepInfo = {
      step, loss: lossSum / accum, lr, gradNorm, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6,
      tokensPerSec: (B * T * accum) / seconds, gflops: flopsPerStep / seconds / 1e9, utilization: flopsPerStep / seconds / 1e9 / peak,
    };
    losses.push(info.loss);
    run.log({ step, split: 'train', loss: info.loss, lr, grad_norm: gradNorm, tokens_per_s: info.tokensPerSec, gflops: info.gflops, utilization: info.utilization });
    hooks.onStep?.(info);

    const last = step === o.maxSteps - 1;
    if (val && o.evalEvery > 0 && ((step + 1) % o.evalEvery === 0 || last)) {
      const v = evaluate(model, val, o.evalSteps, pool);
      valLosses.push([step, v]);
      run.log({ step, split: 'val', loss: v });
      hooks.onEval?.(step, v);
    }
    if (o.sampleEvery > 0 && ((step + 1) % o.sampleEvery === 0 || last)) {
      const text = sample(model, { maxNewTokens: o.sampleTokens, topK: 50, generator: gen });
      run.writeText('samples.txt', `step ${step}:\n${text}\n`);
      hooks.onSample?.(step, text);
    }
    await yieldToEventLoop(); // lets a Ctrl-C handler run
    if (interruptRequested()) {
      step++;
      break;
    }
    if (o.checkpointEvery > 0 && (step + 1) % o.checkpointEvery === 0 && !last) save(step + 1);
  }
  if (step > start) save(step);
  return { losses, valLosses, model, steps: step };
}

/**
 * Mean loss over `steps` validation batches from the start of the val split. With a pool (the
 * training loop's), each batch reuses the storage of the one before.
 */
export function evaluate(model: GPT2, val: ShardLoader, steps: number, pool?: BufferPool): number {
  val.reset();
  return noGrad(() => {
    let sum = 0;
    for (let i = 0; i < steps; i++) {
      const { x, y } = val.nextBatch();
      const loss = () => model.forward(x, y).loss!.item();
      sum += pool ? pool.run(loss) : loss();
      pool?.reset();
    }
    return sum / steps;
  });
}

/** Text sampled after a prompt (or after <|endoftext|>), top-k. */
export function sample(model: GPT2, opts: { prompt?: string; maxNewTokens: number; topK?: number; temperature?: number; generator?: Generator }): string {
  const tok = gpt2Tokenizer();
  const V = model.gpt2.vocabSize;
  const prompt = opts.prompt ? tok.encode(opts.prompt) : [V > EOT ? EOT : 0];
  for (const id of prompt) if (id >= V) throw new GradpathError(`gpt2 sample: the prompt has token ${id}, outside the model's vocabulary of ${V}`);
  const out = model.generate(new Tensor(Int32Array.from(prompt), [1, prompt.length]), opts.maxNewTokens, { topK: opts.topK, temperature: opts.temperature, generator: opts.generator });
  const ids = Array.from(out.intValues());
  return tok.decode(opts.prompt ? ids : ids.slice(1));
}
