/**
 * ZeRO-3's parameters: each rank keeps only its piece of every unit (a layer, or the rest of the
 * model: embeddings, final norm, tied head), and a unit's full parameters exist only while it
 * runs, gathered from the ranks just before use.
 *
 * Forward: a layer's forward first waits for its gather, then queues the gather of the next
 * layer (prefetch: it runs on the communication thread while this layer computes). Backward: a
 * hook on the layer's output gradient (Tensor.registerHook) runs before any of the layer's
 * backward rules, and re-gathers the layer, prefetching the one before. Gradients are then
 * reduce-scattered unit by unit (grad-buckets.ts, one bucket per unit) and dropped.
 *
 * "Free after use" is done by reuse: layers alternate between two slots, so gathering layer i+2
 * overwrites layer i. Each parameter is a fixed view into its layer's slot: the views the forward
 * saved for backward (a weight's transpose) read whatever the slot holds, which is why a layer is
 * re-gathered into the same slot before its backward runs. Layers i and i+2 are never needed at
 * once: by the time the output gradient of layer i is complete every rule of layer i+1 and after
 * has run. The rest of the model (its own slot) stays gathered from the start of forward to the
 * end of backward, since the tied token embedding is used at both ends.
 */
import { Tensor } from '../engine/tensor.js';
import type { Module } from '../nn/module.js';
import type { Communicator } from './communicator.js';
import { makeBucket, type FlatBucket } from './flat-buckets.js';
import type { ParamPieces } from './zero.js';
import { stepTimeline } from './timeline.js';

type Forward = (...args: never[]) => unknown;

/** The units of ZeRO-3: index 0 is everything outside `layers`, then one per layer. */
export function zero3Units(model: Module, layers: Module[], ranks: number): FlatBucket[] {
  const inLayer = new Map<Tensor, number>();
  layers.forEach((l, i) => l.parameters().forEach((p) => inLayer.set(p, i)));
  const named = model.namedParameters();
  const rest = named.filter(([, p]) => !inLayer.has(p));
  return [makeBucket(rest, 0, ranks), ...layers.map((_, i) => makeBucket(named.filter(([, p]) => inLayer.get(p) === i), i + 1, ranks))];
}

export class Zero3Params implements ParamPieces {
  sentFloats = 0;
  /** Each unit's piece on this rank: the only copy of the parameters between uses. */
  private readonly shards: Float32Array[];
  /** Slot 0: unit 0; slots 1 and 2: odd and even layers. */
  private readonly slots: Float32Array[];
  /** Which unit each slot holds (-1: none), and whether its gather may still be in flight. */
  private readonly slotUnit: number[];
  private inFlight = false;

  /** units as zero3Units made them; the parameters hold the (broadcast) initial values. */
  constructor(private readonly comm: Communicator, private readonly units: FlatBucket[], model: Module, layers: Module[]) {
    const rank = comm.rank;
    const size = [0, 0, 0];
    units.forEach((u, i) => (size[this.slotOf(i)] = Math.max(size[this.slotOf(i)], u.padded)));
    this.slots = size.map((n) => new Float32Array(n));
    this.slotUnit = [-1, -1, -1];
    this.shards = units.map((u, i) => {
      const slot = this.slots[this.slotOf(i)];
      const shard = new Float32Array(u.piece);
      for (const e of u.entries) {
        const values = e.param.data as Float32Array;
        // this rank's part of the parameter goes to its shard; the parameter becomes a view into the slot
        for (let k = Math.max(e.start, rank * u.piece); k < Math.min(e.start + e.numel, (rank + 1) * u.piece); k++) shard[k - rank * u.piece] = values[k - e.start];
        e.param.data = slot.subarray(e.start, e.start + e.numel);
      }
      return shard;
    });
    this.wrap(model, () => {
      this.ensure(0);
      if (layers.length) this.prefetch(1);
    });
    layers.forEach((layer, i) => {
      const u = i + 1;
      this.wrap(layer, () => {
        this.ensure(u);
        if (u + 1 < units.length) this.prefetch(u + 1);
      }, () => {
        this.ensure(u);
        if (u - 1 >= 1) this.prefetch(u - 1);
      });
    });
  }

  private slotOf(unit: number): number {
    return unit === 0 ? 0 : 1 + ((unit - 1) % 2);
  }

  piece(unit: number): Float32Array {
    return this.shards[unit];
  }

  /** The pieces changed: every gathered unit is stale. */
  async afterStep(): Promise<void> {
    this.slotUnit.fill(-1);
  }

  bytes(): { params: number; buffers: number } {
    return { params: this.shards.reduce((s, a) => s + a.byteLength, 0), buffers: this.slots.reduce((s, a) => s + a.byteLength, 0) };
  }

  /** Every unit's full parameters, gathered into new arrays (collective): for saving or checking a ZeRO-3 model. */
  async gatherAll(): Promise<Map<Tensor, Float32Array>> {
    const out = new Map<Tensor, Float32Array>();
    for (let u = 0; u < this.units.length; u++) {
      const unit = this.units[u];
      const flat = new Float32Array(unit.padded);
      await this.comm.allGather(this.shards[u], flat);
      for (const e of unit.entries) out.set(e.param, flat.slice(e.start, e.start + e.numel));
    }
    return out;
  }

  /** Starts a step's count of floats sent. */
  resetCounters(): void {
    this.sentFloats = 0;
  }

  /** Runs `before` ahead of module's forward and, when its output needs a gradient, `beforeBackward` ahead of its backward. */
  private wrap(module: Module, before: () => void, beforeBackward?: () => void): void {
    const m = module as unknown as { forward: Forward };
    const forward = m.forward.bind(module) as Forward;
    m.forward = ((...args: never[]) => {
      before();
      const out = forward(...args);
      if (beforeBackward && out instanceof Tensor && out.requiresGrad) out.registerHook(beforeBackward);
      return out;
    }) as Forward;
  }

  /** Queues unit u's gather into its slot unless the slot holds it already. */
  private prefetch(u: number): void {
    const s = this.slotOf(u);
    if (this.slotUnit[s] === u) return;
    const unit = this.units[u];
    this.comm.allGather(this.shards[u], this.slots[s].subarray(0, unit.padded));
    this.sentFloats += ((this.comm.size - 1) * unit.padded) / this.comm.size;
    this.slotUnit[s] = u;
    this.inFlight = true;
  }

  /** Unit u is in its slot when this returns. */
  private ensure(u: number): void {
    this.prefetch(u);
    if (!this.inFlight) return;
    stepTimeline().waitSync('comm', `zero3 gather ${u}`, () => this.comm.waitAll());
    this.inFlight = false;
  }
}
