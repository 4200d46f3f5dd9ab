import { tensor } from '../../engine/ops/create.js';
import type { GPT } from '../../models/gpt.js';
import { makeQA, type Biography } from './bios.js';
import { hiddenStates } from './model.js';
import { ATTRIBUTES, fieldClasses, fieldLabel, fullName, PROBE_FIELDS, type Attribute, type Person, type ProbeField } from './people.js';
import { linearProbe, type ProbeOptions, type ProbeTask } from './probe.js';
import { WordVocab } from './vocab.js';

/**
 * Where the knowledge sits, read by linear probes (the paper's P- and Q-probing, with a plain
 * linear classifier instead of its rank-2 "nearly linear" one):
 *   Q-probe  the model reads only `<bos> first middle last`; the probe reads the hidden state at
 *            the last name token. If the attributes are linearly there, the name alone "knows" them.
 *   P-probe  the model reads the person's first biography; the probe reads the hidden state just
 *            before the first attribute value (after the name and the first template's words).
 * (With causal attention the P-probe at the last name token of a biography would see exactly
 * the Q-probe's input, so that position is not measured twice.)
 *   A-probe  the control: the model reads a question ("What is the birth city of <name> ? Answer :");
 *            the probe reads the hidden state at its last token, where the model itself reads its
 *            answer out, and predicts the answer's first word (the month of a date). A model that
 *            answers the unseen people's questions holds the answer there, one layer norm and one
 *            linear map from its logits; if the probe cannot read it, the probe is at fault.
 * Each is trained on the QA-finetune people and measured on the others, per layer
 * (0: the embeddings, l: after block l), for every field.
 */
export interface ProbeTable {
  /** layers[l][field] = test accuracy */
  q: Record<string, number>[];
  p: Record<string, number>[];
  /** The control at the question's last token: layers[l][field of the answer's first word]. Absent in runs made before it. */
  a?: Record<string, number>[];
  /** Accuracy of always guessing the training people's most common class, per field. */
  majority: Record<string, number>;
}

function gather(states: ReturnType<typeof hiddenStates>, positions: readonly number[], C: number, rowOffset: number, out: Float32Array[]): void {
  states.forEach((h, l) => {
    const v = h.floatValues(); // (B, T, C)
    const T = h.shape[1];
    positions.forEach((t, b) => out[l].set(v.subarray((b * T + t) * C, (b * T + t + 1) * C), (rowOffset + b) * C));
  });
}

/** Hidden states (n, C) per layer at one position of each row; rows of equal length within a batch. */
export function featuresAt(model: GPT, rows: number[][], positions: number[], batchSize = 64): Float32Array[] {
  const C = model.config.nEmbd, L = model.config.nLayer;
  const out = Array.from({ length: L + 1 }, () => new Float32Array(rows.length * C));
  for (let s = 0; s < rows.length; s += batchSize) {
    const chunk = rows.slice(s, s + batchSize);
    const T = Math.max(...chunk.map((r) => r.length));
    const ids = new Int32Array(chunk.length * T); // shorter rows end in <bos> padding, after every probed position
    chunk.forEach((r, b) => ids.set(r, b * T));
    gather(hiddenStates(model, tensor(ids, [chunk.length, T])), positions.slice(s, s + batchSize), C, s, out);
  }
  return out;
}

export function probeTask(people: readonly Person[], values: number, fields: readonly ProbeField[] = PROBE_FIELDS): ProbeTask {
  return { fields: fields.map((f) => ({ name: f, classes: fieldClasses(f, values), labels: Int32Array.from(people, (p) => fieldLabel(p, f)) })) };
}

/** The probe field of an answer's first word. */
export function answerField(a: Attribute): ProbeField {
  return a === 'birth_date' ? 'birth_month' : a;
}

export function majorityBaseline(task: ProbeTask, train: readonly number[], test: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of task.fields) {
    const counts = new Array(f.classes).fill(0);
    for (const i of train) counts[f.labels[i]]++;
    const top = counts.indexOf(Math.max(...counts));
    out[f.name] = test.filter((i) => f.labels[i] === top).length / Math.max(1, test.length);
  }
  return out;
}

/** Q- and P-probes of every layer. firstBio[i] is person i's first pretraining biography. */
export function probeKnowledge(model: GPT, vocab: WordVocab, people: readonly Person[], values: number, firstBio: readonly Biography[], split: { train: number[]; test: number[] }, o: ProbeOptions = {}): ProbeTable {
  const bos = vocab.id(WordVocab.BOS);
  const task = probeTask(people, values);
  const C = model.config.nEmbd;
  const qRows = people.map((p) => [bos, ...vocab.encode(fullName(p))]);
  const q = featuresAt(model, qRows, qRows.map((r) => r.length - 1));
  const pRows = firstBio.map((b) => [bos, ...vocab.encode(b.words)]);
  // position t predicts word t (position 0 is <bos>): the first value's word index is where it is predicted from
  const pPos = firstBio.map((b) => Math.min(...Object.values(b.valueAt)));
  const p = featuresAt(model, pRows, pPos);
  const run = (f: Float32Array) => linearProbe(f, C, task, split.train, split.test, o);
  const a: Record<string, number>[] = Array.from({ length: model.config.nLayer + 1 }, () => ({}));
  const everyone = people.map((_, i) => i);
  for (const attr of ATTRIBUTES) {
    const field = answerField(attr);
    const aRows = makeQA(people, everyone).filter((x) => x.attribute === attr).map((x) => [bos, ...vocab.encode(x.prompt)]); // person i's question is row i
    featuresAt(model, aRows, aRows.map((r) => r.length - 1)).forEach((f, l) => {
      a[l][field] = linearProbe(f, C, probeTask(people, values, [field]), split.train, split.test, o)[field];
    });
  }
  return { q: q.map(run), p: p.map(run), a, majority: majorityBaseline(task, split.train, split.test) };
}
