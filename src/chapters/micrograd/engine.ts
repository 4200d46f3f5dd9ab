/**
 * A scalar autograd engine in one screen, as karpathy/micrograd's engine.py: every Value keeps
 * its inputs (_prev) and a closure (_backward) that sends its gradient to them by the chain
 * rule; backward() runs those closures from the output back to the leaves.
 * fast_engine.ts computes the same numbers with far less garbage; `gradpath bench micrograd` times it.
 */

export type Operand = Value | number;

export class Value {
  data: number;
  /** d(output)/d(this), filled in by output.backward(). */
  grad = 0;
  /** Optional name, shown in the graph picture. */
  label: string;
  /** Sends this value's grad to its inputs; set by the operation that made it. */
  _backward: () => void = leafBackward;
  readonly _prev: Value[];
  /** The operation that made this value ('+', '*', 'tanh', ...), '' for a leaf. */
  readonly _op: string;

  constructor(data: number, children: Value[] = [], op = '', label = '') {
    this.data = data;
    this._prev = children;
    this._op = op;
    this.label = label;
  }

  add(other: Operand): Value {
    const o = lift(other);
    const out = new Value(this.data + o.data, [this, o], '+');
    out._backward = () => {
      this.grad += out.grad;
      o.grad += out.grad;
    };
    return out;
  }

  mul(other: Operand): Value {
    const o = lift(other);
    const out = new Value(this.data * o.data, [this, o], '*');
    out._backward = () => {
      this.grad += o.data * out.grad;
      o.grad += this.data * out.grad;
    };
    return out;
  }

  /** this ** k for a constant k (the exponent gets no gradient). */
  pow(k: number): Value {
    const out = new Value(this.data ** k, [this], `**${k}`);
    out._backward = () => {
      this.grad += k * this.data ** (k - 1) * out.grad;
    };
    return out;
  }

  relu(): Value {
    const out = new Value(this.data > 0 ? this.data : 0, [this], 'relu');
    out._backward = () => {
      this.grad += (out.data > 0 ? 1 : 0) * out.grad;
    };
    return out;
  }

  tanh(): Value {
    const out = new Value(Math.tanh(this.data), [this], 'tanh');
    out._backward = () => {
      this.grad += (1 - out.data ** 2) * out.grad;
    };
    return out;
  }

  exp(): Value {
    const out = new Value(Math.exp(this.data), [this], 'exp');
    out._backward = () => {
      this.grad += out.data * out.grad; // d/dx e^x = e^x
    };
    return out;
  }

  // The rest are built from the ops above, so they need no backward of their own.
  neg(): Value { return this.mul(-1); }
  sub(other: Operand): Value { return this.add(lift(other).neg()); }
  div(other: Operand): Value { return this.mul(lift(other).pow(-1)); }
  // JavaScript has no operator overloading, so `2 - x` is x.rsub(2) (Python's __rsub__);
  // x.add(2) and x.mul(2) already serve for 2 + x and 2 * x.
  rsub(other: number): Value { return lift(other).sub(this); }
  rdiv(other: number): Value { return lift(other).div(this); }

  /** Fills in grad for every value this one depends on; call zeroGrad on the parameters first. */
  backward(): void {
    const topo = topologicalOrder(this);
    this.grad = 1;
    for (let i = topo.length - 1; i >= 0; i--) topo[i]._backward();
  }

  toString(): string {
    return `Value(data=${this.data}, grad=${this.grad})`;
  }
}

/** A leaf has no inputs to send its gradient to (one shared function, not one per leaf). */
function leafBackward(): void {}

function lift(x: Operand): Value {
  return typeof x === 'number' ? new Value(x) : x;
}

/** Every value root depends on, each after its inputs (root last): the order of the forward pass. */
export function topologicalOrder(root: Value): Value[] {
  const topo: Value[] = [];
  const visited = new Set<Value>();
  const build = (v: Value) => {
    if (visited.has(v)) return;
    visited.add(v);
    for (const child of v._prev) build(child);
    topo.push(v);
  };
  build(root);
  return topo;
}
