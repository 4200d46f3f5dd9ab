import { GradpathError } from '../util/errors.js';
import type { Tensor } from './tensor.js';
import { derivatives, intoRules, type IntoRule, type OpName, type Rule, type Saved } from './derivatives.js';
import { PendingGrads } from './pending-grads.js';

/**
 * Reverse-mode autograd. Each op that takes a tensor requiring grad records a Node on its
 * output: which rule (by name, looked up in derivatives.ts), which inputs, and anything the
 * rule needs saved. backward() walks the nodes in reverse topological order.
 */
export type Node = {
  [K in OpName]: {
    op: K;
    inputs: Tensor[];
    /** Whatever the op's derivative rule needs besides inputs and output (dims, masks, ...). */
    saved: Saved[K];
  };
}[OpName];

let gradDisabled = 0;
let anomalyMode = false;

export function isGradEnabled(): boolean {
  return gradDisabled === 0;
}

/** Runs fn without recording the graph (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  gradDisabled++;
  try {
    return fn();
  } finally {
    gradDisabled--;
  }
}

/** Anomaly mode: every op checks its output (and every backward its gradients) for NaN/Inf. */
export function setAnomalyDetection(on: boolean): void {
  anomalyMode = on;
}

function checkFinite(what: string, t: Tensor): void {
  const d = t.data;
  for (let i = 0; i < d.length; i++) {
    if (!Number.isFinite(d[i])) {
      throw new GradpathError(`anomaly: ${what} produced ${Number.isNaN(d[i]) ? 'NaN' : 'Inf'} (shape [${t.shape.join(', ')}])`);
    }
  }
}

/** Called by every op: attaches a Node to `out` when any input needs a gradient. */
export function record<K extends OpName>(out: Tensor, op: K, inputs: Tensor[], ...saved: Saved[K] extends null ? [] : [Saved[K]]): Tensor {
  if (anomalyMode && out.dtype === 'float32') checkFinite(`${op} (forward)`, out);
  if (gradDisabled === 0 && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, saved: saved[0] ?? null } as Node;
  }
  return out;
}

/** Topological order of the graph behind `root`, iteratively (graphs can be very deep). */
function topoSort(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, i] = top;
    const inputs = t.node ? t.node.inputs : [];
    if (i < inputs.length) {
      top[1]++;
      const child = inputs[i];
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}

/**
 * Backpropagates from `root` (a scalar unless `grad` is given). Leaf tensors that require
 * grad accumulate into `.grad` across calls, as in PyTorch; call zeroGrad between steps.
 * Which gradient storage can be reused or recycled is PendingGrads' business (pending-grads.ts).
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new GradpathError('backward: this tensor does not require grad (no parameter in its graph has requiresGrad)');
  if (!grad && root.numel() !== 1) {
    throw new GradpathError(`backward: needs a scalar output or an explicit gradient; got shape [${root.shape.join(', ')}]`);
  }
  const order = topoSort(root);
  const pending = new PendingGrads(root, grad ?? root.onesLike(), grad !== undefined);
  noGrad(() => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const g = pending.take(t);
      if (!g) continue;
      t.gradHooks?.forEach((hook) => hook(g));
      if (!t.node) {
        pending.intoLeaf(t, g);
        t.postAccumulateGradHooks?.forEach((hook) => hook(t));
        continue;
      }
      const { op, inputs, saved } = t.node;
      // TypeScript cannot tie a rule to its op's saved type through a union: node.saved is op's
      const rule = derivatives[op] as Rule<OpName>;
      // a rule that can add a gradient straight into the input's pending one (embedding's scatter-add)
      const into = intoRules[op] as IntoRule<OpName> | undefined;
      const direct = inputs.map((x) => (into && x.requiresGrad ? pending.writable(x, g) : undefined));
      direct.forEach((acc, i) => acc && into!(g, inputs, t, saved, i, acc));
      const needRule = inputs.some((x, i) => x.requiresGrad && !direct[i]);
      const inputGrads = needRule ? rule(g, inputs, t, saved) : [];
      inputs.forEach((x, i) => {
        const gx = inputGrads[i];
        if (!gx || !x.requiresGrad || direct[i]) return;
        if (anomalyMode) checkFinite(`${op} (backward)`, gx);
        pending.add(x, gx, g);
      });
      pending.release(g);
    }
  });
}
