import { GradpathError } from '../util/errors.js';
import { backward as runBackward, type Node } from './autograd.js';
import { getBackend, syncHost } from './device.js';
import { contiguousStrides, numel, shapeStr } from './shape.js';
import * as E from './ops/elementwise.js';
import * as R from './ops/reduce.js';
import * as V from './ops/view.js';
import * as M from './ops/matmul.js';
import * as I from './ops/indexing.js';
import { floatsUninit, keepBuffer, recycle } from './pool.js';
import { formatTensor } from './print.js';

export type DType = 'float32' | 'int32';
export type Scalar = number;
export type TensorLike = Tensor | number;

/**
 * An n-d array of float32 (or int32 for indices) with reverse-mode autograd.
 * Storage is an ordinary typed array, so tensors are garbage-collected like any object:
 * nothing needs disposing. Views (reshape, permute, narrow, expand) share storage and differ
 * only in shape, strides and offset.
 */
export class Tensor {
  /**
   * The storage as kernels see it; a view reads it through shape, strides and offset. On a
   * device backend (webgpu) its host values may be stale: pass it to backend kernels, identify
   * it, make views of it, but read or write elements only through `data`.
   */
  storage: Float32Array | Int32Array;
  readonly shape: number[];
  readonly strides: number[];
  readonly offset: number;
  readonly dtype: DType;
  requiresGrad = false;
  grad: Tensor | null = null;
  /** How this tensor was computed, for backward (null for leaves and constants). */
  node: Node | null = null;
  /** Called by backward with this tensor's gradient once it is complete, before it flows on (registerHook). */
  gradHooks: ((grad: Tensor) => void)[] | null = null;
  /** Called by backward once this leaf's .grad is final for that backward (registerPostAccumulateGradHook). */
  postAccumulateGradHooks: ((leaf: Tensor) => void)[] | null = null;

  constructor(data: Float32Array | Int32Array, shape: number[], strides?: number[], offset = 0) {
    this.storage = data;
    this.shape = shape;
    this.strides = strides ?? contiguousStrides(shape);
    this.offset = offset;
    this.dtype = data instanceof Int32Array ? 'int32' : 'float32';
  }

  /**
   * The storage, current on the host: on a device backend its values are read back first, and
   * the host owns it from then on (the next kernel that reads it uploads it). So every host read
   * or write of tensor elements, anywhere, sees current values; kernel arguments use `storage`.
   */
  get data(): Float32Array | Int32Array {
    syncHost(this.storage);
    return this.storage;
  }

  set data(data: Float32Array | Int32Array) {
    this.storage = data;
  }

  get ndim(): number {
    return this.shape.length;
  }

  numel(): number {
    return numel(this.shape);
  }

  size(dim?: number): number {
    if (dim === undefined) return this.numel();
    return this.shape[dim < 0 ? dim + this.ndim : dim];
  }

  isContiguous(): boolean {
    let s = 1;
    for (let i = this.ndim - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== s) return false;
      s *= this.shape[i];
    }
    return true;
  }

  /**
   * The elements in row-major order as a typed array of length numel(), current on the host (a
   * device backend reads them back). Shares storage when the tensor is already contiguous (do not
   * write to it unless you own the tensor).
   */
  values(): Float32Array | Int32Array {
    const v = this.kernelValues();
    syncHost(v);
    return v;
  }

  /** Float32 elements in row-major order (ints are converted). */
  floatValues(): Float32Array {
    const v = this.values();
    return v instanceof Float32Array ? v : Float32Array.from(v);
  }

  /** Int32 elements in row-major order. */
  intValues(): Int32Array {
    const v = this.values();
    return v instanceof Int32Array ? v : Int32Array.from(v, (x) => Math.trunc(x));
  }

  /**
   * The elements in row-major order as an argument for a backend kernel: like values(), but not
   * synced to the host, so on a device backend they stay where they are. Never read them on the host.
   */
  kernelValues(): Float32Array | Int32Array {
    const n = this.numel();
    if (this.isContiguous()) {
      return this.offset === 0 && this.storage.length === n ? this.storage : this.storage.subarray(this.offset, this.offset + n);
    }
    const out = this.dtype === 'int32' ? new Int32Array(n) : floatsUninit(n);
    getBackend().copyStrided(this.storage, this.shape, this.strides, this.offset, out);
    return out;
  }

  /** kernelValues() as float32 (ints converted, on the host). */
  kernelFloats(): Float32Array {
    if (this.dtype === 'int32') return this.floatValues();
    return this.kernelValues() as Float32Array;
  }

  /** kernelValues() as int32 (floats truncated, on the host). */
  kernelInts(): Int32Array {
    if (this.dtype === 'float32') return this.intValues();
    return this.kernelValues() as Int32Array;
  }

  item(): number {
    if (this.numel() !== 1) throw new GradpathError(`item: only a one-element tensor converts to a number; got shape ${shapeStr(this.shape)}`);
    return this.data[this.offset];
  }

  /** Nested JS arrays, like tensor.tolist() in PyTorch. */
  tolist(): any {
    const v = Array.from(this.values());
    if (this.ndim === 0) return v[0];
    const build = (dim: number, start: number): any => {
      const stride = numel(this.shape.slice(dim + 1));
      const out = [];
      for (let i = 0; i < this.shape[dim]; i++) {
        out.push(dim === this.ndim - 1 ? v[start + i] : build(dim + 1, start + i * stride));
      }
      return out;
    };
    return build(0, 0);
  }

  /** As PyTorch prints it: `tensor([[1.0000, 2.5000]], grad_fn=<MulBackward0>)` (see print.ts). */
  toString(): string {
    return formatTensor(this);
  }

  /** console.log and util.inspect print the values (toString), not the internal fields. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return formatTensor(this);
  }

  // ---- autograd ----
  setRequiresGrad(on = true): this {
    if (on && this.dtype !== 'float32') throw new GradpathError('requiresGrad: only float32 tensors can require gradients');
    this.requiresGrad = on;
    return this;
  }

  backward(grad?: Tensor): void {
    runBackward(this, grad);
  }

  /**
   * fn(grad) runs when backward has this tensor's complete gradient, before propagating it
   * (PyTorch's Tensor.register_hook; here the gradient cannot be replaced). Returns a remover.
   */
  registerHook(fn: (grad: Tensor) => void): () => void {
    (this.gradHooks ??= []).push(fn);
    return () => removeHook(this.gradHooks, fn);
  }

  /**
   * fn(leaf) runs when backward has added this leaf's last gradient into .grad (PyTorch's
   * register_post_accumulate_grad_hook): data parallel starts a bucket's all-reduce there.
   */
  registerPostAccumulateGradHook(fn: (leaf: Tensor) => void): () => void {
    (this.postAccumulateGradHooks ??= []).push(fn);
    return () => removeHook(this.postAccumulateGradHooks, fn);
  }

  /** A tensor sharing storage but cut off from the graph. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, this.strides, this.offset);
  }

  /**
   * Adds g into .grad (leaf accumulation, as in PyTorch). With `adopt`, backward promises that
   * g's storage is used by nothing else, so a first gradient is kept as it is instead of copied.
   */
  accumulateGrad(g: Tensor, adopt = false): void {
    // backend passes, so on a device backend gradients stay on the device
    const gv = g.kernelFloats();
    if (!this.grad && adopt && gv === g.storage && g.dtype === 'float32') {
      this.grad = new Tensor(gv, [...this.shape]);
      return;
    }
    if (!this.grad) {
      const copy = floatsUninit(gv.length);
      getBackend().copyStrided(gv, [gv.length], [1], 0, copy);
      this.grad = new Tensor(copy, [...this.shape]);
      keepBuffer(copy);
      return;
    }
    const acc = this.grad.storage as Float32Array;
    getBackend().binary('add', acc, [1], gv, [1], acc, [acc.length]);
  }

  /** Drops .grad; inside an active BufferPool its storage is recycled (do not keep using it). */
  zeroGrad(): void {
    if (this.grad) recycle(this.grad.storage);
    this.grad = null;
  }

  onesLike(): Tensor {
    return new Tensor(new Float32Array(this.numel()).fill(1), [...this.shape]);
  }

  // ---- elementwise ----
  add(other: TensorLike): Tensor { return E.binaryOp('add', this, other); }
  sub(other: TensorLike): Tensor { return E.binaryOp('sub', this, other); }
  mul(other: TensorLike): Tensor { return E.binaryOp('mul', this, other); }
  div(other: TensorLike): Tensor { return E.binaryOp('div', this, other); }
  pow(exponent: TensorLike): Tensor { return E.pow(this, exponent); }
  maximum(other: TensorLike): Tensor { return E.binaryOp('max', this, other); }
  minimum(other: TensorLike): Tensor { return E.binaryOp('min', this, other); }
  eq(other: TensorLike): Tensor { return E.compare('eq', this, other); }
  gt(other: TensorLike): Tensor { return E.compare('gt', this, other); }
  lt(other: TensorLike): Tensor { return E.compare('lt', this, other); }
  ge(other: TensorLike): Tensor { return E.compare('ge', this, other); }
  neg(): Tensor { return E.unaryOp('neg', this); }
  exp(): Tensor { return E.unaryOp('exp', this); }
  log(): Tensor { return E.unaryOp('log', this); }
  sqrt(): Tensor { return E.unaryOp('sqrt', this); }
  tanh(): Tensor { return E.unaryOp('tanh', this); }
  sigmoid(): Tensor { return E.unaryOp('sigmoid', this); }
  relu(): Tensor { return E.unaryOp('relu', this); }
  gelu(): Tensor { return E.gelu(this); }
  abs(): Tensor { return E.unaryOp('abs', this); }
  clamp(min?: number, max?: number): Tensor { return E.clamp(this, min, max); }
  maskedFill(mask: Tensor, value: number): Tensor { return E.maskedFill(this, mask, value); }

  // ---- reductions ----
  sum(dim?: number | number[], keepdim = false): Tensor { return R.sum(this, dim, keepdim); }
  mean(dim?: number | number[], keepdim = false): Tensor { return R.mean(this, dim, keepdim); }
  max(dim?: number, keepdim = false): Tensor { return R.max(this, dim, keepdim); }
  min(dim?: number, keepdim = false): Tensor { return R.min(this, dim, keepdim); }
  var(dim?: number | number[], keepdim = false, unbiased = true): Tensor { return R.variance(this, dim, keepdim, unbiased); }
  argmax(dim = -1, keepdim = false): Tensor { return R.argmax(this, dim, keepdim); }
  softmax(dim = -1): Tensor { return R.softmax(this, dim, false); }
  logSoftmax(dim = -1): Tensor { return R.softmax(this, dim, true); }

  // ---- shape and views ----
  reshape(...shape: number[] | [number[]]): Tensor { return V.reshape(this, flatArgs(shape)); }
  view(...shape: number[] | [number[]]): Tensor { return V.reshape(this, flatArgs(shape)); }
  flatten(startDim = 0, endDim = -1): Tensor { return V.flatten(this, startDim, endDim); }
  permute(...dims: number[] | [number[]]): Tensor { return V.permute(this, flatArgs(dims)); }
  transpose(dim0 = -2, dim1 = -1): Tensor { return V.transpose(this, dim0, dim1); }
  get T(): Tensor { return V.transpose(this, -2, -1); }
  expand(...shape: number[] | [number[]]): Tensor { return V.expand(this, flatArgs(shape)); }
  narrow(dim: number, start: number, length: number): Tensor { return V.narrow(this, dim, start, length); }
  squeeze(dim?: number): Tensor { return V.squeeze(this, dim); }
  unsqueeze(dim: number): Tensor { return V.unsqueeze(this, dim); }
  contiguous(): Tensor { return V.contiguous(this); }
  split(sizeOrSections: number | number[], dim = 0): Tensor[] { return V.split(this, sizeOrSections, dim); }
  chunk(chunks: number, dim = 0): Tensor[] { return V.chunk(this, chunks, dim); }

  // ---- linear algebra and indexing ----
  matmul(other: Tensor): Tensor { return M.matmul(this, other); }
  indexSelect(dim: number, index: Tensor): Tensor { return I.indexSelect(this, dim, index); }
  gather(dim: number, index: Tensor): Tensor { return I.gather(this, dim, index); }

  /** A float32 copy (ints converted), without graph. */
  float(): Tensor {
    return this.dtype === 'float32' ? this : new Tensor(this.floatValues(), [...this.shape]);
  }

  /** An int32 copy (floats truncated), without graph. */
  int(): Tensor {
    return this.dtype === 'int32' ? this : new Tensor(this.intValues(), [...this.shape]);
  }
}

function flatArgs(args: number[] | [number[]]): number[] {
  return Array.isArray(args[0]) ? (args[0] as number[]) : (args as number[]);
}

function removeHook<F>(hooks: F[] | null, fn: F): void {
  const i = hooks ? hooks.indexOf(fn) : -1;
  if (i >= 0) hooks!.splice(i, 1);
}
