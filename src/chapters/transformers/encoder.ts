import { GradpathError } from '../../util/errors.js';
import { Tensor } from '../../engine/tensor.js';
import { Generator } from '../../util/random.js';
import { noGrad } from '../../engine/autograd.js';
import { backendName } from '../../engine/device.js';
import { crossEntropy } from '../../engine/ops/nn.js';
import type { GPT, AttentionLayer } from '../../models/gpt.js';
import { RunDir } from '../../io/rundir.js';
import { checkRunDir } from '../../train/fresh.js';
import { CharData, loadText } from './data.js';
import { buildModel } from './model.js';
import { CONFIG_KEYS, settingsFromFlags, type ModelFlags } from './presets.js';
import { train } from './train.js';
import { attentionSvg } from './svg.js';

/**
 * The encoder-only side of self-attention (BERT's masked language modelling, at the character
 * level): no causal mask, so every position sees both sides; 15% of the positions are replaced by
 * a [MASK] token (id = vocab size) and the model predicts the original characters there. The
 * loss counts only masked positions (targets elsewhere are -1, crossEntropy's ignoreIndex).
 */
export const KIND = 'encoder';
export const MASK_RATE = 0.15;

export interface MaskedBatch {
  x: Tensor; // (B, T) input with [MASK] ids
  y: Tensor; // (B, T) the original character where masked, -1 elsewhere
}

/** Masks MASK_RATE of each window's positions (at least one), uniformly at random. */
export function maskBatch(data: CharData, split: 'train' | 'val', B: number, T: number, gen: Generator): MaskedBatch {
  const { x } = data.batch(split, B, T, gen);
  const inp = x.intValues().slice(), tgt = new Int32Array(B * T).fill(-1);
  const mask = data.vocabSize;
  for (let b = 0; b < B; b++) {
    let any = false;
    for (let t = 0; t < T; t++) {
      if (gen.random() < MASK_RATE) {
        tgt[b * T + t] = inp[b * T + t];
        inp[b * T + t] = mask;
        any = true;
      }
    }
    if (!any) {
      const t = gen.randint(0, T);
      tgt[b * T + t] = inp[b * T + t];
      inp[b * T + t] = mask;
    }
  }
  return { x: new Tensor(inp, [B, T]), y: new Tensor(tgt, [B, T]) };
}

/**
 * Baselines from the training split's counts, scored on the same masked positions as the model:
 * unigram (always the most frequent character; loss of the unigram distribution) and bigram
 * with left context (the most likely character after the visible left neighbour, add-one
 * smoothed; falls back to the unigram when the neighbour is masked or absent).
 */
export class Baselines {
  private readonly uni: Float64Array;
  private readonly bi: Float64Array; // (V, V) P(next | prev)
  private readonly uniBest: number;
  private readonly biBest: Int32Array;
  constructor(readonly data: CharData) {
    const V = data.vocabSize, tr = data.train;
    const u = new Float64Array(V).fill(1), b = new Float64Array(V * V).fill(1);
    for (let i = 0; i < tr.length; i++) {
      u[tr[i]]++;
      if (i > 0) b[tr[i - 1] * V + tr[i]]++;
    }
    const us = u.reduce((a, c) => a + c, 0);
    this.uni = u.map((c) => c / us);
    this.uniBest = this.uni.indexOf(Math.max(...this.uni));
    this.bi = new Float64Array(V * V);
    this.biBest = new Int32Array(V);
    for (let p = 0; p < V; p++) {
      let s = 0, best = 0;
      for (let c = 0; c < V; c++) s += b[p * V + c];
      for (let c = 0; c < V; c++) {
        this.bi[p * V + c] = b[p * V + c] / s;
        if (b[p * V + c] > b[p * V + best]) best = c;
      }
      this.biBest[p] = best;
    }
  }
  score(batch: MaskedBatch, T: number): { unigram: { loss: number; correct: number }; bigram: { loss: number; correct: number }; n: number } {
    const x = batch.x.intValues(), y = batch.y.intValues(), V = this.data.vocabSize;
    const r = { unigram: { loss: 0, correct: 0 }, bigram: { loss: 0, correct: 0 }, n: 0 };
    for (let i = 0; i < y.length; i++) {
      if (y[i] < 0) continue;
      r.n++;
      r.unigram.loss -= Math.log(this.uni[y[i]]);
      if (this.uniBest === y[i]) r.unigram.correct++;
      const prev = i % T === 0 ? -1 : x[i - 1];
      const known = prev >= 0 && prev < V;
      r.bigram.loss -= Math.log(known ? this.bi[prev * V + y[i]] : this.uni[y[i]]);
      if ((known ? this.biBest[prev] : this.uniBest) === y[i]) r.bigram.correct++;
    }
    return r;
  }
}

/** Loss and accuracy on masked positions, with both baselines on the very same positions. */
function evaluate(model: GPT<AttentionLayer>, data: CharData, base: Baselines, split: 'train' | 'val', gen: Generator, batches: number, B: number, T: number): Record<string, number> {
  let loss = 0, correct = 0, n = 0, ul = 0, uc = 0, bl = 0, bc = 0;
  for (let i = 0; i < batches; i++) {
    const batch = maskBatch(data, split, B, T, gen);
    const { logits } = model.forward(batch.x); // (B, T, V + 1)
    const pred = logits.argmax(-1).intValues(), y = batch.y.intValues();
    const s = base.score(batch, T);
    loss += crossEntropy(logits, batch.y, { ignoreIndex: -1 }).item() * s.n;
    for (let j = 0; j < y.length; j++) if (y[j] >= 0 && pred[j] === y[j]) correct++;
    n += s.n, ul += s.unigram.loss, uc += s.unigram.correct, bl += s.bigram.loss, bc += s.bigram.correct;
  }
  return { loss: loss / n, acc: correct / n, unigram_loss: ul / n, unigram_acc: uc / n, bigram_loss: bl / n, bigram_acc: bc / n };
}

export interface EncoderFlags extends ModelFlags {
  input?: string; out?: string; seed: number; resume: boolean; force?: boolean; json: boolean; quiet: boolean; mapLength: number;
}

const log = (m: string) => console.error(m);

export async function runEncoder(o: EncoderFlags): Promise<number> {
  if (o.attention === 'mla' && o.pos === 'learned') log('note: MLA always uses its decoupled RoPE; --pos learned adds a position table too');
  const { model: shape, train: settings } = settingsFromFlags(o);
  const run = new RunDir(o.out ?? `runs/encoder-${o.preset}`);
  if (o.resume && !run.exists('latest.safetensors')) throw new GradpathError(`--resume: no checkpoint at ${run.path('latest.safetensors')}`);
  checkRunDir(run, o); // a finished run is not replaced by accident
  const { text, path } = await loadText(o.input, log);
  const data = new CharData(text, shape.blockSize);
  const gen = new Generator(o.seed);
  // one more token id than characters: [MASK] = vocabSize; the head predicts it too but it is never a target
  const { model, config } = buildModel({ ...shape, vocabSize: data.vocabSize + 1, bidirectional: true }, gen);
  const full = { ...config, vocab: data.chars.join(''), preset: o.preset, ...settings, seed: o.seed, input: path, maskRate: MASK_RATE };
  const base = new Baselines(data);
  const B = settings.batchSize, T = config.blockSize;
  log(`encoder: ${data.train.length + data.val.length} characters, vocab ${data.vocabSize} + [MASK], ${o.attention}, bidirectional, ${model.numParams().toLocaleString('en-US')} parameters, run dir ${run.dir}`);
  const res = await train({
    model, gen, kind: KIND, config: full, configKeys: CONFIG_KEYS, settings, run, resume: o.resume, force: o.force, quiet: o.quiet, log,
    trainLoss: (g) => {
      const batch = maskBatch(data, 'train', B, T, g);
      return crossEntropy(model.forward(batch.x).logits, batch.y, { ignoreIndex: -1 }); // masked positions only
    },
    evaluate: (split, g, n) => evaluate(model, data, base, split, g, n, B, T),
  });
  const v = res.val;
  const rows = [
    ['encoder (this model)', v.loss, v.acc],
    ['bigram, left context', v.bigram_loss, v.bigram_acc],
    ['unigram', v.unigram_loss, v.unigram_acc],
  ] as const;
  console.log(`masked-character prediction on the validation split (${settings.evalIters} batches of ${B} x ${T}, ${MASK_RATE * 100}% masked):`);
  for (const [name, loss, acc] of rows) console.log(`  ${name.padEnd(22)} loss ${loss.toFixed(4)}  accuracy ${(acc * 100).toFixed(2)}%`);
  const svg = drawAttention(model, data, Math.min(o.mapLength, T), new Generator(o.seed + 7));
  log(`attention maps: ${run.writeText('attention.svg', svg)}`);
  if (o.json) {
    console.log(JSON.stringify({
      preset: o.preset, params: model.numParams(), iters: res.iters, train_loss: round(res.trainLoss), val_loss: round(v.loss), seconds: round(res.seconds, 1),
      val_acc: round(v.acc), bigram_acc: round(v.bigram_acc), unigram_acc: round(v.unigram_acc), bigram_loss: round(v.bigram_loss), unigram_loss: round(v.unigram_loss), attention: config.attention, backend: backendName(),
    }));
  }
  return res.interrupted ? 130 : 0;
}

function round(x: number, d = 4): number | null {
  return Number.isFinite(x) ? Number(x.toFixed(d)) : null;
}

/** Runs one masked validation window with keepAttention on and draws every layer's heads. */
export function drawAttention(model: GPT<AttentionLayer>, data: CharData, T: number, gen: Generator): string {
  const batch = maskBatch(data, 'val', 1, T, gen);
  const layers = model.h.map((b) => b.attn as unknown as { keepAttention: boolean; lastAttention: Tensor | null });
  for (const a of layers) a.keepAttention = true;
  noGrad(() => model.eval().forward(batch.x));
  const maps = layers.map((a) => {
    const att = a.lastAttention!; // (1, nh, T, T)
    const nh = att.shape[1], vals = att.floatValues();
    a.keepAttention = false;
    return Array.from({ length: nh }, (_, h) => vals.slice(h * T * T, (h + 1) * T * T));
  });
  const ids = batch.x.intValues();
  const labels = Array.from(ids, (i) => (i === data.vocabSize ? '█' : data.chars[i]));
  return attentionSvg({ maps, labels, title: `encoder attention on a validation sequence (█ = [MASK]): ${JSON.stringify(data.decode(batch.y.intValues().map((y, i) => (y >= 0 ? y : ids[i]))))}` });
}
