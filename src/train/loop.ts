/**
 * The one training loop every chapter runs (makemore, chargpt and the encoder, GPT-2, grokking).
 * A chapter hands in its model, optimizer and a function that returns the loss of one micro-batch;
 * the loop does the rest, in this order each step:
 *
 *   lr from the schedule -> zero grads -> for each micro-batch: forward, backward (scaled by
 *   1/accumSteps) -> afterBackward hook -> clip -> optimizer step -> batch event -> onStep ->
 *   evaluate (every evalEvery, and after the last step): metrics, best.safetensors on improvement,
 *   latest.safetensors -> Ctrl-C? save latest and stop.
 *
 * best.safetensors holds the model only (weights, buffers, configuration: what sampling and
 * evaluation load); latest.safetensors holds everything a resume needs (optimizer, generator,
 * step, the best value so far, chapter state), and a resume continues bit for bit.
 *
 * Room left for what comes next:
 * - distributed runs: `afterBackward` is where gradients are all-reduced (or a bucketed DDP hooks
 *   parameters as backward finishes them); `loss` draws each rank's own shard of the batch; an
 *   optimizer whose state is sharded (ZeRO) is just another Optimizer here. With `sharded`, the
 *   latest checkpoint is every rank's pieces plus an index (src/dist/checkpoint.ts), a resume loads
 *   it in any layout, and a stop is agreed on by every rank; only rank 0 has a `run` (metrics,
 *   config, best; with `checkpoints` false the ranks gather the model for rank 0's best). With `timeline`, batch events carry compute_s, comm_s and bubble.
 * - other chapters: full-batch epochs are steps whose `loss` takes the whole set (grokking);
 *   accuracy or any other metric is just another field of an evaluation; `best` can maximise;
 *   `stopWhen` stops early.
 */
import { noGrad } from '../engine/autograd.js';
import { BufferPool } from '../engine/pool.js';
import { backendName } from '../engine/device.js';
import { gradNorm, scaleGrads } from '../optim/schedule.js';
import { Progress } from '../io/progress.js';
import { writeRunCurves } from '../io/curves.js';
import { GradpathError } from '../util/errors.js';
import { interruptRequested, watchInterrupt, yieldToEventLoop } from '../util/interrupt.js';
import { claimRunDir } from './fresh.js';
import { loadTrainingState, saveTrainingState } from './state.js';
import { compareConfig } from '../io/checkpoint.js';
import { ShardedCheckpoint, newestCheckpoint, replicaState } from '../dist/checkpoint.js';
import type { StepSummary } from '../dist/timeline.js';
import type { Evaluation, EvalSplit, LoopOptions, LoopResult, StepInfo } from './options.js';

export type { Evaluation, EvalSplit, LoopOptions, LoopResult, MicroStep, StepInfo } from './options.js';

export async function trainLoop(o: LoopOptions): Promise<LoopResult> {
  const { model, optimizer, run } = o;
  const log = o.log ?? (() => {});
  const accumSteps = o.accumSteps ?? 1;
  if (!o.loss === !o.forwardBackward) throw new Error('trainLoop: give exactly one of loss and forwardBackward');
  if (!(Number.isInteger(accumSteps) && accumSteps >= 1)) throw new GradpathError(`gradient accumulation needs a whole number of micro-batches >= 1; got ${accumSteps}`);
  const bestBy = { split: 'val' as EvalSplit, metric: 'loss', mode: 'min' as 'min' | 'max', ...o.best };
  const better = (a: number, b: number) => (bestBy.mode === 'min' ? a < b : a > b);
  const logEvery = o.logEvery ?? 10;

  // --- where the run starts: a resume loads everything before anything is written
  let step = 0;
  let best = bestBy.mode === 'min' ? Infinity : -Infinity;
  if (o.resume) {
    // a distributed run's sharded checkpoint, or one process picking up a sharded run's (newer) latest
    const sharded = o.sharded ?? (run && newestCheckpoint(run.dir) === 'sharded' ? new ShardedCheckpoint(run.dir, replicaState(model, optimizer), null, {}) : undefined);
    let got: { step: number; extra: Record<string, unknown> };
    let from: string;
    if (sharded) {
      const loaded = sharded.load({ kind: o.kind, generator: o.generator });
      const diff = compareConfig(loaded.config, o.config, o.configKeys ?? []);
      if (diff) throw new GradpathError(`the sharded checkpoint in ${sharded.dir} was trained with another configuration: ${diff}`);
      got = loaded;
      from = loaded.from;
    } else {
      if (!run) throw new GradpathError('resume needs a run directory');
      from = run.path('latest.safetensors');
      if (!run.exists('latest.safetensors')) throw new GradpathError(`--resume: no checkpoint in ${run.dir} (latest.safetensors); train without --resume first`);
      got = loadTrainingState(from, { model, optimizer, generator: o.generator, kind: o.kind, config: o.config, configKeys: o.configKeys ?? [] });
    }
    step = got.step;
    if (typeof got.extra.best === 'number') best = got.extra.best;
    o.extraState?.load(got.extra, step);
    run?.resumeAt(step, Number(got.extra.elapsed ?? 0));
    log(`resuming from ${from} at step ${step}`);
  } else if (run) {
    claimRunDir(run, o);
    run.writeText('metrics.jsonl', '');
  }
  run?.writeConfig({ kind: o.kind, ...o.config, ...o.configNotes });
  watchInterrupt();

  let savedAt = -1;
  const saveLatest = async () => {
    if (savedAt === step) return;
    if (o.sharded) {
      // every rank writes its pieces at once; rank 0 names the complete set in the index
      await o.sharded.save({ step, kind: o.kind, config: o.config, generator: o.generator, extra: { ...o.extraState?.save(), best, elapsed: run?.elapsed() ?? 0 } });
      savedAt = step;
      return;
    }
    if (!run || o.checkpoints === false) return;
    saveTrainingState(run.path('latest.safetensors'), {
      model, optimizer, generator: o.generator, step, kind: o.kind, config: o.config,
      extra: { ...o.extraState?.save(), best, elapsed: run.elapsed() },
    });
    savedAt = step;
  };

  // the label names the backend that runs the steps, as every command's --json summary does
  const progress = o.progress ? new Progress({ total: o.maxSteps, label: `${o.progress.label ?? 'train'} (${backendName()})`, quiet: o.progress.quiet }) : null;
  const say = (m: string) => (progress ? progress.log(m) : log(m));
  // every step reuses the last one's storage: fresh memory costs milliseconds per MB on these VMs
  const pool = o.pool ? new BufferPool() : undefined;
  const inPool = <T>(fn: () => T): T => (pool ? pool.run(fn) : fn());

  const gathersBest = Boolean(o.sharded?.world) && o.checkpoints === false;
  let last: Evaluation = {};
  let evaluatedAt = -1;
  const evaluateAndKeepBest = async (record = true): Promise<boolean> => {
    const evaluation = noGrad(() => {
      model.eval();
      try {
        return o.evaluate!({ step, pool });
      } finally {
        model.train();
      }
    });
    last = evaluation;
    evaluatedAt = step;
    if (record) for (const [split, metrics] of Object.entries(evaluation)) run?.log({ step, split, ...metrics });
    const value = evaluation[bestBy.split]?.[bestBy.metric];
    let improved = value !== undefined && better(value, best);
    // ranks that hold pieces of the model gather it for best.safetensors: rank 0 decides when, for all
    if (gathersBest) improved = await o.sharded!.rootSays(improved);
    if (improved) {
      best = value!;
      const bestState = { step, kind: o.kind, config: o.config, extra: { ...evaluation } };
      if (gathersBest) await o.sharded!.saveBest(run?.path('best.safetensors'), bestState);
      else if (run && o.checkpoints !== false) saveTrainingState(run.path('best.safetensors'), { model, ...bestState });
    }
    const line = `step ${step}: ${describe(evaluation)}${improved && run && (gathersBest || o.checkpoints !== false) ? ' (best, saved)' : ''}`;
    // the final result shows even without a progress display; the ones along the way only with it
    if (step === o.maxSteps && (!progress || o.progress?.quiet)) log(line);
    else say(line);
    o.onEvaluate?.(step, evaluation, improved);
    if (run && o.curves !== false) writeRunCurves(run);
    if (o.checkpointEvery === undefined) await saveLatest();
    return o.stopWhen?.(step, evaluation) ?? false;
  };

  const startStep = step, startedAt = Date.now();
  const losses: number[] = [];
  let smoothed = NaN, interrupted = false, stoppedEarly = false;
  model.train();
  const timeline = o.timeline?.recorder;
  let lastTimes: StepSummary | undefined;
  while (step < o.maxSteps) {
    const t0 = performance.now(), cpu0 = process.cpuUsage();
    timeline?.beginStep();
    const lr = o.schedule ? o.schedule(step) : optimizer.lr;
    if (o.schedule) optimizer.setLearningRate(lr);
    inPool(() => optimizer.zeroGrad()); // with a pool, last step's gradients go back to it
    let lossSum = 0;
    for (let micro = 0; micro < accumSteps; micro++) {
      const at = { step, micro, accumSteps };
      if (o.forwardBackward) {
        lossSum += await inPool(() => o.forwardBackward!(at)); // its synchronous part in the pool
      } else {
        inPool(() => {
          const loss = o.loss!(at);
          lossSum += loss.item();
          // gradients add up over micro-batches: scaled, they average as one big batch's would
          (accumSteps > 1 ? loss.mul(1 / accumSteps) : loss).backward();
        });
      }
      pool?.reset(); // the activations are dead; the gradients (kept by backward) live on
      if (micro === accumSteps - 1) await o.afterBackward?.(at);
    }
    const params = model.parameters();
    const norm = (o.gradNorm ?? gradNorm)(params);
    if (o.gradClip && o.gradClip > 0 && norm > o.gradClip) (o.scaleGrads ?? scaleGrads)(params, o.gradClip / (norm + 1e-6));
    await optimizer.step();
    step++;
    if (timeline) lastTimes = timeline.endStep();
    const cpu = process.cpuUsage(cpu0);
    const stepLoss = o.reduceLoss ? await o.reduceLoss(lossSum / accumSteps) : lossSum / accumSteps;
    const info: StepInfo = { step, loss: stepLoss, lr, gradNorm: norm, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
    losses.push(info.loss);
    smoothed = Number.isNaN(smoothed) ? info.loss : 0.9 * smoothed + 0.1 * info.loss;
    if (logEvery > 0 && (step % logEvery === 0 || step === o.maxSteps)) {
      run?.log({ step, split: 'batch', loss: info.loss, lr, grad_norm: norm, ...(lastTimes && stepTimes(lastTimes)), ...o.stepMetrics?.(info) });
    }
    o.onStep?.(info);
    progress?.update(step, o.progress?.metrics?.(info, smoothed) ?? { loss: smoothed, lr });
    const due = (o.evalEvery ?? 0) > 0 && step % o.evalEvery! === 0;
    if (o.evaluate && (due || step === o.maxSteps || o.evalAt?.(step)) && (await evaluateAndKeepBest())) {
      stoppedEarly = true;
      break;
    }
    if (o.checkpointEvery && step % o.checkpointEvery === 0) await saveLatest();
    await yieldToEventLoop(); // the loop is synchronous: let a Ctrl-C (SIGINT) handler run
    const stop = interruptRequested() || Boolean(o.stopRequested?.());
    // ranks must stop after the same step, or the last save's collectives would never meet
    if (o.sharded ? await o.sharded.anyRank(stop) : stop) {
      interrupted = true;
      break;
    }
  }
  progress?.done();
  // a resume that found the run already finished still reports its evaluation (logged once already)
  if (!interrupted && !stoppedEarly && o.evaluate && evaluatedAt !== step) await evaluateAndKeepBest(step > startStep);
  await saveLatest();
  if (lastTimes) await o.timeline?.finish?.(lastTimes);
  if (interrupted && run && (o.sharded || o.checkpoints !== false)) log(`interrupted at step ${step}: state saved to ${o.sharded ? `the sharded checkpoint in ${o.sharded.dir}` : run.path('latest.safetensors')}; continue with --resume`);
  const seconds = run ? run.elapsed() : (Date.now() - startedAt) / 1000;
  return { steps: step, startStep, losses, last, best, interrupted, stoppedEarly, seconds, secondsPerStep: (Date.now() - startedAt) / 1000 / Math.max(1, step - startStep) };
}

/**
 * A step's timings for the batch event: compute_s (the thread not waiting), comm_s (waiting for
 * communication that did not hide behind compute) and bubble (the share of the step spent idle,
 * waiting for a pipeline neighbour).
 */
function stepTimes(t: StepSummary): Record<string, number> {
  return { compute_s: t.compute, comm_s: t.comm, bubble: t.seconds > 0 ? t.idle / t.seconds : 0 };
}

/** "train loss 1.2345, val loss 1.3456 acc 0.4120" */
function describe(e: Evaluation): string {
  return Object.entries(e)
    .map(([split, m]) => `${split} ${Object.entries(m).map(([k, v]) => `${k} ${Number.isInteger(v) ? v : v.toFixed(4)}`).join(' ')}`)
    .join(', ');
}
