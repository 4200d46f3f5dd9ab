/**
 * The model side of `gradpath plan`: GPT-2 shapes and how many parameters each rank of a
 * (tp, pp) layout holds. Pure arithmetic, no MPI: the formulas the plan, its tests and the docs share.
 */
import { GradpathError } from '../util/errors.js';

export interface PlanModel {
  name: string;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  vocabSize: number;
  /** Rows of the learned position table (wpe). */
  nPositions: number;
}

const GPT2_VOCAB = 50257;

/** Hugging Face's GPT-2 sizes (n_layer, n_head, n_embd). */
export const PRESETS: Record<string, [number, number, number]> = {
  gpt2: [12, 12, 768],
  'gpt2-medium': [24, 16, 1024],
  'gpt2-large': [36, 20, 1280],
  'gpt2-xl': [48, 25, 1600],
};

/** A preset name or `L,H,C` (layers, heads, width); a custom model's position table is seqLen long. */
export function parsePlanModel(spec: string, seqLen: number, vocabSize = GPT2_VOCAB): PlanModel {
  const preset = PRESETS[spec];
  if (preset) return { name: spec, nLayer: preset[0], nHead: preset[1], nEmbd: preset[2], vocabSize, nPositions: 1024 };
  const m = /^(\d+),(\d+),(\d+)$/.exec(spec);
  if (!m) throw new GradpathError(`--model must be one of ${Object.keys(PRESETS).join(', ')} or L,H,C (layers, heads, width, e.g. 12,12,768); got '${spec}'`);
  const [nLayer, nHead, nEmbd] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (nLayer < 1 || nHead < 1 || nEmbd < 1) throw new GradpathError(`--model ${spec}: layers, heads and width must be positive`);
  if (nEmbd % nHead !== 0) throw new GradpathError(`--model ${spec}: the width ${nEmbd} must be a multiple of the heads ${nHead}`);
  return { name: spec, nLayer, nHead, nEmbd, vocabSize, nPositions: seqLen };
}

/**
 * Parameters of one block when split over tp ranks (Megatron): c_attn and c_fc are column-parallel
 * (weight and bias split), the two c_proj row-parallel (weight split, bias whole), LayerNorms whole.
 * tp = 1: ln_1 2C + c_attn 3C²+3C + c_proj C²+C + ln_2 2C + c_fc 4C²+4C + c_proj 4C²+C = 12C² + 13C.
 */
export function blockParams(C: number, tp = 1): number {
  return (12 * C * C + 7 * C) / tp + 6 * C;
}

/** Ψ: every parameter of the model once (the head tied to wte, as GPT-2's is). */
export function totalParams(m: PlanModel): number {
  const C = m.nEmbd;
  return m.vocabSize * C + m.nPositions * C + m.nLayer * blockParams(C) + 2 * C;
}

/** How many blocks pipeline stage s of pp holds: contiguous, the first stages take the remainder. */
export function stageLayers(nLayer: number, pp: number, stage: number): number {
  return Math.floor(nLayer / pp) + (stage < nLayer % pp ? 1 : 0);
}

/**
 * Parameters on one rank of pipeline stage `stage` with tensor parallel size tp: its blocks; the
 * first stage also wte (vocabulary-parallel: split over tp) and wpe (whole); the last stage ln_f
 * and, when it is not also the first, its own copy of wte for the tied head.
 */
export function rankParams(m: PlanModel, tp: number, pp: number, stage: number): number {
  const C = m.nEmbd;
  let n = stageLayers(m.nLayer, pp, stage) * blockParams(C, tp);
  const wte = (m.vocabSize * C) / tp;
  if (stage === 0) n += wte + m.nPositions * C;
  if (stage === pp - 1) n += 2 * C + (pp > 1 ? wte : 0);
  return n;
}
