import type { Node } from './autograd.js';
import type { Tensor } from './tensor.js';

/**
 * Printing a tensor the way PyTorch does (torch/_tensor_str.py, default print options), so
 * output can be compared with PyTorch's by eye or by string:
 *   tensor([[0.1000, 0.2000],
 *           [0.3000, 0.4000]], grad_fn=<MmBackward0>)
 * One format for every element, chosen from the finite nonzero values: whole numbers print as
 * `3.`, others with 4 decimals, and scientific notation (`1.0000e-05`) when the magnitudes span
 * more than 1000x, exceed 1e8, or go below 1e-4. Beyond 1000 elements only the first and last 3
 * of each dim print, around `...`.
 */
export const printOptions = { precision: 4, threshold: 1000, edgeItems: 3, lineWidth: 80 };

/** PyTorch's grad_fn class name for the op that made a tensor (for the few ops PyTorch lacks: ours, in its style). */
function gradFnName(node: Node, out: Tensor): string {
  const two = node.inputs.length === 2 && node.inputs.every((x) => x.ndim === 2);
  switch (node.op) {
    case 'powScalar': return 'PowBackward0';
    case 'pow': return 'PowBackward1';
    case 'clamp': return 'ClampBackward1';
    case 'max': return 'MaximumBackward0';
    case 'min': return 'MinimumBackward0';
    case 'sum': return out.ndim === 0 ? 'SumBackward0' : 'SumBackward1';
    case 'extreme': return `${node.saved.op === 'max' ? 'Max' : 'Min'}Backward${out.ndim === 0 ? 1 : 0}`;
    case 'contiguous': return 'CloneBackward0';
    case 'reshape': return 'ViewBackward0';
    case 'narrow': return 'SliceBackward0';
    case 'matmul': return two ? 'MmBackward0' : 'BmmBackward0';
    case 'crossEntropy': return 'NllLossBackward0';
    case 'layerNorm': return 'NativeLayerNormBackward0';
    case 'function': return `${node.saved.name}Backward`; // as PyTorch names an autograd.Function's node
    default: return `${node.op[0].toUpperCase()}${node.op.slice(1)}Backward0`;
  }
}

/** The whole printed form: `tensor(...)` with PyTorch's suffixes (dtype, grad_fn or requires_grad). */
export function formatTensor(t: Tensor): string {
  const prefix = 'tensor(';
  const indent = prefix.length;
  const values = t.values();
  const suffixes: string[] = [];
  let body: string;
  if (values.length === 0) {
    if (t.ndim !== 1) suffixes.push(`size=(${t.shape.join(', ')})`);
    body = '[]';
  } else {
    const summarize = values.length > printOptions.threshold;
    const formatter = new Formatter(summarize ? summarized(values, t.shape) : values, t.dtype === 'float32');
    body = nested(values, t.shape, 0, 0, indent, summarize, formatter);
  }
  if (t.dtype !== 'float32') suffixes.push(`dtype=${t.dtype}`);
  if (t.node) suffixes.push(`grad_fn=<${gradFnName(t.node, t)}>`);
  else if (t.requiresGrad) suffixes.push('requires_grad=True');
  return withSuffixes(prefix + body, suffixes, indent);
}

/** Appends `, suffix` to the last line, or on a new line where that would pass the line width. */
function withSuffixes(text: string, suffixes: string[], indent: number): string {
  let out = text;
  let lastLine = text.length - text.lastIndexOf('\n') + 1; // PyTorch's count, +2 without a newline
  for (const s of suffixes) {
    if (lastLine + s.length + 2 > printOptions.lineWidth) {
      out += `,\n${' '.repeat(indent)}${s}`;
      lastLine = indent + s.length;
    } else {
      out += `, ${s}`;
      lastLine += s.length + 2;
    }
  }
  return out + ')';
}

/** The values that would print when summarising: the first and last edgeItems along every dim. */
function summarized(v: ArrayLike<number>, shape: number[]): number[] {
  const out: number[] = [];
  const edge = printOptions.edgeItems;
  const walk = (dim: number, at: number) => {
    if (dim === shape.length) {
      out.push(v[at]);
      return;
    }
    const n = shape[dim], stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
    for (const i of indicesShown(n, edge, true)) walk(dim + 1, at + i * stride);
  };
  walk(0, 0);
  return out;
}

/** 0..n-1, or the first and last `edge` of them when summarising and n > 2 edge (-1 marks the gap). */
function indicesShown(n: number, edge: number, summarize: boolean, gap = false): number[] {
  const all = Array.from({ length: n }, (_, i) => i);
  if (!summarize || n <= 2 * edge) return all;
  return [...all.slice(0, edge), ...(gap ? [-1] : []), ...all.slice(n - edge)];
}

/** The bracketed text of the sub-tensor at flat offset `at` whose shape is shape[dim..]. */
function nested(v: ArrayLike<number>, shape: number[], dim: number, at: number, indent: number, summarize: boolean, f: Formatter): string {
  const nd = shape.length - dim;
  if (nd === 0) return f.format(v[at]);
  const n = shape[dim], stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const shown = indicesShown(n, printOptions.edgeItems, summarize, true);
  if (nd === 1) {
    const perLine = Math.max(1, Math.floor((printOptions.lineWidth - indent) / (f.width + 2)));
    const items = shown.map((i) => (i < 0 ? ' ...' : f.format(v[at + i])));
    const lines: string[] = [];
    for (let i = 0; i < items.length; i += perLine) lines.push(items.slice(i, i + perLine).join(', '));
    return `[${lines.join(`,\n${' '.repeat(indent + 1)}`)}]`;
  }
  const slices = shown.map((i) => (i < 0 ? '...' : nested(v, shape, dim + 1, at + i * stride, indent + 1, summarize, f)));
  return `[${slices.join(`,${'\n'.repeat(nd - 1)}${' '.repeat(indent + 1)}`)}]`;
}

/** One format for all elements, chosen as PyTorch's _Formatter chooses it. */
class Formatter {
  private intMode = true;
  private sciMode = false;
  width = 1;

  constructor(values: ArrayLike<number>, private readonly floating: boolean) {
    if (!floating) {
      for (let i = 0; i < values.length; i++) this.width = Math.max(this.width, String(values[i]).length);
      return;
    }
    const finite: number[] = [];
    for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]) && values[i] !== 0) finite.push(values[i]);
    if (finite.length === 0) return;
    let min = Infinity, max = 0;
    for (const x of finite) {
      min = Math.min(min, Math.abs(x));
      max = Math.max(max, Math.abs(x));
      if (x !== Math.ceil(x)) this.intMode = false;
    }
    this.sciMode = max / min > 1000 || max > 1e8 || (!this.intMode && min < 1e-4);
    const p = printOptions.precision;
    for (const x of finite) {
      const s = this.sciMode ? exponential(x, p) : this.intMode ? `${fixed(x, 0)}.` : fixed(x, p);
      this.width = Math.max(this.width, s.length);
    }
  }

  format(x: number): string {
    const p = printOptions.precision;
    let s: string;
    if (!this.floating) s = String(x);
    else if (Number.isNaN(x)) s = 'nan';
    else if (!Number.isFinite(x)) s = x > 0 ? 'inf' : '-inf';
    else if (this.sciMode) s = exponential(x, p);
    else if (this.intMode) s = `${fixed(x, 0)}.`;
    else s = fixed(x, p);
    return s.padStart(this.width);
  }
}

// ---- exact decimal rounding, ties to even (as Python's format does; JS's toFixed rounds ties up) ----

/** x = (-1)^neg * m * 2^e exactly, m an integer. */
function decompose(x: number): { neg: boolean; m: bigint; e: number } {
  const bits = new BigUint64Array(Float64Array.of(x).buffer)[0];
  const neg = bits >> 63n === 1n;
  const exp = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  return exp === 0 ? { neg, m: frac, e: -1074 } : { neg, m: frac | (1n << 52n), e: exp - 1075 };
}

/** round(|x| * 10^k), ties to even, exactly. */
function roundScaled(m: bigint, e: number, k: number): bigint {
  let num = m, den = 1n;
  if (e >= 0) num <<= BigInt(e);
  else den <<= BigInt(-e);
  if (k >= 0) num *= 10n ** BigInt(k);
  else den *= 10n ** BigInt(-k);
  const q = num / den, r2 = 2n * (num % den);
  return r2 > den || (r2 === den && q % 2n === 1n) ? q + 1n : q;
}

/** Python's f'{x:.{p}f}' for finite x. */
function fixed(x: number, p: number): string {
  const { neg, m, e } = decompose(x);
  const digits = roundScaled(m, e, p).toString().padStart(p + 1, '0');
  const int = digits.slice(0, digits.length - p), frac = digits.slice(digits.length - p);
  return `${neg ? '-' : ''}${int}${p > 0 ? `.${frac}` : ''}`;
}

/** Python's f'{x:.{p}e}' for finite x: 1.2346e-05. */
function exponential(x: number, p: number): string {
  const { neg, m, e } = decompose(x);
  let exp10 = 0, digits = '0'.repeat(p + 1);
  if (m !== 0n) {
    exp10 = Math.floor(Math.log10(Math.abs(x)));
    for (;;) {
      const n = roundScaled(m, e, p - exp10);
      const s = n.toString();
      if (s.length > p + 1) exp10++; // rounded up to 10^(p+1), or log10 was one low
      else if (s.length < p + 1) exp10--;
      else {
        digits = s;
        break;
      }
    }
  }
  const mant = p > 0 ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${neg ? '-' : ''}${mant}e${exp10 < 0 ? '-' : '+'}${String(Math.abs(exp10)).padStart(2, '0')}`;
}
