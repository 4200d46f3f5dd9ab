import { GradpathError } from '../util/errors.js';
import type { Tensor } from './tensor.js';
import { derivatives, type OpName } from './derivatives.js';

/**
 * Reverse-mode autograd. Each op that takes a tensor requiring grad records a Node on its
 * output: which rule (by name, looked up in derivatives.ts), which inputs, and anything the
 * rule needs saved. backward() walks the nodes in reverse topological order.
 */
export interface Node {
  op: OpName;
  inputs: Tensor[];
  /** Whatever the op's derivative rule needs besides inputs and output (dims, masks, ...). */
  saved: any;
}

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
export function record(out: Tensor, op: OpName, inputs: Tensor[], saved: any = null): Tensor {
  if (anomalyMode && out.dtype === 'float32') checkFinite(`${op} (forward)`, out);
  if (gradDisabled === 0 && inputs.some((t) => t.requiresGrad)) {
    out.requiresGrad = true;
    out.node = { op, inputs, saved };
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

/** acc += g elementwise (acc is a contiguous float tensor of the same shape). */
function addInto(acc: Tensor, g: Tensor): void {
  const a = acc.data, v = g.floatValues();
  for (let i = 0; i < a.length; i++) a[i] += v[i];
}

/**
 * Backpropagates from `root` (a scalar unless `grad` is given). Leaf tensors that require
 * grad accumulate into `.grad` across calls, as in PyTorch; call zeroGrad between steps.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new GradpathError('backward: this tensor does not require grad (no parameter in its graph has requiresGrad)');
  if (!grad && root.numel() !== 1) {
    throw new GradpathError(`backward: needs a scalar output or an explicit gradient; got shape [${root.shape.join(', ')}]`);
  }
  const order = topoSort(root);
  const grads = new Map<Tensor, Tensor>();
  const owned = new Set<Tensor>();
  // how many gradients were handed out on each storage (views share one): 1 means unshared
  const deliveries = new Map<Float32Array | Int32Array, number>();
  const deliver = (gx: Tensor) => deliveries.set(gx.data, (deliveries.get(gx.data) ?? 0) + 1);
  grads.set(root, grad ?? root.onesLike());
  noGrad(() => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const g = grads.get(t);
      if (!g) continue;
      if (!t.node) {
        // a gradient whose storage reached no other tensor can become .grad without a copy
        t.accumulateGrad(g, deliveries.get(g.data) === 1);
        continue;
      }
      grads.delete(t); // intermediate gradients are not kept (as in PyTorch)
      owned.delete(g); // the rule may pass g on to several inputs: no longer ours to write
      const { op, inputs, saved } = t.node;
      const inputGrads = derivatives[op](g, inputs, t, saved);
      for (let i = 0; i < inputs.length; i++) {
        const x = inputs[i], gx = inputGrads[i];
        if (!gx || !x.requiresGrad) continue;
        if (anomalyMode) checkFinite(`${op} (backward)`, gx);
        const prev = grads.get(x);
        if (!prev) {
          grads.set(x, gx);
          deliver(gx);
        }
        else if (owned.has(prev)) addInto(prev, gx); // our own sum buffer: accumulate in place
        else {
          const sum = prev.add(gx); // rules may hand out shared tensors, so the first sum is a new one
          owned.add(sum);
          deliver(sum);
          grads.set(x, sum);
        }
      }
    }
  });
}
