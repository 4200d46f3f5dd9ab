import { barChart, PALETTE } from '../../util/chart.js';
import { formatTable } from '../../util/format.js';
import { ATTRIBUTES, PROBE_FIELDS } from './people.js';
import type { KnowledgeResult } from './knowledge.js';
import type { ProbeTable } from './probing.js';

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '-');

/** Mean over the probe fields of one layer's accuracies. */
export function meanProbe(layer: Record<string, number> | undefined): number {
  if (!layer) return NaN;
  const v = PROBE_FIELDS.map((f) => layer[f]).filter((x) => Number.isFinite(x));
  return v.length ? v.reduce((s, x) => s + x, 0) / v.length : NaN;
}

/** The layer whose probe reads best (mean over fields): where the knowledge is most linearly present. */
export function bestLayer(layers: ProbeTable['q'] | undefined): number {
  if (!layers) return 0;
  let best = 0;
  layers.forEach((l, i) => {
    if (meanProbe(l) > meanProbe(layers[best])) best = i;
  });
  return best;
}

/** One row per run: memorisation, QA on trained and unseen people, and the probes' mean accuracy. */
export function resultsTable(results: readonly KnowledgeResult[]): string {
  return formatTable(
    ['variant', 'bio memorised', 'QA trained people', 'QA unseen people (OOD)', 'LoRA: trained', 'LoRA: unseen (OOD)', 'Q-probe (best layer)', 'P-probe (best layer)', 'A-probe control (best layer)', 'probe chance', 'steps', 'time'],
    results.map((r) => {
      const layer = (w: ProbeKind) => (r.probes[w] ? `${pct(meanProbe(r.probes[w]![bestLayer(r.probes[w])]))} (L${bestLayer(r.probes[w])})` : '-');
      return [r.label, pct(r.bioAcc), pct(r.qaTrain), pct(r.qaTest), pct(r.lora?.qaTrain ?? NaN), pct(r.lora?.qaTest ?? NaN),
        layer('q'), layer('p'), layer('a'),
        pct(meanProbe(r.probes.majority)), `${r.pretrainSteps}+${r.finetuneSteps}${r.lora ? `/${r.lora.steps}` : ''}`, `${Math.round(r.seconds)} s`];
    }),
  );
}

type ProbeKind = 'q' | 'p' | 'a';

/** Per field: one probe's accuracy at its best layer, one row per run, and the commonest class's share (chance). */
export function probeTable(results: readonly KnowledgeResult[], which: ProbeKind): string {
  const rows = results.map((r) => {
    const l = bestLayer(r.probes[which]);
    return [r.label, `L${l}`, ...PROBE_FIELDS.map((f) => pct(r.probes[which]?.[l]?.[f] ?? NaN))];
  });
  const chance = results[0]?.probes.majority ?? {};
  return formatTable(['variant', 'layer', ...PROBE_FIELDS], [...rows, ['chance (commonest class)', '', ...PROBE_FIELDS.map((f) => pct(chance[f] ?? NaN))]]);
}

/** The three probe tables, titled (the command's output and table.txt). */
export function probeTables(results: readonly KnowledgeResult[]): string {
  return [
    `Q-probe per field (the name alone, last name token; best layer):\n${probeTable(results, 'q')}`,
    `P-probe per field (before the first value of a biography; best layer):\n${probeTable(results, 'p')}`,
    `A-probe per field, the control (the question's last token, where the model reads its answer; the answer's first word; best layer):\n${probeTable(results, 'a')}`,
  ].join('\n\n');
}

/** Out-of-distribution exact match per attribute, one row per run (and one per LoRA finetune). */
export function attributeTable(results: readonly KnowledgeResult[]): string {
  const row = (label: string, by: Record<string, number>) => [label, ...ATTRIBUTES.map((a) => pct(by[a] ?? NaN))];
  return formatTable(['variant', ...ATTRIBUTES], results.flatMap((r) => [row(r.label, r.qaTestByAttribute), ...(r.lora ? [row(`${r.label} (LoRA)`, r.lora.qaTestByAttribute)] : [])]));
}

/** A bar's label: long combinations abbreviated (m5+perm+full mixed), so seven fit side by side. */
function barLabel(label: string): string {
  return label.length <= 14 ? label : label.replace(/multi(\d+)/, 'm$1').replace('permute', 'perm').replace('fullname', 'full');
}

/** The picture: per variant, OOD QA accuracy (full and LoRA finetune) next to the Q- and P-probes' mean accuracy. */
export function comparisonSvg(results: readonly KnowledgeResult[], title: string): string {
  const labels = results.map((r) => barLabel(r.label));
  const colors = results.map((_, i) => PALETTE[i % PALETTE.length]);
  const panel = (name: string, values: number[]) => ({
    title: name, labels, values: values.map((v) => (Number.isFinite(v) ? 100 * v : 0)), colors,
    annotations: values.map((v) => pct(v)), labelEvery: 1, y: { label: '%', min: 0, max: 100 },
  });
  return barChart([
    panel('QA exact match on unseen (out-of-distribution) people, full finetune (mixed: after mixed training)', results.map((r) => r.qaTest)),
    panel('QA exact match on unseen people, LoRA finetune of the pretrained model', results.map((r) => r.lora?.qaTest ?? NaN)),
    panel('Q-probe at the last name token (mean over 8 fields, best layer)', results.map((r) => meanProbe(r.probes.q[bestLayer(r.probes.q)]))),
    panel('P-probe before the first value of a biography (mean, best layer)', results.map((r) => meanProbe(r.probes.p[bestLayer(r.probes.p)]))),
    panel('A-probe, the control: the question\'s last token, where the model reads its answer (mean over 6 answers, best layer)', results.map((r) => meanProbe(r.probes.a?.[bestLayer(r.probes.a)]))),
  ], { title, panelWidth: 760, panelHeight: 200, caption: `m5 = multi5, perm = permute, full = fullname; probe chance ${pct(meanProbe(results[0]?.probes.majority))}; in fixed order the P-probe reads the next token (birth month)` });
}
