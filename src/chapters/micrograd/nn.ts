import { Value, type Operand } from './engine.js';
import { Rng } from './random.js';

/** One neuron: relu(w . x + b), or just w . x + b in a linear (output) layer. */
export class Neuron {
  readonly w: Value[];
  readonly b: Value;

  constructor(
    inputs: number,
    readonly nonlinear: boolean,
    rng: Rng,
  ) {
    // uniform(-1, 1) weights and a zero bias, as in micrograd.
    this.w = Array.from({ length: inputs }, () => new Value(rng.uniform(-1, 1)));
    this.b = new Value(0);
  }

  forward(x: readonly Operand[]): Value {
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

  parameters(): Value[] {
    return [...this.w, this.b];
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = 0;
  }
}

export class Layer {
  readonly neurons: Neuron[];

  constructor(inputs: number, outputs: number, nonlinear: boolean, rng: Rng) {
    this.neurons = Array.from({ length: outputs }, () => new Neuron(inputs, nonlinear, rng));
  }

  forward(x: readonly Operand[]): Value[] {
    return this.neurons.map((n) => n.forward(x));
  }

  predict(x: readonly number[]): number[] {
    return this.neurons.map((n) => n.predict(x));
  }

  parameters(): Value[] {
    return this.neurons.flatMap((n) => n.parameters());
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = 0;
  }
}

/** A multi-layer perceptron: ReLU hidden layers, a linear output layer. */
export class MLP {
  readonly layers: Layer[];
  private readonly params: Value[];

  /** E.g. new MLP(2, [16, 16, 1], 1337): 2 inputs, two hidden layers of 16, one output. */
  constructor(inputs: number, sizes: readonly number[], seed = 0) {
    const rng = new Rng(seed);
    const dims = [inputs, ...sizes];
    this.layers = sizes.map((_, i) => new Layer(dims[i], dims[i + 1], i !== sizes.length - 1, rng));
    this.params = this.layers.flatMap((l) => l.parameters());
  }

  forward(x: readonly Operand[]): Value[] {
    // Lift number inputs to Values once here, not once per first-layer neuron.
    let h: readonly Operand[] = x.map((v) => (typeof v === 'number' ? new Value(v) : v));
    for (const layer of this.layers) h = layer.forward(h);
    return h as Value[];
  }

  predict(x: readonly number[]): number[] {
    let h = x;
    for (const layer of this.layers) h = layer.predict(h);
    return h as number[];
  }

  /** All weights and biases, layer by layer: the same array on every call (the SGD loop is hot). */
  parameters(): Value[] {
    return this.params;
  }

  zeroGrad(): void {
    for (const p of this.params) p.grad = 0;
  }
}
