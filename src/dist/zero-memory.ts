/**
 * Memory and communication of data parallelism per rank, by the Ultra-Scale Playbook's fp32
 * formulas and as measured on a running job, side by side. Ψ is the number of parameters, N the
 * data-parallel ranks; Adam keeps two moments (8Ψ bytes):
 *
 *   DDP      params 4Ψ     grads 4Ψ     optimizer 8Ψ
 *   ZeRO-1   params 4Ψ     grads 4Ψ     optimizer 8Ψ/N
 *   ZeRO-2   params 4Ψ     grads 4Ψ/N   optimizer 8Ψ/N
 *   ZeRO-3   params 4Ψ/N   grads 4Ψ/N   optimizer 8Ψ/N
 *
 * Bytes sent per rank and step with ring collectives (all-reduce 2(N-1)/N of the data, reduce-
 * scatter and all-gather (N-1)/N each): DDP's all-reduce of the gradients and ZeRO-1/2's reduce-
 * scatter plus all-gather both send 2(N-1)/N·4Ψ; ZeRO-3 gathers the parameters in forward and
 * again in backward: 3(N-1)/N·4Ψ (with gradient accumulation see playbookCommBytes).
 */
import { formatTable } from '../util/format.js';
import type { ZeroStage } from './zero.js';

export interface MemoryBytes {
  params: number;
  grads: number;
  optimizer: number;
  total: number;
}

/** What a data-parallel job holds and sends per rank: `gradpath plan` is tested against this shape. */
export interface DataParallelReport {
  zero: ZeroStage;
  /** Data-parallel ranks. */
  ranks: number;
  /** Micro-steps per optimizer step (gradient accumulation). */
  accum: number;
  /** Parameters of the model (Ψ). */
  psi: number;
  /** The Playbook's formulas, bytes per rank. */
  formula: MemoryBytes;
  /**
   * Measured on this rank after a step (before the next zeroes the gradients): parameter,
   * gradient and optimizer storage really held, padding included; gradients at their most,
   * between micro-steps too (with accumulation).
   */
  measured: MemoryBytes & {
    /** Not in the formulas: DDP's persistent bucket buffers, ZeRO's peak in-flight gradient buckets, ZeRO-3's gathered-layer slots. */
    buffers: number;
  };
  /** Bytes of gradient bucket buffers allocated after the first step and after the last (pooled: equal once the pool is warm). */
  bucketBytesAllocated: { afterFirstStep: number; afterLastStep: number };
  /** Bytes this rank sent in the last step, and the formula's. */
  commBytesPerStep: { measured: number; formula: number };
  /** Mean seconds per step this rank waited for gradient buckets after backward (the part not overlapped), the first step excluded when there are more. */
  exposedGradSeconds: number;
  /** A pipeline stage's (dp x pp): its gradients add up over the schedule's micro-batches, so ZeRO-2 holds them whole (4Ψ) until the last backward. */
  pipelined?: boolean;
}

/** The formulas' bytes per rank; `pipelined`: a pipeline stage's, whose ZeRO-2 holds full gradients during the schedule. */
export function playbookMemory(psi: number, ranks: number, zero: ZeroStage, pipelined = false): MemoryBytes {
  const n = ranks;
  const params = zero === 3 ? (4 * psi) / n : 4 * psi;
  const grads = zero === 3 || (zero === 2 && !pipelined) ? (4 * psi) / n : 4 * psi;
  const optimizer = zero >= 1 ? (8 * psi) / n : 8 * psi;
  return { params, grads, optimizer, total: params + grads + optimizer };
}

/**
 * With `accum` micro-steps, ZeRO-2 reduce-scatters every micro-step's gradients ((accum + 1) ring
 * passes with the all-gather) and ZeRO-3 also gathers every micro-step (3 accum), as DeepSpeed and
 * `gradpath plan` count; DDP and ZeRO-1 communicate on the last micro-step only.
 */
export function playbookCommBytes(psi: number, ranks: number, zero: ZeroStage, accum = 1): number {
  const ring = (ranks - 1) / ranks;
  const passes = zero === 3 ? 3 * accum : zero === 2 ? accum + 1 : 2;
  return passes * ring * 4 * psi;
}

const mb = (b: number) => (b / 2 ** 20).toFixed(2);

/** The report as a table: measured beside the formulas, MiB per rank. */
export function describeReport(r: DataParallelReport): string {
  const name = r.zero === 0 ? 'DDP' : `ZeRO-${r.zero}`;
  const formulas = { params: r.zero === 3 ? '4Ψ/N' : '4Ψ', grads: r.zero === 3 || (r.zero === 2 && !r.pipelined) ? '4Ψ/N' : '4Ψ', optimizer: r.zero >= 1 ? '8Ψ/N' : '8Ψ' };
  const rows = (['params', 'grads', 'optimizer'] as const).map((k) => [k, formulas[k], mb(r.formula[k]), mb(r.measured[k])]);
  rows.push(['total', '', mb(r.formula.total), mb(r.measured.total)]);
  rows.push(['buffers', '(not in the formulas)', '', mb(r.measured.buffers)]);
  const passes = r.accum > 1 && r.zero === 3 ? `3·${r.accum}` : r.accum > 1 && r.zero === 2 ? `${r.accum + 1}` : r.zero === 3 ? '3' : '2';
  rows.push(['sent/step', `${passes}(N-1)/N·4Ψ`, mb(r.commBytesPerStep.formula), mb(r.commBytesPerStep.measured)]);
  return `${name} on ${r.ranks} ranks, Ψ = ${r.psi.toLocaleString('en-US')} parameters, MiB per rank (fp32):\n` + formatTable(['', 'formula', 'formula MiB', 'measured MiB'], rows) +
    `\nwaited for gradient buckets after backward: ${(r.exposedGradSeconds * 1000).toFixed(1)} ms per step (the rest overlapped backward)`;
}
