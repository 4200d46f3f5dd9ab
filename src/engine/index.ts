/** The tensor engine: tensors, autograd, and every op (PyTorch names where one exists). */
export { Tensor, type DType, type TensorLike } from './tensor.js';
export { noGrad, isGradEnabled, setAnomalyDetection } from './autograd.js';
export { Generator, defaultGenerator, manualSeed } from '../util/random.js';
export { getBackend, setBackend, withBackend } from './device.js';
export { tensor, zeros, ones, full, zerosLike, arange, randn, rand, randint, randperm } from './ops/create.js';
export { where, maskedFill } from './ops/elementwise.js';
export { cat, stack } from './ops/view.js';
export { matmul } from './ops/matmul.js';
export { embedding, indexSelect, gather } from './ops/indexing.js';
export { crossEntropy, layerNorm, batchNorm, dropout, oneHot, tril, triu, topk, multinomial, attentionSoftmax } from './ops/nn.js';
export { softmax } from './ops/reduce.js';
export { gradcheck } from './gradcheck.js';
export { applyFunction } from './function.js';
export { BufferPool } from './pool.js';
