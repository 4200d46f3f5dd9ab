/**
 * The webgpu backend: the primitive list of backend.ts on a device reached through the bridge.
 * Each primitive binds its arrays (inputs uploaded where the host has them, outputs marked as
 * living on the device: storage.ts) and records kernels; nothing is read back until the engine
 * syncs an array to read it on the host.
 */
import type { AdamStep, Backend, BinaryOp, ReduceOp, UnaryOp } from '../backend.js';
import { referenceBackend } from '../reference/index.js';
import type { DeviceBridge } from './bridge.js';
import type { GpuArray } from './kernel-context.js';
import { Residency } from './storage.js';
import { unary } from './elementwise/unary.js';
import { binary } from './elementwise/binary.js';
import { argmax, reduce, sumSquares } from './elementwise/reduce.js';
import { copyStrided, gather, groupRows, scatterAdd } from './elementwise/indexing.js';

type HostArray = Float32Array | Int32Array | Float64Array;

export interface WebGpuBackend extends Backend {
  readonly bridge: DeviceBridge;
  /** Makes an array's host copy current before the host reads or writes it (see storage.ts). */
  sync(a: HostArray, overwrite?: boolean): void;
  /** Waits until the device has run everything recorded; throws the first error it raised. */
  fence(): void;
}

export function webgpuBackend(bridge: DeviceBridge): WebGpuBackend {
  const res = new Residency(bridge);

  /** An input that shares a buffer with an output of the same dispatch is copied aside (WebGPU forbids the aliasing). */
  const apart = (input: GpuArray, outputs: GpuArray[]): GpuArray => {
    if (!outputs.some((o) => o.buffer === input.buffer)) return input;
    const tmp = bridge.scratch(input.length);
    copyStrided(bridge, input, [input.length], [1], 0, tmp);
    return tmp;
  };
  const inputs = (arrays: (Float32Array | Int32Array)[], outputs: GpuArray[]): GpuArray[] => arrays.map((a) => apart(res.input(a), outputs));

  /**
   * A primitive whose GPU kernel is not here: the reference kernel on host arrays (each array
   * argument synced to the host first, so its results are host-current). Every use is listed in
   * docs/engine.md's WebGPU section.
   */
  const onHost = <F extends (...args: any[]) => any>(fn: F): F => ((...args: unknown[]) => {
    for (const a of args) if (a instanceof Float32Array || a instanceof Int32Array || a instanceof Float64Array) res.sync(a);
    return fn(...args);
  }) as F;

  return {
    name: 'webgpu',
    bridge,
    sync: (a, overwrite) => res.sync(a, overwrite),
    fence: () => bridge.fence(),

    unary(op: UnaryOp, x: Float32Array, out: Float32Array): void {
      const o = res.output(out);
      const [xi] = inputs([x], [o]);
      unary(bridge, op, xi, o);
    },

    binary(op: BinaryOp, a: Float32Array, aStrides: number[], b: Float32Array, bStrides: number[], out: Float32Array, outShape: number[]): void {
      const inPlace = a.buffer === out.buffer && a.byteOffset === out.byteOffset;
      const o = res.output(out, inPlace);
      const [bi] = inputs([b], [o]);
      const ai = inPlace ? o : inputs([a], [o])[0];
      binary(bridge, op, ai, aStrides, bi, bStrides, o, outShape, inPlace);
    },

    reduce(op: ReduceOp, x: Float32Array, outer: number, dim: number, inner: number, out: Float32Array): void {
      const o = res.output(out);
      const [xi] = inputs([x], [o]);
      reduce(bridge, op, xi, outer, dim, inner, o);
    },

    sumSquares(x: Float32Array): number {
      if (x.length === 0) return 0;
      const result = new Float32Array(1);
      const o = res.output(result);
      sumSquares(bridge, inputs([x], [o])[0], o);
      res.sync(result);
      return result[0];
    },

    argmax(x: Float32Array, outer: number, dim: number, inner: number, out: Int32Array): void {
      const o = res.output(out);
      const [xi] = inputs([x], [o]);
      argmax(bridge, xi, outer, dim, inner, o);
    },

    gather(x: Float32Array, outer: number, dim: number, inner: number, idx: Int32Array, out: Float32Array): void {
      const o = res.output(out);
      const [xi, ii] = inputs([x, idx], [o]);
      gather(bridge, xi, outer, dim, inner, ii, o);
    },

    scatterAdd(src: Float32Array, outer: number, dim: number, inner: number, idx: Int32Array, out: Float32Array): void {
      res.sync(idx); // grouped on the host, where indices almost always are
      const { rows, starts } = groupRows(idx, dim);
      const o = res.output(out, true);
      const [si, ri, sti] = inputs([src, rows, starts], [o]);
      scatterAdd(bridge, si, outer, dim, inner, ri, sti, o);
    },

    copyStrided<T extends Float32Array | Int32Array>(x: T, shape: number[], strides: number[], offset: number, out: T): void {
      const o = res.output(out);
      const [xi] = inputs([x], [o]);
      copyStrided(bridge, xi, shape, strides, offset, o);
    },

    // TODO(wgsl): host fallbacks until the WGSL kernels of src/backends/webgpu/kernels/ are merged
    matmul: onHost(referenceBackend.matmul),
    softmax: onHost(referenceBackend.softmax),
    scaledSoftmax: onHost(referenceBackend.scaledSoftmax),
    layerNorm: onHost(referenceBackend.layerNorm),
    layerNormBackward: onHost(referenceBackend.layerNormBackward),
    adam: onHost((p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, s: AdamStep) => referenceBackend.adam(p, g, m, v, s)),
    geluForward: onHost(referenceBackend.geluForward),
    geluBackward: onHost(referenceBackend.geluBackward),
    crossEntropyRows: onHost(referenceBackend.crossEntropyRows),
    im2col: onHost(referenceBackend.im2col),
    col2im: onHost(referenceBackend.col2im),
    maxPool2d: onHost(referenceBackend.maxPool2d),
    maxPool2dBackward: onHost(referenceBackend.maxPool2dBackward),
    avgPool2d: onHost(referenceBackend.avgPool2d),
    avgPool2dBackward: onHost(referenceBackend.avgPool2dBackward),
    batchNorm: onHost(referenceBackend.batchNorm),
    batchNormBackward: onHost(referenceBackend.batchNormBackward),
  };
}

