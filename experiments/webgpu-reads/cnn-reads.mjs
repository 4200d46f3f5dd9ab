// What each training step of a tiny CNN reads back from the webgpu backend: the bridge's read
// counters around each of 3 steps of test/backends/webgpu/tiny-cnn-check.ts (conv with padding,
// batch norm, ReLU, max pooling, conv with bias, average pooling, linear; AdamW with clipping in a
// buffer pool), and the losses. For a "before", copy tiny-cnn-check.ts and tiny-gpt-check.ts into
// an older tree's test/backends/webgpu/, build it, and run this script from that tree.
//
//   npm run build && node experiments/webgpu-reads/cnn-reads.mjs
import { startWebGpu } from '../../dist/src/backends/webgpu/index.js';
import { trainTinyCnn } from '../../dist/test/backends/webgpu/tiny-cnn-check.js';

const run = trainTinyCnn(startWebGpu(), 3);
run.reads.forEach(({ count, bytes }, s) => console.log(`step ${s + 1}: loss ${run.losses[s]}, ${count} read-backs (${bytes} bytes)`));
process.exit(0); // the device thread would keep the process alive
