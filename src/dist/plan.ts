/**
 * `gradpath plan`'s formulas: memory per rank and communication per step of a dp x tp x pp layout
 * with a ZeRO stage, as the Ultra-Scale Playbook counts them. Pure arithmetic: the numbers a run
 * would need, before launching it.
 *
 * Memory, per rank, with Ψ the parameters this rank holds (plan-model.ts):
 * - fp32: parameters 4Ψ, gradients 4Ψ, Adam's two moments 8Ψ;
 * - bf16 (mixed precision, the Playbook's count): parameters 2Ψ, gradients 2Ψ, optimizer 12Ψ
 *   (an fp32 master copy and the two moments);
 * - ZeRO over the dp ranks: stage 1 divides the optimizer by dp, stage 2 the gradients too,
 *   stage 3 the parameters too (fp32: 4Ψ+4Ψ+8Ψ/N, 4Ψ+12Ψ/N, 16Ψ/N). Beside tp, Ψ is the rank's
 *   slice, which its dp group shards; beside pp, the stage's. ZeRO-2 with pp keeps the full
 *   gradients (4Ψ) as ZeRO-1 does: a stage's gradients add up over the micro-batches of its
 *   schedule and are reduce-scattered after the last (gradpath, like Megatron; DeepSpeed refuses
 *   ZeRO-2 with pipelines for this reason).
 */
import { GradpathError } from '../util/errors.js';
import { rankParams, stageLayers, type PlanModel } from './plan-model.js';

export type Recompute = 'none' | 'selective' | 'full';
export type PlanDtype = 'fp32' | 'bf16';

export interface Layout {
  dp: number;
  tp: number;
  pp: number;
  zero: 0 | 1 | 2 | 3;
  recompute: Recompute;
  /** Sequence parallelism on the tp group (the LayerNorm and dropout regions split too). */
  sp: boolean;
}

export interface Workload {
  microBatch: number;
  seqLen: number;
  /** Micro-batches per optimizer step (gradient accumulation, or the pipeline's micro-batches). */
  accum: number;
  dtype: PlanDtype;
  ppSchedule: '1f1b' | 'gpipe';
}

export interface MemoryPlan {
  /** Parameters held by the fullest rank (before ZeRO-3 divides them). */
  params: number;
  paramBytes: number;
  gradBytes: number;
  optimizerBytes: number;
  /** Activations kept for backward, under the layout's recomputation. */
  activationBytes: number;
  /** The same without any recomputation (what recomputation saves). */
  activationBytesNoRecompute: number;
  totalBytes: number;
}

export interface CommPlan {
  /** Bytes each rank sends per optimizer step, by group (ring algorithms: see commPerStep). */
  dpBytes: number;
  tpBytes: number;
  ppBytes: number;
  totalBytes: number;
  /** The pipeline bubble's share of the step, (p-1)/(m+p-1). */
  bubble: number;
}

export interface Plan {
  layout: Layout;
  memory: MemoryPlan;
  comm: CommPlan;
  globalBatch: number;
}

/** Bytes per parameter of (parameters, gradients, optimizer state). */
function stateBytes(dtype: PlanDtype): [number, number, number] {
  return dtype === 'fp32' ? [4, 4, 8] : [2, 2, 12];
}

/**
 * Activation bytes of one transformer block for one micro-batch, from the Ultra-Scale Playbook
 * ("Memory usage in Transformers": m_act = L·seq·bs·h·(34 + 5·n_heads·seq/h) bytes in mixed
 * precision, after Korthikanti et al. 2022, "Reducing Activation Recomputation in Large
 * Transformer Models", whose tensor and sequence parallel forms are used here):
 * - no parallelism:            s·b·h·(34 + 5·a·s/h)
 * - tensor parallel t:         s·b·h·(10 + 24/t + 5·a·s/(h·t))   (LayerNorm and dropout regions whole)
 * - tensor + sequence parallel: s·b·h·(34/t + 5·a·s/(h·t))
 * - selective recomputation drops the 5·a·s/h term (attention scores, softmax and its dropout are
 *   recomputed); full recomputation keeps only each block's input, 2·s·b·h (/t with SP).
 * The formula counts 2-byte values (and 1-byte dropout masks); fp32 doubles it (an estimate: the
 * masks do not double, and gradpath's own training keeps no dropout masks at dropout 0).
 */
export function blockActivationBytes(m: PlanModel, w: Workload, l: Pick<Layout, 'tp' | 'sp' | 'recompute'>): number {
  const s = w.seqLen, b = w.microBatch, h = m.nEmbd, a = m.nHead, t = l.tp;
  const scale = w.dtype === 'fp32' ? 2 : 1;
  const attention = l.recompute === 'none' ? (5 * a * s) / (h * t) : 0;
  let perToken: number;
  if (l.recompute === 'full') perToken = l.sp ? 2 / t : 2;
  else perToken = (l.sp ? 34 / t : t === 1 ? 34 : 10 + 24 / t) + attention;
  return s * b * h * perToken * scale;
}

/**
 * Activations on the fullest rank: its stage's blocks times the micro-batches in flight (1F1B:
 * the first stage holds pp of them; GPipe: all m), plus, with full recomputation, one block's
 * activations rebuilt during its backward. The embedding output and logits are not counted.
 */
export function activationBytes(m: PlanModel, w: Workload, l: Layout): number {
  const inFlight = l.pp === 1 ? 1 : w.ppSchedule === 'gpipe' ? w.accum : Math.min(l.pp, w.accum);
  const layers = stageLayers(m.nLayer, l.pp, 0);
  let bytes = layers * inFlight * blockActivationBytes(m, w, l);
  if (l.recompute === 'full') bytes += blockActivationBytes(m, w, { ...l, recompute: 'none' });
  return bytes;
}

/** Whether the gradients are sharded between micro-batches: ZeRO-2 and 3, except ZeRO-2 beside pp (see the header). */
function zeroShardsGrads(l: Layout): boolean {
  return l.zero === 3 || (l.zero === 2 && l.pp === 1);
}

/** Memory of the fullest rank (every stage is checked; the first holds the embeddings). */
export function memoryPerRank(m: PlanModel, w: Workload, l: Layout): MemoryPlan {
  let params = 0;
  for (let s = 0; s < l.pp; s++) params = Math.max(params, rankParams(m, l.tp, l.pp, s));
  const [pb, gb, ob] = stateBytes(w.dtype);
  const n = l.dp;
  const paramBytes = (pb * params) / (l.zero >= 3 ? n : 1);
  const gradBytes = (gb * params) / (zeroShardsGrads(l) ? n : 1);
  const optimizerBytes = (ob * params) / (l.zero >= 1 ? n : 1);
  const activation = activationBytes(m, w, l);
  return {
    params,
    paramBytes,
    gradBytes,
    optimizerBytes,
    activationBytes: activation,
    activationBytesNoRecompute: activationBytes(m, w, { ...l, recompute: 'none' }),
    totalBytes: paramBytes + gradBytes + optimizerBytes + activation,
  };
}

/**
 * Bytes each rank sends per optimizer step, counting ring collectives over n ranks as nccl-tests
 * does: an all-reduce of B bytes sends 2(n-1)/n·B, a reduce-scatter or all-gather (n-1)/n·B.
 * - dp, ZeRO 0: one all-reduce of the gradients per step (accumulation communicates only on the
 *   last micro-batch). ZeRO-1: reduce-scatter of the gradients, all-gather of the updated
 *   parameters (the same volume). ZeRO-2: a reduce-scatter per micro-batch (gradients are kept
 *   sharded; beside pp one per step, as ZeRO-1), one all-gather. ZeRO-3: parameters all-gathered in forward and again in backward of
 *   every micro-batch, gradients reduce-scattered: (3 per micro-batch) x (n-1)/n.
 * - tp: per block and micro-batch, two all-reduces of the (b, s, h) activations in forward and two
 *   in backward (with SP: all-gathers and reduce-scatters of the same total volume).
 * - pp: per micro-batch, an inner stage sends its activations (b, s, h) forward and a gradient of
 *   the same size backward.
 */
export function commPerStep(m: PlanModel, w: Workload, l: Layout): CommPlan {
  const value = w.dtype === 'fp32' ? 4 : 2;
  let params = 0;
  for (let s = 0; s < l.pp; s++) params = Math.max(params, rankParams(m, l.tp, l.pp, s));
  const grads = params * value;
  const d = l.dp, ring = (d - 1) / d;
  const dpBytes =
    d === 1 ? 0
    : l.zero === 3 ? 3 * w.accum * ring * grads
    : zeroShardsGrads(l) ? (w.accum + 1) * ring * grads
    : 2 * ring * grads;
  const act = w.microBatch * w.seqLen * m.nEmbd * value;
  const tpBytes = l.tp === 1 ? 0 : 4 * stageLayers(m.nLayer, l.pp, 0) * w.accum * 2 * ((l.tp - 1) / l.tp) * act;
  const ppBytes = l.pp === 1 ? 0 : 2 * w.accum * act;
  const bubble = (l.pp - 1) / (w.accum + l.pp - 1);
  return { dpBytes, tpBytes, ppBytes, totalBytes: dpBytes + tpBytes + ppBytes, bubble };
}

/** Checks a layout against the model and the number of ranks; one line naming the problem. */
export function checkLayout(m: PlanModel, l: Layout, gpus: number): void {
  for (const k of ['dp', 'tp', 'pp'] as const) {
    if (!Number.isInteger(l[k]) || l[k] < 1) throw new GradpathError(`--${k} must be a positive integer; got ${l[k]}`);
  }
  if (l.dp * l.tp * l.pp !== gpus) throw new GradpathError(`dp x tp x pp = ${l.dp} x ${l.tp} x ${l.pp} = ${l.dp * l.tp * l.pp}, but --gpus is ${gpus}; make the product equal the ranks`);
  if (m.nHead % l.tp !== 0) throw new GradpathError(`--tp ${l.tp} does not divide the ${m.nHead} attention heads of ${m.name}; pick a tp that does`);
  if (m.nEmbd % l.tp !== 0) throw new GradpathError(`--tp ${l.tp} does not divide the width ${m.nEmbd} of ${m.name}`);
  if (l.pp > m.nLayer) throw new GradpathError(`--pp ${l.pp} is more stages than the ${m.nLayer} layers of ${m.name}`);
  if (l.zero > 0 && l.dp === 1) throw new GradpathError(`--zero ${l.zero} shards over the data-parallel ranks, but --dp is 1; use --dp > 1 or --zero 0`);
  if (l.sp && l.tp === 1) throw new GradpathError('--sp splits the sequence over the tensor-parallel ranks; it needs --tp > 1');
}

export function planLayout(m: PlanModel, w: Workload, l: Layout): Plan {
  return { layout: l, memory: memoryPerRank(m, w, l), comm: commPerStep(m, w, l), globalBatch: w.microBatch * w.accum * l.dp };
}

const RECOMPUTE_ORDER: Recompute[] = ['none', 'selective', 'full'];

/**
 * Every layout of `gpus` ranks whose fullest rank fits in `memoryBytes`, best first: least
 * recomputation (it costs compute), then the smallest bubble, then the least communication, then
 * the least memory. The micro-batch, sequence and accumulation stay as given.
 */
export function layoutsThatFit(m: PlanModel, w: Workload, gpus: number, memoryBytes: number, sp = false): Plan[] {
  const fits: Plan[] = [];
  for (let tp = 1; tp <= gpus; tp++) {
    if (gpus % tp || m.nHead % tp || m.nEmbd % tp) continue;
    for (let pp = 1; pp <= gpus / tp; pp++) {
      if ((gpus / tp) % pp || pp > m.nLayer) continue;
      const dp = gpus / tp / pp;
      // what gradpath runs: ZeRO-3 over dp alone (cli/parallel-flags.ts)
      for (const zero of dp === 1 ? ([0] as const) : tp === 1 && pp === 1 ? ([0, 1, 2, 3] as const) : ([0, 1, 2] as const)) {
        for (const recompute of RECOMPUTE_ORDER) {
          const plan = planLayout(m, w, { dp, tp, pp, zero, recompute, sp: sp && tp > 1 });
          if (plan.memory.totalBytes <= memoryBytes) fits.push(plan);
        }
      }
    }
  }
  const key = (p: Plan) => [RECOMPUTE_ORDER.indexOf(p.layout.recompute), p.comm.bubble, p.comm.totalBytes, p.memory.totalBytes];
  return fits.sort((a, b) => {
    const ka = key(a), kb = key(b);
    for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
    return 0;
  });
}

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** '80GB' (decimal), '80GiB' (binary), '512MB', '1e9' -> bytes. */
export function parseBytes(text: string, flag = '--memory'): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e\d+)?)\s*([kmgt]i?b|b)?\s*$/i.exec(text);
  if (!m) throw new GradpathError(`${flag} must be a size like 80GB, 40GiB or 512MB; got '${text}'`);
  const bytes = Number(m[1]) * UNITS[(m[2] ?? 'b').toLowerCase()];
  if (!(bytes > 0)) throw new GradpathError(`${flag} must be positive; got '${text}'`);
  return bytes;
}

/** Bytes in decimal units with 3 significant digits: '1.99 GB', '512 MB'. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0, x = bytes;
  while (x >= 1000 && i < units.length - 1) {
    x /= 1000;
    i++;
  }
  return `${i === 0 ? Math.round(x) : x.toPrecision(3)} ${units[i]}`;
}
