import { GradpathError } from '../util/errors.js';
import { Tensor } from '../engine/tensor.js';
import { shapeStr } from '../engine/shape.js';

/**
 * Base class of every layer, as torch.nn.Module. Parameters (tensors with requiresGrad) and
 * child modules are found from the object's own fields, in the order they were assigned,
 * so names come out dotted like PyTorch's: `h.0.attn.c_attn.weight` for `this.h[0].attn.c_attn.weight`.
 * Buffers (running statistics) are registered explicitly, since not every tensor field is state.
 */
export class Module {
  training = true;
  private readonly bufferNames = new Set<string>();

  /** Marks a tensor field as a buffer: saved in the state dict, but not a parameter. */
  protected registerBuffer(name: string, value: Tensor): Tensor {
    (this as any)[name] = value;
    this.bufferNames.add(name);
    return value;
  }

  /** Child modules with their field names (arrays of modules get indices: `h.0`). */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Module) out.push([key, value]);
      else if (Array.isArray(value)) value.forEach((v, i) => v instanceof Module && out.push([`${key}.${i}`, v]));
    }
    return out;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    const visit = (m: Module, p: string) => {
      for (const [key, value] of Object.entries(m)) {
        if (value instanceof Tensor && value.requiresGrad && !m.bufferNames.has(key) && !seen.has(value)) {
          seen.add(value); // tied weights appear once, under their first name
          out.push([p + key, value]);
        }
      }
      for (const [name, child] of m.namedChildren()) visit(child, `${p}${name}.`);
    };
    visit(this, prefix);
    return out;
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const name of this.bufferNames) out.push([prefix + name, (this as any)[name] as Tensor]);
    for (const [name, child] of this.namedChildren()) out.push(...child.namedBuffers(`${prefix}${name}.`));
    return out;
  }

  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.numel(), 0);
  }

  /** Parameters and buffers by dotted name (the tensors themselves, not copies). */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /** Copies values in by name; strict mode requires exactly the same names and shapes. */
  loadStateDict(state: Record<string, { shape: number[]; data: Float32Array | Int32Array }>, strict = true): void {
    const own = this.stateDict();
    for (const [name, t] of Object.entries(own)) {
      const src = state[name];
      if (!src) {
        if (strict) throw new GradpathError(`load_state_dict: missing tensor '${name}' (expected shape ${shapeStr(t.shape)})`);
        continue;
      }
      if (src.shape.length !== t.shape.length || src.shape.some((d, i) => d !== t.shape[i])) {
        throw new GradpathError(`load_state_dict: tensor '${name}' has shape ${shapeStr(src.shape)} in the checkpoint but ${shapeStr(t.shape)} in the model`);
      }
      (t.data as Float32Array).set(src.data as Float32Array);
    }
    if (strict) {
      const extra = Object.keys(state).filter((k) => !(k in own));
      if (extra.length) throw new GradpathError(`load_state_dict: unexpected tensor '${extra[0]}' in the checkpoint${extra.length > 1 ? ` (and ${extra.length - 1} more)` : ''}`);
    }
  }

  train(mode = true): this {
    this.training = mode;
    for (const [, c] of this.namedChildren()) c.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }
}
