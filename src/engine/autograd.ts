import { GradpathError } from '../util/errors.js';
import type { Tensor } from './tensor.js';
import { derivatives, intoRules, type IntoRule, type OpName } from './derivatives.js';
import { keepBuffer, recycle } from './pool.js';
import { addInto } from './ops/view.js';

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

/** True when t is a contiguous float tensor covering its whole storage (safe to add into). */
function wholeStorage(t: Tensor): boolean {
  return t.dtype === 'float32' && t.offset === 0 && t.data.length === t.numel() && t.isContiguous();
}

/**
 * Backpropagates from `root` (a scalar unless `grad` is given). Leaf tensors that require
 * grad accumulate into `.grad` across calls, as in PyTorch; call zeroGrad between steps.
 *
 * Gradient storage is tracked by how many pending gradients hold it (views share storage).
 * A storage held by exactly one pending gradient is that gradient's alone: a second gradient
 * for the same tensor is added into it in place (no new buffer), a leaf adopts it as .grad
 * without a copy, and once no gradient holds it any more it goes back to the buffer pool.
 */
export function backward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new GradpathError('backward: this tensor does not require grad (no parameter in its graph has requiresGrad)');
  if (!grad && root.numel() !== 1) {
    throw new GradpathError(`backward: needs a scalar output or an explicit gradient; got shape [${root.shape.join(', ')}]`);
  }
  const order = topoSort(root);
  const grads = new Map<Tensor, Tensor>();
  const holders = new Map<Float32Array | Int32Array, number>();
  const hold = (gx: Tensor, d: number) => holders.set(gx.data, (holders.get(gx.data) ?? 0) + d);
  const rootGrad = grad ?? root.onesLike();
  grads.set(root, rootGrad);
  hold(rootGrad, 1);
  if (grad) hold(grad, 1); // the caller's tensor: never written to, adopted or recycled
  // storage that may have just become unheld; recycled at the end of each node
  const dead: (Float32Array | Int32Array)[] = [];
  const sweep = () => {
    for (const d of dead) if ((holders.get(d) ?? 0) === 0) {
      holders.delete(d);
      recycle(d);
    }
    dead.length = 0;
  };
  noGrad(() => {
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t); // intermediate gradients are not kept (as in PyTorch)
      hold(g, -1);
      if (!t.node) {
        // a gradient whose storage reached no other tensor can become .grad without a copy
        const adopt = holders.get(g.data) === 0;
        t.accumulateGrad(g, adopt);
        if (adopt && t.grad!.data === g.data) {
          holders.set(g.data, 1); // now .grad's: never recycled by this backward
          keepBuffer(g.data);
        } else dead.push(g.data);
        sweep();
        continue;
      }
      const { op, inputs, saved } = t.node;
      // a rule that can add input i's gradient straight into an accumulator (embedding's scatter)
      const into = (intoRules as Partial<Record<OpName, IntoRule>>)[op];
      const writable = (prev: Tensor | undefined) => prev !== undefined && prev.data !== g.data && holders.get(prev.data) === 1 && wholeStorage(prev);
      const skip = into ? inputs.map((x) => x.requiresGrad && writable(grads.get(x))) : null;
      if (into && skip!.some(Boolean)) {
        inputs.forEach((x, i) => {
          if (skip![i]) into(g, inputs, t, saved, i, grads.get(x)!);
        });
      }
      const inputGrads = skip && skip.every((s, i) => s || !inputs[i].requiresGrad) ? [] : derivatives[op](g, inputs, t, saved);
      for (let i = 0; i < inputs.length; i++) {
        const x = inputs[i], gx = inputGrads[i];
        if (!gx || !x.requiresGrad || skip?.[i]) continue;
        if (anomalyMode) checkFinite(`${op} (backward)`, gx);
        const prev = grads.get(x);
        if (!prev) {
          grads.set(x, gx);
          hold(gx, 1);
        } else if (writable(prev)) {
          addInto(prev, gx); // prev is this gradient's alone: accumulate in place
          dead.push(gx.data);
        } else {
          const sum = prev.add(gx);
          hold(prev, -1);
          dead.push(prev.data, gx.data);
          grads.set(x, sum);
          hold(sum, 1);
        }
      }
      dead.push(g.data);
      sweep();
    }
  });
}
