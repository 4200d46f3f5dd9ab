import { defineCommand } from './args.js';
import { transformerFlags } from './transformer-flags.js';
import { checkCheckpoints, leaveNoTrace } from './preflight.js';
import { runEncoder } from '../chapters/transformers/encoder.js';

/** `gradpath encoder`: a bidirectional transformer trained with masked-character modelling. */
export const command = defineCommand({
  name: 'encoder',
  summary: 'An encoder-only (bidirectional) transformer trained to fill in masked characters, with attention maps',
  description: `
The same blocks as chargpt without the causal mask. 15% of the characters are replaced by [MASK]
and the model predicts them from both sides. Reports masked-character loss and accuracy on the
validation split next to unigram and bigram (left-context) baselines, and writes attention.svg.

Example:
  gradpath encoder --preset cpu --max-steps 1000 -i tinyshakespeare.txt`,
  options: {
    ...transformerFlags,
    'map-length': { type: 'int', min: 2, default: 48, help: 'Characters in the attention-map picture' },
  },
  run: (o) => {
    const out = o.out ?? `runs/encoder-${o.preset}`;
    if (o.resume) checkCheckpoints(out, ['latest.safetensors']);
    return leaveNoTrace(out, () => runEncoder({ ...o, out }));
  },
});
