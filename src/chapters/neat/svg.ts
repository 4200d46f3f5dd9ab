import type { Genome, NodeGene } from './genome.js';
import { legend, legendHeight, type LegendItem } from '../../util/chart.js';
import { el, escapeXml, svgDocument, text } from '../../util/svg.js';

export interface SvgOptions {
  /** Names for the input nodes (e.g. ['height', 'velocity']) and outputs. */
  inputNames?: string[];
  outputNames?: string[];
  /** Draw disabled connections dashed (default) or leave them out. */
  showDisabled?: boolean;
  title?: string;
}

const COLOR = { positive: '#2166ac', negative: '#d6604d', disabled: '#aaaaaa' };
const NODE_FILL = { input: '#fdd49e', bias: '#d9d9d9', hidden: '#ffffff', output: '#a6dba0' };

/**
 * Layers: inputs and bias in column 0; every other node one column past the deepest node that
 * feeds it (ignoring links that point backwards in a recurrent net); outputs in the last column.
 */
function layers(genome: Genome): Map<number, number> {
  const incoming = new Map<number, number[]>();
  for (const c of genome.connections) {
    if (!incoming.has(c.out)) incoming.set(c.out, []);
    incoming.get(c.out)!.push(c.in);
  }
  const depth = new Map<number, number>();
  const onPath = new Set<number>();
  const visit = (id: number): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const node = genome.nodes.find((n) => n.id === id);
    if (!node || node.type === 'input' || node.type === 'bias') {
      depth.set(id, 0);
      return 0;
    }
    onPath.add(id);
    let d = 1;
    for (const src of incoming.get(id) ?? []) if (!onPath.has(src)) d = Math.max(d, visit(src) + 1);
    onPath.delete(id);
    depth.set(id, d);
    return d;
  };
  for (const n of genome.nodes) visit(n.id);
  const last = Math.max(1, ...genome.nodes.filter((n) => n.type !== 'output').map((n) => depth.get(n.id)! + 1));
  for (const n of genome.nodes) if (n.type === 'output') depth.set(n.id, last);
  return depth;
}

/** A hand-written SVG of the network: blue links excite, red inhibit, width grows with |weight|. */
export function genomeToSvg(genome: Genome, options: SvgOptions = {}): string {
  const depth = layers(genome);
  const columns = new Map<number, NodeGene[]>();
  for (const n of genome.nodes) {
    const d = depth.get(n.id)!;
    if (!columns.has(d)) columns.set(d, []);
    columns.get(d)!.push(n);
  }
  const colCount = Math.max(...columns.keys()) + 1;
  const rows = Math.max(...[...columns.values()].map((c) => c.length));
  const dx = 150;
  const dy = 64;
  const top = options.title ? 48 : 24;
  const width = 120 + (colCount - 1) * dx + 120;
  const height = top + rows * dy + 24;
  const pos = new Map<number, { x: number; y: number }>();
  for (const [d, nodes] of columns) {
    nodes.sort((a, b) => a.id - b.id);
    const offset = (rows - nodes.length) * dy / 2;
    nodes.forEach((n, i) => pos.set(n.id, { x: 120 + d * dx, y: top + offset + i * dy + dy / 2 }));
  }
  const maxW = Math.max(1e-9, ...genome.connections.map((c) => Math.abs(c.weight)));
  const out: string[] = [];
  if (options.title) out.push(text(width / 2, 24, options.title, { 'text-anchor': 'middle', 'font-size': 15 }));
  let drawnDisabled = false, drawnRecurrent = false;
  for (const c of genome.connections) {
    if (!c.enabled && options.showDisabled === false) continue;
    const a = pos.get(c.in);
    const b = pos.get(c.out);
    if (!a || !b) continue;
    const colour = !c.enabled ? COLOR.disabled : c.weight >= 0 ? COLOR.positive : COLOR.negative;
    drawnDisabled ||= !c.enabled;
    drawnRecurrent ||= c.in === c.out || b.x <= a.x;
    const w = c.enabled ? (0.6 + 4.4 * Math.abs(c.weight) / maxW).toFixed(2) : '1';
    const dash = c.enabled ? '' : ' stroke-dasharray="5,4"';
    const tip = `${el('title', {}, escapeXml(`#${c.innovation}: ${c.in} → ${c.out}, weight ${c.weight.toFixed(3)}${c.enabled ? '' : ' (disabled)'}`))}`;
    if (c.in === c.out) {
      out.push(`<path d="M ${a.x - 8} ${a.y - 14} C ${a.x - 30} ${a.y - 60}, ${a.x + 30} ${a.y - 60}, ${a.x + 8} ${a.y - 14}" fill="none" stroke="${colour}" stroke-width="${w}"${dash}>${tip}</path>`);
    } else if (b.x <= a.x) {
      // A recurrent (backward) link: bow it above the straight line so it stays readable.
      const mx = (a.x + b.x) / 2;
      const my = Math.min(a.y, b.y) - 50;
      out.push(`<path d="M ${a.x} ${a.y} Q ${mx} ${my} ${b.x} ${b.y}" fill="none" stroke="${colour}" stroke-width="${w}"${dash} opacity="0.85">${tip}</path>`);
    } else {
      out.push(`<line x1="${a.x}" y1="${a.y}" x2="${b.x}" y2="${b.y}" stroke="${colour}" stroke-width="${w}"${dash} opacity="0.85">${tip}</line>`);
    }
  }
  for (const n of genome.nodes) {
    const p = pos.get(n.id)!;
    const fill = NODE_FILL[n.type];
    out.push(`<circle cx="${p.x}" cy="${p.y}" r="14" fill="${fill}" stroke="#333" stroke-width="1.2"/>`);
    out.push(`<text x="${p.x}" y="${p.y + 4}" text-anchor="middle">${n.type === 'bias' ? 'b' : n.id}</text>`);
    let label = '';
    if (n.type === 'input') label = options.inputNames?.[n.id] ?? `in ${n.id}`;
    else if (n.type === 'bias') label = 'bias';
    else if (n.type === 'output') label = options.outputNames?.[n.id - genome.inputs - 1] ?? `out ${n.id - genome.inputs - 1}`;
    if (label) {
      const left = n.type !== 'output';
      out.push(`<text x="${p.x + (left ? -20 : 20)}" y="${p.y + 4}" text-anchor="${left ? 'end' : 'start'}" fill="#444">${escapeXml(label)}</text>`);
    }
  }
  // The legend says what each kind of line and circle means; entries only for what is drawn.
  const items: LegendItem[] = [
    { label: 'weight > 0', color: COLOR.positive, width: 2.5 },
    { label: 'weight < 0', color: COLOR.negative, width: 2.5 },
    { label: `width ∝ |weight| (max ${maxW.toFixed(2)})`, color: '#555555', width: 5 },
    ...(drawnDisabled ? [{ label: 'disabled', color: COLOR.disabled, dash: '5,4', width: 1 }] : []),
    ...(drawnRecurrent ? [{ label: 'recurrent', color: '#555555', curve: true, width: 1.5 }] : []),
    ...(['input', 'bias', 'hidden', 'output'] as const).map((t) => ({ label: `${t} node`, color: NODE_FILL[t], swatch: true, stroke: '#333333' })),
  ];
  const legendWidth = width - 32;
  out.push(legend(items, 16, height + 14, legendWidth));
  return svgDocument(width, height + legendHeight(items, legendWidth) + 8, out);
}
