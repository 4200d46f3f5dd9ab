/**
 * A scalar autograd engine: every Value remembers the operation that made it and its (at most
 * two) inputs, so backward() can walk the graph in reverse and apply the chain rule.
 *
 * Kept lean on purpose, because the moons demo builds ~66,000 nodes per step:
 * - inputs live in two fields (a, b) rather than an array, and the op is a small integer, so
 *   backward is one switch, not a closure allocated per operation;
 * - data and grad live in shared slabs (below), so a node is one small object for the GC;
 * - the topological sort is iterative (a recursive one overflows the stack on deep graphs) and
 *   marks visited nodes with a counter stored on the node instead of a Set.
 */

export type Operand = Value | number;

// Operation codes. OP_NAMES gives their display form (used by toDot).
const LEAF = 0, ADD = 1, SUB = 2, MUL = 3, DIV = 4, NEG = 5, POW = 6;
const EXP = 7, LOG = 8, TANH = 9, SIGMOID = 10, RELU = 11;
const OP_NAMES = ['', '+', '-', '*', '/', 'neg', '**', 'exp', 'log', 'tanh', 'sigmoid', 'relu'];

/** Each topological sort takes two fresh mark values (entered, done); older marks are smaller. */
let markCounter = 0;

/** Display names, kept off the nodes: few values are named, and every field costs all 66,000. */
const labels = new WeakMap<Value, string>();

/*
 * data and grad live in shared Float64Array slabs, two slots per Value, not in fields: V8 boxes
 * every floating-point field in a heap object of its own, so a Value with number fields is three
 * objects for the garbage collector to copy, and with a slab it is one. (A slab is freed when no
 * Value in it is left.)
 */
const SLAB_VALUES = 2048;
let currentSlab = new Float64Array(2 * SLAB_VALUES);
let slabUsed = 0;

export class Value {
  // Fields are `declare`d and all set in the constructor, in one order: TypeScript then emits no
  // class-field definitions (which would first set each to undefined), so every Value gets the
  // same small shape.
  /** The slab holding this value's data (at slot) and grad (at slot + 1). */
  declare readonly slab: Float64Array;
  declare readonly slot: number;
  /** The operation that produced this value (0 for a leaf) and its inputs; engine internals. */
  declare readonly op: number;
  declare readonly a: Value | null;
  /** The second input; for pow, a constant holding the exponent (it gets no gradient). */
  declare readonly b: Value | null;
  /** Visit mark of the topological sort. */
  declare mark: number;

  constructor(data: number, label = '', op = LEAF, a: Value | null = null, b: Value | null = null) {
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
  get children(): Value[] {
    return this.b !== null && this.op !== POW ? [this.a!, this.b] : this.a !== null ? [this.a] : [];
  }

  add(other: Operand): Value {
    const o = lift(other);
    return new Value(this.data + o.data, '', ADD, this, o);
  }
  sub(other: Operand): Value {
    const o = lift(other);
    return new Value(this.data - o.data, '', SUB, this, o);
  }
  mul(other: Operand): Value {
    const o = lift(other);
    return new Value(this.data * o.data, '', MUL, this, o);
  }
  div(other: Operand): Value {
    const o = lift(other);
    return new Value(this.data / o.data, '', DIV, this, o);
  }
  neg(): Value {
    return new Value(-this.data, '', NEG, this);
  }
  pow(k: number): Value {
    return new Value(this.data ** k, '', POW, this, new Value(k));
  }
  exp(): Value {
    return new Value(Math.exp(this.data), '', EXP, this);
  }
  /** Natural log; like Math.log, gives NaN or -Infinity for data <= 0. */
  log(): Value {
    return new Value(Math.log(this.data), '', LOG, this);
  }
  tanh(): Value {
    return new Value(Math.tanh(this.data), '', TANH, this);
  }
  sigmoid(): Value {
    const x = this.data;
    // Two forms so that exp never overflows for large |x|.
    const s = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    return new Value(s, '', SIGMOID, this);
  }
  relu(): Value {
    return new Value(this.data > 0 ? this.data : 0, '', RELU, this);
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
    return `Value(data=${this.data}, grad=${this.grad}${label ? `, label=${label}` : ''})`;
  }
}

function lift(x: Operand): Value {
  return typeof x === 'number' ? new Value(x) : x;
}

/** Sends v.grad to v's inputs: the local derivative of v's op times v.grad (chain rule). */
function propagate(v: Value): void {
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
export function topologicalOrder(root: Value): Value[] {
  const order: Value[] = [];
  sortInto(root, order);
  return order;
}

/*
 * The stack and the backward order are reused between calls, written by index rather than
 * push/pop (V8 may shrink an array that pops), so a backward pass over ~66,000 nodes allocates
 * no arrays; emptied slots hold NOTHING so they keep no old graph alive.
 */
const NOTHING = new Value(0);
const scratchStack: Value[] = [];
const scratchOrder: Value[] = [];

/** Writes the topological order of root's graph into order[0..n) and returns n. */
function sortInto(root: Value, order: Value[]): number {
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

/** Sum of many values as one chain of additions (no zero constant in front, unlike Python's sum). */
export function sum(values: readonly Value[]): Value {
  if (values.length === 0) return new Value(0);
  let total = values[0];
  for (let i = 1; i < values.length; i++) total = total.add(values[i]);
  return total;
}
