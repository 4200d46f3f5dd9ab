import { Generator } from '../../util/random.js';
import { Value } from './engine.js';

/**
 * What a neuron needs of a scalar autograd value. engine.ts's Value has it, and so has
 * fast_engine.ts's FastValue: the same network runs on either (V, default Value).
 */
export interface Scalar<V> {
  data: number;
  grad: number;
  add(other: V | number): V;
  mul(other: V | number): V;
  relu(): V;
  backward(): void;
}

/** Makes a leaf value of the engine in use. */
export type Leaf<V> = (data: number) => V;

const plainLeaf = ((data: number) => new Value(data)) as Leaf<never>;

/** One neuron: relu(w . x + b), or just w . x + b in a linear (output) layer. */
export class Neuron<V extends Scalar<V> = Value> {
  readonly w: V[];
  readonly b: V;

  constructor(
    inputs: number,
    readonly nonlinear: boolean,
    gen: Generator,
    leaf: Leaf<V> = plainLeaf,
  ) {
    // uniform(-1, 1) weights and a zero bias, as in micrograd.
    this.w = Array.from({ length: inputs }, () => leaf(gen.uniform(-1, 1)));
    this.b = leaf(0);
  }

  forward(x: readonly (V | number)[]): V {
    let act = this.b;
    for (let i = 0; i < this.w.length; i++) act = act.add(this.w[i].mul(x[i]));
    return this.nonlinear ? act.relu() : act;
  }

  /** The same function on plain numbers, building no graph (for pictures and evaluation). */
  predict(x: readonly number[]): number {
    let act = this.b.data;
    for (let i = 0; i < this.w.length; i++) act += this.w[i].data * x[i];
    return this.nonlinear && act < 0 ? 0 : act;
  }

  parameters(): V[] {
    return [...this.w, this.b];
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = 0;
  }
}

export class Layer<V extends Scalar<V> = Value> {
  readonly neurons: Neuron<V>[];

  constructor(inputs: number, outputs: number, nonlinear: boolean, gen: Generator, leaf: Leaf<V> = plainLeaf) {
    this.neurons = Array.from({ length: outputs }, () => new Neuron(inputs, nonlinear, gen, leaf));
  }

  forward(x: readonly (V | number)[]): V[] {
    return this.neurons.map((n) => n.forward(x));
  }

  predict(x: readonly number[]): number[] {
    return this.neurons.map((n) => n.predict(x));
  }

  parameters(): V[] {
    return this.neurons.flatMap((n) => n.parameters());
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = 0;
  }
}

/** A multi-layer perceptron: ReLU hidden layers, a linear output layer. */
export class MLP<V extends Scalar<V> = Value> {
  readonly layers: Layer<V>[];
  private readonly params: V[];
  private readonly leaf: Leaf<V>;

  /** E.g. new MLP(2, [16, 16, 1], 1337): 2 inputs, two hidden layers of 16, one output; weights from a seed or a generator. */
  constructor(inputs: number, sizes: readonly number[], seed: number | Generator = 0, leaf: Leaf<V> = plainLeaf) {
    const gen = typeof seed === 'number' ? new Generator(seed) : seed;
    const dims = [inputs, ...sizes];
    this.leaf = leaf;
    this.layers = sizes.map((_, i) => new Layer(dims[i], dims[i + 1], i !== sizes.length - 1, gen, leaf));
    this.params = this.layers.flatMap((l) => l.parameters());
  }

  forward(x: readonly (V | number)[]): V[] {
    // Lift number inputs to Values once here, not once per first-layer neuron.
    let h: readonly (V | number)[] = x.map((v) => (typeof v === 'number' ? this.leaf(v) : v));
    for (const layer of this.layers) h = layer.forward(h);
    return h as V[];
  }

  predict(x: readonly number[]): number[] {
    let h = x;
    for (const layer of this.layers) h = layer.predict(h);
    return h as number[];
  }

  /** All weights and biases, layer by layer: the same array on every call (the SGD loop is hot). */
  parameters(): V[] {
    return this.params;
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad = 0;
  }
}
