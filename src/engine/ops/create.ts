import { GradpathError } from '../../util/errors.js';
import { defaultGenerator, type Generator } from '../../util/random.js';
import { numel, shapeStr } from '../shape.js';
import { Tensor, type DType } from '../tensor.js';

/** Creating tensors: from data, constants, ranges, and seeded random numbers. */

export interface CreateOptions { dtype?: DType; requiresGrad?: boolean }
type Nested = number | Nested[];

function finish(t: Tensor, opts: CreateOptions): Tensor {
  if (opts.requiresGrad) t.setRequiresGrad(true);
  return t;
}

function alloc(n: number, dtype: DType = 'float32'): Float32Array | Int32Array {
  return dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
}

/**
 * tensor([[1, 2], [3, 4]]), tensor(float32Array, [2, 2]), tensor(5).
 * Typed arrays are used as storage without copying; Int32Array gives an int32 tensor.
 */
export function tensor(data: Nested | Float32Array | Int32Array | number[], shapeOrOpts?: number[] | CreateOptions, maybeOpts: CreateOptions = {}): Tensor {
  const opts = Array.isArray(shapeOrOpts) ? maybeOpts : (shapeOrOpts ?? {});
  const explicitShape = Array.isArray(shapeOrOpts) ? shapeOrOpts : undefined;
  if (data instanceof Float32Array || data instanceof Int32Array) {
    const shape = explicitShape ?? [data.length];
    if (numel(shape) !== data.length) throw new GradpathError(`tensor: ${data.length} values do not fill shape ${shapeStr(shape)}`);
    let storage: Float32Array | Int32Array = data;
    if (opts.dtype === 'float32' && data instanceof Int32Array) storage = Float32Array.from(data);
    if (opts.dtype === 'int32' && data instanceof Float32Array) storage = Int32Array.from(data, Math.trunc);
    return finish(new Tensor(storage, shape), opts);
  }
  const shape: number[] = [];
  let probe: Nested = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0] as Nested;
  }
  const flat: number[] = Array.isArray(data) ? ((data as unknown[]).flat(Infinity as 1) as number[]) : [data as number];
  if (flat.length !== numel(shape) || flat.some((v) => typeof v !== 'number')) {
    throw new GradpathError(`tensor: nested arrays are ragged or hold non-numbers (expected shape ${shapeStr(shape)})`);
  }
  const storage = alloc(flat.length, opts.dtype);
  storage.set(flat);
  const t = new Tensor(storage, shape);
  if (explicitShape) return finish(t.reshape(explicitShape).contiguous(), opts);
  return finish(t, opts);
}

function checkShape(op: string, shape: number[]): number[] {
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new GradpathError(`${op}: invalid shape ${shapeStr(shape)}`);
  return [...shape];
}

export function full(shape: number[], value: number, opts: CreateOptions = {}): Tensor {
  const s = checkShape('full', shape);
  return finish(new Tensor(alloc(numel(s), opts.dtype).fill(value), s), opts);
}

export function zeros(shape: number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 0, opts);
}

export function ones(shape: number[], opts: CreateOptions = {}): Tensor {
  return full(shape, 1, opts);
}

export function zerosLike(x: Tensor): Tensor {
  return zeros(x.shape, { dtype: x.dtype });
}

/** arange(end) or arange(start, end, step); int32 when all arguments are integers. */
export function arange(start: number, end?: number, step = 1, opts: CreateOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0) throw new GradpathError('arange: step must not be zero');
  const n = Math.max(0, Math.ceil((end - start) / step));
  const dtype = opts.dtype ?? ([start, end, step].every(Number.isInteger) ? 'int32' : 'float32');
  const data = alloc(n, dtype);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return finish(new Tensor(data, [n]), opts);
}

export interface RandomOptions extends CreateOptions { generator?: Generator }

/** Standard normal samples from a seeded generator. */
export function randn(shape: number[], opts: RandomOptions = {}): Tensor {
  const s = checkShape('randn', shape);
  const g = opts.generator ?? defaultGenerator;
  const data = new Float32Array(numel(s));
  for (let i = 0; i < data.length; i++) data[i] = g.normal();
  return finish(new Tensor(data, s), opts);
}

/** Uniform samples in [0, 1). */
export function rand(shape: number[], opts: RandomOptions = {}): Tensor {
  const s = checkShape('rand', shape);
  const g = opts.generator ?? defaultGenerator;
  const data = new Float32Array(numel(s));
  for (let i = 0; i < data.length; i++) data[i] = g.random();
  return finish(new Tensor(data, s), opts);
}

/** Integers uniform in [low, high), int32. */
export function randint(low: number, high: number, shape: number[], opts: { generator?: Generator } = {}): Tensor {
  if (!(high > low)) throw new GradpathError(`randint: high ${high} must be greater than low ${low}`);
  const s = checkShape('randint', shape);
  const g = opts.generator ?? defaultGenerator;
  const data = new Int32Array(numel(s));
  for (let i = 0; i < data.length; i++) data[i] = g.randint(low, high);
  return new Tensor(data, s);
}

/** A random permutation of 0..n-1 (Fisher-Yates), int32. */
export function randperm(n: number, opts: { generator?: Generator } = {}): Tensor {
  const g = opts.generator ?? defaultGenerator;
  const data = new Int32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = g.randint(0, i + 1);
    [data[i], data[j]] = [data[j], data[i]];
  }
  return new Tensor(data, [n]);
}
