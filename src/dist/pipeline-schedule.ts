/**
 * The pipeline schedules as plain lists of actions, one list per stage: what a stage computes
 * (F or B of micro-batch j) and what it sends and receives, in order. The executor
 * (pipeline-stage.ts) runs a list; the tests check them without MPI (every transfer finds its
 * partner, no stage waits for ever, how many micro-batches each stage holds at once).
 *
 * - GPipe (Huang et al. 2019; picotron's "AFAB"): all m forwards, then all m backwards. Simple,
 *   but every stage keeps the activations of all m micro-batches until its backwards start.
 * - 1F1B (PipeDream-Flush, Narayanan et al. 2021; Megatron's non-interleaved schedule): stage s
 *   of p runs p - s - 1 warm-up forwards, then alternates one forward and one backward, then
 *   finishes the remaining backwards. The bubble is the same as GPipe's, (p - 1) / (m + p - 1)
 *   of the step, but a stage never holds more than p - s micro-batches.
 *
 * In the steady phase a stage sends its output forward while it waits for a gradient from the
 * same neighbour (and the other way round): both go in one MPI_Sendrecv, as Megatron pairs
 * them, since two blocking sends facing each other would wait for ever on large messages.
 */
import { GradpathError } from '../util/errors.js';

export type PipelineScheduleName = 'gpipe' | '1f1b';
export const PIPELINE_SCHEDULES: readonly PipelineScheduleName[] = ['gpipe', '1f1b'];

export type PipeAction =
  | { op: 'forward' | 'backward'; mb: number }
  /** Receive micro-batch mb's input from the previous stage / its output gradient from the next. */
  | { op: 'recvForward' | 'recvBackward'; mb: number }
  /** Send micro-batch mb's output to the next stage / its input gradient to the previous one. */
  | { op: 'sendForward' | 'sendBackward'; mb: number }
  /** With the next stage: send output `send`, receive the gradient of output `recv`. */
  | { op: 'sendForwardRecvBackward'; send: number; recv: number }
  /** With the previous stage: send the gradient of input `send`, receive input `recv`. */
  | { op: 'sendBackwardRecvForward'; send: number; recv: number };

export function checkScheduleName(name: string): PipelineScheduleName {
  if (!(PIPELINE_SCHEDULES as readonly string[]).includes(name)) throw new GradpathError(`--pp-schedule must be one of ${PIPELINE_SCHEDULES.join(', ')}; got '${name}'`);
  return name as PipelineScheduleName;
}

/** The actions of stage `stage` of `stages` for m micro-batches. */
export function pipelineSchedule(name: PipelineScheduleName, stages: number, stage: number, m: number): PipeAction[] {
  if (!(Number.isInteger(m) && m >= 1)) throw new GradpathError(`--micro-batches must be a positive integer; got ${m}`);
  const first = stage === 0, last = stage === stages - 1;
  const out: PipeAction[] = [];
  const forward = (mb: number) => {
    if (!first) out.push({ op: 'recvForward', mb });
    out.push({ op: 'forward', mb });
    if (!last) out.push({ op: 'sendForward', mb });
  };
  const backward = (mb: number) => {
    if (!last) out.push({ op: 'recvBackward', mb });
    out.push({ op: 'backward', mb });
    if (!first) out.push({ op: 'sendBackward', mb });
  };
  if (name === 'gpipe') {
    for (let mb = 0; mb < m; mb++) forward(mb);
    for (let mb = 0; mb < m; mb++) backward(mb);
    return out;
  }
  const warmup = Math.min(stages - stage - 1, m);
  const steady = m - warmup;
  for (let mb = 0; mb < warmup; mb++) forward(mb);
  if (steady > 0 && !first) out.push({ op: 'recvForward', mb: warmup });
  for (let i = 0; i < steady; i++) {
    const f = warmup + i; // forward f, then backward i: the oldest micro-batch in flight
    out.push({ op: 'forward', mb: f });
    if (!last) out.push({ op: 'sendForwardRecvBackward', send: f, recv: i });
    out.push({ op: 'backward', mb: i });
    if (first) continue;
    if (i === steady - 1) out.push({ op: 'sendBackward', mb: i });
    else out.push({ op: 'sendBackwardRecvForward', send: i, recv: f + 1 });
  }
  for (let mb = steady; mb < m; mb++) backward(mb);
  return out;
}

/** The fraction of a step a stage idles in an ideal pipeline (equal stages, free transfers). */
export function bubbleFraction(stages: number, m: number): number {
  return (stages - 1) / (m + stages - 1);
}
