import type { OptionSpecs } from './args.js';

/**
 * The parallel modes of issue #17, shared by `gradpath gpt2 train` and `gradpath chargpt`: each
 * mode's flags together under a comment naming it. Run them under `gradpath launch -n N -- ...`.
 */
export const parallelFlags = {
  // tensor parallel (Megatron) and sequence parallel: src/dist/tensor-parallel*.ts, sequence-parallel.ts
  tp: { type: 'int', min: 1, help: 'Tensor-parallel ranks: split every layer (heads, MLP width, vocabulary) over N processes (needs gradpath launch -n N)', placeholder: 'N' },
  'sequence-parallel': { type: 'boolean', help: "With --tp: LayerNorm and dropout work on each rank's slice of the sequence (all-gather / reduce-scatter instead of all-reduce)" },
} satisfies OptionSpecs;
