/**
 * `gradpath dist merge`: a sharded checkpoint (any layout) into one gradpath checkpoint file, the
 * model's tensors under their Hugging Face-style names (`model.h.0.attn.c_attn.weight`) and the
 * optimizer's state numbered as a single process numbers it: what `gpt2 sample`, chargpt's
 * loaders and a single-process `--resume` (as latest.safetensors) read.
 */
import { saveCheckpoint, type StateDict } from '../io/checkpoint.js';
import { readShardIndex, type ShardIndex } from '../io/sharded.js';
import { ShardSet } from './checkpoint-pieces.js';
import type { ShardSpec } from './shard-spec.js';

export interface MergeResult {
  step: number;
  kind: string;
  tensors: number;
  optimizerTensors: number;
  world: number;
  layout: Record<string, number>;
}

export function mergeShards(runDir: string, out: string, opts: { optimizer?: boolean } = {}): MergeResult {
  const index = readShardIndex(runDir);
  const set = new ShardSet(runDir, index as ShardIndex<ShardSpec>);
  const buffers = index.optimizer?.buffers ?? [];
  const params = index.optimizer?.params ?? [];
  const position = new Map(params.map((p, i) => [p, i]));
  const model: StateDict = {};
  const optimizer: StateDict = {};
  for (const [name, shape] of set.shapes) {
    const buffer = buffers.find((b) => name.startsWith(`${b}.`) && position.has(name.slice(b.length + 1)));
    if (buffer === undefined) model[name] = { shape, data: set.global(name) };
    else if (opts.optimizer !== false) optimizer[`${buffer}.${position.get(name.slice(buffer.length + 1))}`] = { shape, data: set.global(name) };
  }
  const withOptimizer = opts.optimizer !== false && Object.keys(optimizer).length > 0;
  if (withOptimizer) optimizer.step = { shape: [], data: Float32Array.of(index.optimizerStep ?? 0) };
  saveCheckpoint(out, {
    model,
    optimizer: withOptimizer ? optimizer : undefined,
    step: index.step,
    rng: set.rng(0),
    kind: index.kind,
    config: index.config,
    extra: index.extra,
  });
  return { step: index.step, kind: index.kind, tensors: Object.keys(model).length, optimizerTensors: withOptimizer ? Object.keys(optimizer).length - 1 : 0, world: index.world, layout: index.layout };
}
