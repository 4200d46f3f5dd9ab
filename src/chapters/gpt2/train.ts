import { resolve } from 'node:path';
import { Generator } from '../../util/random.js';
import { Tensor } from '../../engine/tensor.js';
import { noGrad } from '../../engine/autograd.js';
import type { BufferPool } from '../../engine/pool.js';
import { AdamW } from '../../optim/adam.js';
import { decayGroups } from '../../optim/groups.js';
import { cosineWithWarmup } from '../../optim/schedule.js';
import { RunDir } from '../../io/rundir.js';
import { trainLoop, type StepInfo as LoopStepInfo } from '../../train/loop.js';
import { checkRunDir } from '../../train/fresh.js';
import { GradpathError } from '../../util/errors.js';
import { checkMemory, describeMemory, flopsPerToken, GPT2, measureMatmulGflops, type GPT2Config } from './model.js';
import { ShardLoader, shardFiles, type LoaderState } from './data.js';
import { loadGPT2 } from './weights.js';
import { safetensorsMetadata } from '../../io/safetensors.js';
import { sample } from './sample.js';
import type { TensorParallel } from '../../dist/tensor-parallel.js';
import { assembleTensorParallel, loadWholeIntoTensorParallel, tensorParallelRun } from '../../dist/tensor-parallel-training.js';
import { dataParallel, type DataParallelFlags } from '../../dist/ddp.js';
import { describeReport } from '../../dist/zero-memory.js';
import { setupPipeline, type PipelineFlags } from '../../dist/pipeline.js';
import { pipelineRun } from '../../dist/pipeline-checkpoint.js';
import { newestCheckpoint } from '../../dist/checkpoint.js';
import { composeParallel } from '../../dist/compose.js';
import type { ProcessGrid } from '../../dist/grid.js';
import { readShardIndex } from '../../io/sharded.js';

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
  /** Start over in a run directory that holds a run, replacing it (else refused). */
  force?: boolean;
  /** Samples of sampleTokens tokens after the last step (default 1; sampleEvery adds samples along the way). */
  samplesAtEnd?: number;
  peakGflops?: number;
  /** Tensor parallel (--tp, --sequence-parallel): this rank's group; rank 0 alone writes the run directory. */
  tp?: TensorParallel | null;
  /** --dp, --zero, --bucket-mb (src/dist/ddp.ts): batchSize is then the global micro-batch, B/dp rows per rank. */
  parallel?: DataParallelFlags;
  /** Pipeline parallel (--pp > 1): this rank trains one stage; only rank 0 logs and writes. */
  pipeline?: PipelineFlags;
  /** The run's process grid (dist/parallel-context.ts) when it combines modes: each takes its group of it. */
  grid?: ProcessGrid | null;
}

/** The loop's step report plus GPT-2's throughput figures. */
export interface StepInfo extends LoopStepInfo {
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

/** writer: whether this process wrote the run (false on the ranks other than 0 of a parallel job). */
export async function trainGPT2(o: TrainOptions, hooks: TrainHooks = {}): Promise<{ losses: number[]; valLosses: [number, number][]; model: GPT2; steps: number; writer: boolean }> {
  let log = hooks.log ?? (() => {});
  const { batchSize: B, seqLen: T } = o;
  const accum = gradAccumSteps(o.totalBatchTokens, B, T);
  const run = new RunDir(o.out);
  const ckptPath = run.path('latest.safetensors');
  const gen = new Generator(o.seed);
  // a single process's latest.safetensors or a distributed run's sharded checkpoint: either resumes in any layout
  const newest = o.resume ? newestCheckpoint(run.dir) : null;
  const resuming = newest !== null;
  checkRunDir(run, { resume: resuming, force: o.force }); // before a 124M model is built for nothing
  const tp = o.tp ?? null, lead = !tp || tp.leads;

  // data first: a missing directory should not wait for a 124M model to be built
  const train = new ShardLoader(o.data, 'train', B, T);
  const hasVal = shardFiles(o.data, 'val').length > 0;
  const val = hasVal ? new ShardLoader(o.data, 'val', B, T) : null;

  // model: from weights (their configuration wins), from the checkpoint being resumed, or fresh;
  // a fresh one is checked against memory before its tensors are allocated
  if (!o.initFrom && !resuming) checkMemory(o.model, B, T);
  const pp = o.pipeline && o.pipeline.pp > 1 ? o.pipeline : null;
  const loaded = !resuming && o.initFrom ? loadGPT2(o.initFrom) : null;
  // a resumed run's own configuration (it may have come from --init-from weights); weights are loaded by the loop
  const saved = resuming ? ((newest === 'sharded' ? readShardIndex(run.dir) : JSON.parse(safetensorsMetadata(ckptPath).gradpath ?? '{}')) as { config?: { model?: GPT2Config } }).config?.model ?? o.model : null;
  // --pp: this rank builds and trains one stage (src/dist/pipeline.ts); only rank 0 logs and writes
  const par = pp ? await setupPipeline(pp, (saved ?? loaded?.model.gpt2 ?? o.model).nLayer, B, o.grid) : null;
  const writer = lead && (!par || par.worldRank === 0); // only rank 0 of a distributed job logs and writes
  if (!writer) (log = () => {}), (hooks = {});
  let model: GPT2;
  if (saved) model = new GPT2(saved, gen, { parallel: tp, layers: par?.pipe.layers });
  else if (loaded) {
    if (tp) {
      model = new GPT2(loaded.config, new Generator(0), { parallel: tp, layers: par?.pipe.layers });
      const state = loaded.model.stateDict();
      loadWholeIntoTensorParallel(model, { ...state, 'lm_head.weight': state['wte.weight'] }); // each rank cuts its part (a last stage's head: of wte)
    } else model = par ? stageOf(loaded.model, par.pipe.layers) : loaded.model;
    log(`loaded ${loaded.format} weights from ${o.initFrom}`);
  } else model = new GPT2(o.model, gen, { parallel: tp, layers: par?.pipe.layers });
  const config = model.gpt2;
  par?.pipe.attach(model, { hidden: config.nEmbd, tied: true, tensorParallel: tp });
  if (T > config.blockSize) throw new GradpathError(`gpt2 train: --seq-len ${T} is longer than the model's context ${config.blockSize}`);
  const mem = checkMemory(config, B, T);
  log(`model: ${(model.numParameters() / 1e6).toFixed(2)}M parameters (L ${config.nLayer}, H ${config.nHead}, C ${config.nEmbd}, vocab ${config.vocabSize} padded to ${config.paddedVocabSize}); estimated memory ${describeMemory(mem)}`);
  if (o.resume && !resuming) log(`no checkpoint in ${o.out} yet: starting fresh`);

  const opt = new AdamW(decayGroups(model, o.weightDecay), { lr: o.lr, betas: [0.9, o.beta2 ?? 0.95], eps: 1e-8 });
  const runConfig = { model: config, batchSize: B, seqLen: T, totalBatchTokens: B * T * accum, lr: o.lr, minLr: o.minLr, warmupSteps: o.warmupSteps, weightDecay: o.weightDecay, gradClip: o.gradClip, maxSteps: o.maxSteps, seed: o.seed };
  const peak = o.peakGflops ?? measureMatmulGflops();
  const flopsPerStep = flopsPerToken(config, T) * B * T * accum;
  log(`batch: ${B} x ${T} tokens x ${accum} accumulation steps = ${B * T * accum} tokens/step; matmul peak ${peak.toFixed(1)} GFLOP/s${o.peakGflops ? ' (given)' : ' (measured)'}`);
  const throughput = (seconds: number) => ({ tokens_per_s: (B * T * accum) / seconds, gflops: flopsPerStep / seconds / 1e9, utilization: flopsPerStep / seconds / 1e9 / peak });

  const dp = o.parallel ? await dataParallel({ model, optimizer: opt, accumSteps: accum, batchSize: B, layers: model.h, comm: o.grid?.dp }, o.parallel) : null;
  // only rank 0 writes the run directory and logs; each rank reads its B/dp rows of every global batch
  const root = writer && (!dp || dp.isRoot);
  const trainRows = dp ? new ShardLoader(o.data, 'train', dp.localBatch(), T, dp.rank, dp.size) : train;
  if (dp && root) log(dp.describe());
  const microLoss = () => {
    const { x, y } = trainRows.nextBatch();
    return model.forward(x, y).loss!;
  };
  const valLosses: [number, number][] = [];
  const samplesAtEnd = o.samplesAtEnd ?? 1;
  const sampleLog: string[] = []; // samples.txt holds every sample of the run
  // a pipeline stage's sharded checkpoints (dp rank 0's replica writes; with tp, its pieces as cut)
  const pipeRun = par ? await pipelineRun(par.pipe, model, opt, run.dir, 'GPT-2', o.grid) : undefined;
  const r = await trainLoop({
    model, optimizer: opt, generator: gen, maxSteps: o.maxSteps, accumSteps: accum, pool: true, gradClip: o.gradClip,
    schedule: cosineWithWarmup({ maxLr: o.lr, minLr: o.minLr ?? o.lr * 0.1, warmupSteps: o.warmupSteps, decaySteps: o.maxSteps }),
    ...(par ? {} : { loss: dp ? dp.wrapLoss(microLoss) : microLoss }),
    evaluate: val && o.evalEvery > 0 ? ({ pool }) => ({ val: { loss: evaluate(model, val, o.evalSteps, pool, par ? (x, y) => par.pipe.evalLoss(x, y) : undefined) } }) : undefined,
    evalEvery: o.evalEvery,
    onEvaluate: (step, e) => {
      valLosses.push([step - 1, e.val!.loss]);
      hooks.onEval?.(step - 1, e.val!.loss);
    },
    checkpointEvery: o.checkpointEvery, logEvery: 1,
    onStep: (s) => {
      const t = throughput(s.seconds);
      // hooks count steps from 0, as llm.c prints them; metrics.jsonl counts steps done
      hooks.onStep?.({ step: s.step - 1, loss: s.loss, lr: s.lr, gradNorm: s.gradNorm, seconds: s.seconds, cpuSeconds: s.cpuSeconds, tokensPerSec: t.tokens_per_s, gflops: t.gflops, utilization: t.utilization });
      const last = s.step === o.maxSteps;
      const samples = last ? samplesAtEnd : o.sampleEvery > 0 && s.step % o.sampleEvery === 0 ? 1 : 0;
      for (let i = 0; i < samples && !par; i++) {
        // a split model samples as the whole one, assembled on every rank (their generators stay in step);
        // every rank samples: ZeRO-3 gathers
        const text = sample(tp ? wholeGPT2(model, tp) : model, { maxNewTokens: o.sampleTokens, topK: 50, generator: gen });
        sampleLog.push(`step ${s.step - 1}:\n${text}\n`);
        if (root) run.writeText('samples.txt', sampleLog.join('\n'));
        if (root) hooks.onSample?.(s.step - 1, text);
      }
    },
    run: root ? run : undefined, kind: 'gpt2', config: runConfig, configKeys: RESUME_KEYS, resume: resuming, force: o.force,
    // the rest of the flags, so `--config RUN/config.json` repeats the run, evaluations and samples included
    configNotes: { data: resolve(o.data), initFrom: o.initFrom, evalEvery: o.evalEvery, evalSteps: o.evalSteps, sampleEvery: o.sampleEvery, maxNewTokens: o.sampleTokens, checkpointEvery: o.checkpointEvery },
    // the loader's position as rank 0 sees it: a checkpoint resumes on any number of ranks
    extraState: { save: () => ({ loader: trainRows.sharedState() }), load: (saved) => trainRows.setSharedState(saved.loader as LoaderState) },
    log,
    // the parallel modes on the run's grid (dist/compose.ts); every rank saves its part of the run
    // (sharded checkpoints, resumable in any layout) and its step timings; each replica's pipeline reads its rows
    ...composeParallel({ dp, tp: tp ? tensorParallelRun(tp, model, opt, run.dir, 'GPT-2', o.grid) : undefined, pipe: par?.pipe.loopHooks(() => trainRows.nextBatch()), pipeRun, dpRun: () => dp!.runHooks(run.dir, 'GPT-2', o.grid?.shape) }),
    stepMetrics: (s) => ({ ...throughput(s.seconds), ...par?.pipe.stepMetrics() }),
  });
  if (dp && root) log(describeReport(dp.report()));
  if (par) log(`${par.pipe.summary()}; samples need the whole model: none with --pp`);
  if (r.steps > r.startStep && root) log(`saved ${tp || dp || par ? `the sharded checkpoint in ${run.dir}` : ckptPath} (step ${r.steps})`);
  return { losses: r.losses, valLosses, model, steps: r.steps, writer: root };
}

/** A pipeline stage of a whole model: its blocks (and the tied weight, on the first and last stage) copied. */
function stageOf(whole: GPT2, layers: [number, number]): GPT2 {
  const stage = new GPT2(whole.gpt2, new Generator(0), { layers });
  const state = whole.stateDict();
  stage.loadStateDict({ ...state, 'lm_head.weight': state['wte.weight'] }, false);
  return stage;
}

/** The whole GPT-2 assembled from a tensor-parallel model's pieces (collective: every rank calls it). */
function wholeGPT2(model: GPT2, tp: TensorParallel): GPT2 {
  const whole = new GPT2(model.gpt2, new Generator(0));
  whole.loadStateDict(assembleTensorParallel(model, tp));
  return whole;
}

/**
 * Mean loss over `steps` validation batches from the start of the val split. With a pool (the
 * training loop's), each batch reuses the storage of the one before.
 */
export function evaluate(model: GPT2, val: ShardLoader, steps: number, pool?: BufferPool, lossOf = (x: Tensor, y: Tensor) => model.forward(x, y).loss!.item()): number {
  val.reset();
  return noGrad(() => {
    let sum = 0;
    for (let i = 0; i < steps; i++) {
      const { x, y } = val.nextBatch();
      const loss = () => lossOf(x, y); // lossOf: through the pipeline with --pp
      sum += pool ? pool.run(loss) : loss();
      pool?.reset();
    }
    return sum / steps;
  });
}

export { sample };
