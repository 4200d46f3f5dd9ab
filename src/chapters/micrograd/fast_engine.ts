/**
 * The fast scalar autograd engine: the same values and gradients as engine.ts's FastValue (a test
 * checks it), shaped for speed, since the moons demo builds ~66,000 nodes per step and the
 * garbage collector, not the arithmetic, is most of the time. `gradpath bench micrograd` times
 * both. What it changes:
 * - inputs live in two fields (a, b) rather than an array, and the op is a small integer, so
 *   backward is one switch, not a closure allocated per operation;
 * - data and grad live in shared slabs (below), so a node is one small object for the GC;
 * - the topological sort is iterative (a recursive one overflows the stack on deep graphs) and
 *   marks visited nodes with a counter stored on the node instead of a Set.
 */

export type FastOperand = FastValue | number;

// Operation codes. OP_NAMES gives their display form (used by toDot).
const LEAF = 0, ADD = 1, SUB = 2, MUL = 3, DIV = 4, NEG = 5, POW = 6;
const EXP = 7, LOG = 8, TANH = 9, SIGMOID = 10, RELU = 11;
const OP_NAMES = ['', '+', '-', '*', '/', 'neg', '**', 'exp', 'log', 'tanh', 'sigmoid', 'relu'];

/** Each topological sort takes two fresh mark values (entered, done); older marks are smaller. */
let markCounter = 0;

/** Display names, kept off the nodes: few values are named, and every field costs all 66,000. */
const labels = new WeakMap<FastValue, string>();

/*
 * data and grad live in shared Float64Array slabs, two slots per FastValue, not in fields: V8 boxes
 * every floating-point field in a heap object of its own, so a FastValue with number fields is three
 * objects for the garbage collector to copy, and with a slab it is one. (A slab is freed when no
 * FastValue in it is left.)
 */
const SLAB_VALUES = 2048;
let currentSlab = new Float64Array(2 * SLAB_VALUES);
let slabUsed = 0;

export class FastValue {
  // Fields are `declare`d and all set in the constructor, in one order: TypeScript then emits no
  // class-field definitions (which would first set each to undefined), so every FastValue gets the
  // same small shape.
  /** The slab holding this value's data (at slot) and grad (at slot + 1). */
  declare readonly slab: Float64Array;
  declare readonly slot: number;
  /** The operation that produced this value (0 for a leaf) and its inputs; engine internals. */
  declare readonly op: number;
  declare readonly a: FastValue | null;
  /** The second input; for pow, a constant holding the exponent (it gets no gradient). */
  declare readonly b: FastValue | null;
  /** Visit mark of the topological sort. */
  declare mark: number;

  constructor(data: number, label = '', op = LEAF, a: FastValue | null = null, b: FastValue | null = null) {
    if (slabUsed === currentSlab.length) {
      currentSlab = new Float64Array(2 * SLAB_VALUES);
      slabUsed = 0;
    }
    this.slab = currentSlab;
    this.slot = slabUsed;
    slabUsed += 2;
    currentSlab[this.slot] = data; // grad starts at 0: a new slab is zero-filled
    this.op = op;
    this.a = a;
    this.b = b;
    this.mark = 0;
    if (label !== '') labels.set(this, label);
  }

  get data(): number {
    return this.slab[this.slot];
  }
  set data(x: number) {
    this.slab[this.slot] = x;
  }
  /** d(root)/d(this) after root.backward(). Leaves accumulate across calls; see backward(). */
  get grad(): number {
    return this.slab[this.slot + 1];
  }
  set grad(x: number) {
    this.slab[this.slot + 1] = x;
  }

  /** Optional name shown in the graph picture. */
  get label(): string {
    return labels.get(this) ?? '';
  }
  set label(name: string) {
    labels.set(this, name);
  }

  /** The operation's symbol ('+', 'tanh', '**2', ...), or '' for a leaf. */
  get opName(): string {
    return this.op === POW ? `**${this.b!.data}` : OP_NAMES[this.op];
  }

  /** The inputs of the operation that made this value (pow's exponent is a constant, not an input). */
  get children(): FastValue[] {
    return this.b !== null && this.op !== POW ? [this.a!, this.b] : this.a !== null ? [this.a] : [];
  }

  add(other: FastOperand): FastValue {
    const o = lift(other);
    return new FastValue(this.data + o.data, '', ADD, this, o);
  }
  sub(other: FastOperand): FastValue {
    const o = lift(other);
    return new FastValue(this.data - o.data, '', SUB, this, o);
  }
  mul(other: FastOperand): FastValue {
    const o = lift(other);
    return new FastValue(this.data * o.data, '', MUL, this, o);
  }
  div(other: FastOperand): FastValue {
    const o = lift(other);
    return new FastValue(this.data / o.data, '', DIV, this, o);
  }
  neg(): FastValue {
    return new FastValue(-this.data, '', NEG, this);
  }
  pow(k: number): FastValue {
    return new FastValue(this.data ** k, '', POW, this, new FastValue(k));
  }
  exp(): FastValue {
    return new FastValue(Math.exp(this.data), '', EXP, this);
  }
  /** other - this and other / this (engine.ts's rsub and rdiv). */
  rsub(other: number): FastValue {
    return lift(other).sub(this);
  }
  rdiv(other: number): FastValue {
    return lift(other).div(this);
  }
  /** Natural log; like Math.log, gives NaN or -Infinity for data <= 0. */
  log(): FastValue {
    return new FastValue(Math.log(this.data), '', LOG, this);
  }
  tanh(): FastValue {
    return new FastValue(Math.tanh(this.data), '', TANH, this);
  }
  sigmoid(): FastValue {
    const x = this.data;
    // Two forms so that exp never overflows for large |x|.
    const s = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    return new FastValue(s, '', SIGMOID, this);
  }
  relu(): FastValue {
    return new FastValue(this.data > 0 ? this.data : 0, '', RELU, this);
  }

  /** Names this value for the graph picture; returns this, for chaining. */
  named(label: string): this {
    this.label = label;
    return this;
  }

  /**
   * Fills in grad for every value this one depends on.
   * Leaf gradients accumulate across calls (call zeroGrad between steps); intermediate values
   * are reset first, so two backward calls add exactly twice the gradient to the leaves
   * (micrograd re-propagates stale intermediate gradients instead).
   */
  backward(): void {
    const order = scratchOrder;
    const n = sortInto(this, order);
    for (let i = 0; i < n; i++) if (order[i].op !== LEAF) order[i].grad = 0;
    this.grad += 1;
    for (let i = n - 1; i >= 0; i--) {
      propagate(order[i]);
      order[i] = NOTHING; // drop the reference so the graph can be collected
    }
  }

  toString(): string {
    const label = this.label;
    return `FastValue(data=${this.data}, grad=${this.grad}${label ? `, label=${label}` : ''})`;
  }
}

function lift(x: FastOperand): FastValue {
  return typeof x === 'number' ? new FastValue(x) : x;
}

/** Sends v.grad to v's inputs: the local derivative of v's op times v.grad (chain rule). */
function propagate(v: FastValue): void {
  const g = v.grad;
  const a = v.a!;
  switch (v.op) {
    case LEAF: return;
    case ADD: a.grad += g; v.b!.grad += g; return;
    case SUB: a.grad += g; v.b!.grad -= g; return;
    case MUL: a.grad += v.b!.data * g; v.b!.grad += a.data * g; return;
    case DIV: {
      const b = v.b!;
      a.grad += g / b.data;
      b.grad -= (g * a.data) / (b.data * b.data);
      return;
    }
    case NEG: a.grad -= g; return;
    case POW: {
      const k = v.b!.data;
      a.grad += k * a.data ** (k - 1) * g;
      return;
    }
    case EXP: a.grad += v.data * g; return;
    case LOG: a.grad += g / a.data; return;
    case TANH: a.grad += (1 - v.data * v.data) * g; return;
    case SIGMOID: a.grad += v.data * (1 - v.data) * g; return;
    case RELU: if (v.data > 0) a.grad += g; return;
  }
}

/**
 * Every value root depends on, inputs before the values made from them (root last).
 * Iterative depth-first search: a node is "entered" when first on top of the stack (its inputs
 * are pushed), and "done" when it surfaces again, after all its inputs are done.
 */
export function topologicalOrder(root: FastValue): FastValue[] {
  const order: FastValue[] = [];
  sortInto(root, order);
  return order;
}

/*
 * The stack and the backward order are reused between calls, written by index rather than
 * push/pop (V8 may shrink an array that pops), so a backward pass over ~66,000 nodes allocates
 * no arrays; emptied slots hold NOTHING so they keep no old graph alive.
 */
const NOTHING = new FastValue(0);
const scratchStack: FastValue[] = [];
const scratchOrder: FastValue[] = [];

/** Writes the topological order of root's graph into order[0..n) and returns n. */
function sortInto(root: FastValue, order: FastValue[]): number {
  markCounter += 2;
  const entered = markCounter - 1;
  const done = markCounter;
  const stack = scratchStack;
  let top = 0;
  let n = 0;
  stack[top++] = root;
  while (top > 0) {
    const v = stack[top - 1];
    if (v.mark < entered) {
      v.mark = entered;
      const a = v.a, b = v.b;
      if (a !== null && a.mark < entered) stack[top++] = a;
      if (b !== null && b.mark < entered && v.op !== POW) stack[top++] = b; // pow's b: a constant
    } else {
      stack[--top] = NOTHING;
      // A node pushed by two parents sits on the stack twice; only its first surfacing counts.
      if (v.mark === entered) {
        v.mark = done;
        order[n++] = v;
      }
    }
  }
  return n;
}
