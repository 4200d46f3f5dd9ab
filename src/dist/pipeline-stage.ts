/**
 * Runs one stage's schedule (pipeline-schedule.ts) for one batch: the micro-batches' forwards and
 * backwards on this stage's part of the model, with the transfers to the neighbours in between.
 * The last stage's loss of each micro-batch is scaled by 1 / (m * accumulation steps) before its
 * backward, so the gradients add up to those of the whole batch's mean loss, as one process gets.
 */
import type { Tensor } from '../engine/tensor.js';
import { recycle } from '../engine/pool.js';
import type { PipelineLink } from './pipeline-link.js';
import type { PipeAction } from './pipeline-schedule.js';

/** What a model must offer to be a stage (models/gpt.ts GPT.forwardStage). */
export interface StageModel {
  /** First stage: input is idx (b, T); others: the previous stage's output (b, T, C). Last: returns loss. */
  forwardStage(input: Tensor, targets?: Tensor | null): { hidden?: Tensor; loss?: Tensor | null };
}

export interface MicroBatches {
  /** Inputs (b, T) of every micro-batch (read on the first stage). */
  x: Tensor[];
  /** Targets (b, T) (read on the last stage). */
  y: Tensor[];
  /** Shape of the activations between stages, (b, T, C). */
  hidden: number[];
}

export interface StageRun {
  /** Sum over micro-batches of the unscaled loss (last stage; 0 elsewhere). */
  lossSum: number;
  /** Most micro-batches whose activations this stage held at once (forward done, backward not). */
  peakLive: number;
}

/**
 * beforeLastBackward: called just before the schedule's last backward on this stage, the one that
 * makes its parameters' gradients final (data parallel's buckets then go as they become ready).
 */
export function runStage(model: StageModel, link: PipelineLink, actions: PipeAction[], mb: MicroBatches, lossScale: number, beforeLastBackward?: () => void): StageRun {
  const lastBackward = actions.map((a) => a.op).lastIndexOf('backward');
  const inputs = new Map<number, Tensor>(); // received inputs, leaves that collect their gradients
  const outputs = new Map<number, Tensor>(); // outputs (the scaled loss on the last stage): the live activations
  const outGrads = new Map<number, Tensor>();
  const inGrads = new Map<number, Tensor>();
  let lossSum = 0, peakLive = 0;
  const take = <T>(m: Map<number, T>, k: number, what: string): T => {
    const v = m.get(k);
    if (v === undefined) throw new Error(`pipeline schedule: ${what} of micro-batch ${k} is missing`);
    m.delete(k);
    return v;
  };
  for (const [k, a] of actions.entries()) {
    if (k === lastBackward) beforeLastBackward?.();
    switch (a.op) {
      case 'recvForward':
        inputs.set(a.mb, link.recvForward(mb.hidden, `micro-batch ${a.mb}`));
        break;
      case 'forward': {
        const input = link.first ? mb.x[a.mb] : inputs.get(a.mb)!;
        const r = model.forwardStage(input, link.last ? mb.y[a.mb] : null);
        if (link.last) {
          lossSum += r.loss!.item();
          outputs.set(a.mb, r.loss!.mul(lossScale));
        } else outputs.set(a.mb, r.hidden!);
        peakLive = Math.max(peakLive, outputs.size);
        break;
      }
      case 'sendForward':
        link.sendForward(outputs.get(a.mb)!);
        break;
      case 'sendForwardRecvBackward':
        outGrads.set(a.recv, link.sendForwardRecvBackward(outputs.get(a.send)!, mb.hidden, `micro-batch ${a.recv}`));
        break;
      case 'recvBackward':
        outGrads.set(a.mb, link.recvBackward(mb.hidden, `micro-batch ${a.mb}`));
        break;
      case 'backward': {
        const out = take(outputs, a.mb, 'the output');
        out.backward(link.last ? undefined : take(outGrads, a.mb, 'the output gradient'));
        if (!link.first) {
          const input = take(inputs, a.mb, 'the input');
          inGrads.set(a.mb, input.grad!);
        }
        break;
      }
      case 'sendBackward': {
        const g = take(inGrads, a.mb, 'the input gradient');
        link.sendBackward(g);
        recycle(g.data); // sent as a copy; backward kept it as the leaf's .grad, so give it back
        break;
      }
      case 'sendBackwardRecvForward': {
        const g = take(inGrads, a.send, 'the input gradient');
        inputs.set(a.recv, link.sendBackwardRecvForward(g, mb.hidden, `micro-batch ${a.recv}`));
        recycle(g.data);
        break;
      }
    }
  }
  if (outputs.size || inputs.size) throw new Error('pipeline schedule: micro-batches were left without a backward');
  return { lossSum, peakLive };
}
