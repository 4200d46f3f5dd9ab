import { GradpathError } from '../../../util/errors.js';
import type { Word } from '../kernel-context.js';

/** The most dims a strided kernel walks (after merging dims that are contiguous in every operand). */
export const MAX_RANK = 8;

/**
 * Drops size-1 dims and merges neighbours that every operand steps through contiguously, so a
 * typical broadcast or transpose needs two or three dims. strides[k] are operand k's strides.
 */
export function coalesce(shape: number[], strides: number[][]): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((s, k) => outStrides[k][last] === s[d] * shape[d])) {
      outShape[last] *= shape[d];
      strides.forEach((s, k) => { outStrides[k][last] = s[d]; });
    } else {
      outShape.push(shape[d]);
      strides.forEach((s, k) => outStrides[k].push(s[d]));
    }
  }
  if (outShape.length > MAX_RANK) throw new GradpathError(`webgpu: a strided operation over ${outShape.length} dims exceeds the backend's ${MAX_RANK}; make the tensor contiguous first`);
  return { shape: outShape, strides: outStrides };
}

/** The uniform words of a strided walk: rank, then shape and each operand's strides as vec4u pairs (MAX_RANK each). */
export function stridedWords(shape: number[], strides: number[][]): Word[] {
  const pad = (v: number[]): Word[] => Array.from({ length: MAX_RANK }, (_, d) => ({ u32: d < v.length ? v[d] : 0 }));
  return [{ u32: shape.length }, { u32: 0 }, { u32: 0 }, { u32: 0 }, ...pad(shape), ...strides.flatMap(pad)];
}

/** WGSL struct fields matching stridedWords for operands named in `names` (after the struct's own leading words). */
export function stridedFields(names: string[]): string {
  return ['nd: u32, p0: u32, p1: u32, p2: u32', 'shape: array<vec4u, 2>', ...names.map((n) => `${n}: array<vec4u, 2>`)].join(',\n  ');
}

/** WGSL: from linear index i, each operand's element offset `<name>i` (relative to its base offset). */
export function stridedIndex(names: string[]): string {
  return `
  var rem = i;
  ${names.map((n) => `var ${n}i = 0u;`).join(' ')}
  for (var d = i32(u.nd) - 1; d >= 0; d--) {
    let size = u.shape[d / 4][d % 4];
    let c = rem % size;
    rem = rem / size;
    ${names.map((n) => `${n}i += c * u.${n}[d / 4][d % 4];`).join('\n    ')}
  }`;
}
