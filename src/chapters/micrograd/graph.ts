import { Value, topologicalOrder } from './engine.js';

/**
 * The computation graph behind a Value, as Graphviz DOT, drawn the way micrograd's draw_dot
 * does: a box per value (label | data | grad), and a small oval per operation, with edges
 * input -> op -> result. Read left to right it is the forward pass; right to left, backward.
 */
export function toDot(root: Value, { rankdir = 'LR' }: { rankdir?: 'LR' | 'TB' } = {}): string {
  const order = topologicalOrder(root);
  const id = new Map<Value, string>();
  order.forEach((v, i) => id.set(v, `v${i}`));
  const lines = [
    'digraph micrograd {',
    `  rankdir=${rankdir};`,
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [color="#555555"];',
  ];
  for (const v of order) {
    const name = id.get(v)!;
    const fields = `{ ${escapeRecord(v.label)} | data ${v.data.toFixed(4)} | grad ${v.grad.toFixed(4)} }`;
    lines.push(`  ${name} [shape=record, label="${fields}"];`);
    if (v._op === '') continue;
    // The op gets its own node so that the picture shows which operation joined the inputs.
    lines.push(`  ${name}_op [shape=ellipse, label="${escapeRecord(v._op)}"];`);
    lines.push(`  ${name}_op -> ${name};`);
    for (const child of v._prev) lines.push(`  ${id.get(child)} -> ${name}_op;`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}

/** Record labels treat {}|<> as structure and quotes and backslashes as syntax. */
function escapeRecord(text: string): string {
  return text.replace(/[\\{}|<>"]/g, (c) => `\\${c}`);
}

let vizPromise: Promise<{ renderString(dot: string, options: { format: string; engine: string }): string }> | null = null;

/** Renders DOT to SVG text with Graphviz compiled to WebAssembly (no system Graphviz needed). */
export async function renderSvg(dot: string): Promise<string> {
  vizPromise ??= import('@viz-js/viz').then((m) => m.instance());
  const viz = await vizPromise;
  return viz.renderString(dot, { format: 'svg', engine: 'dot' });
}
