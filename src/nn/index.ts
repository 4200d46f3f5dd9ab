/** Neural-network building blocks, as torch.nn (layers) and torch.nn.functional (functions). */
export { Module } from './module.js';
export { Linear, Embedding, LayerNorm, BatchNorm1d, Dropout, ReLU, Tanh, GELU, Sequential, uniform, type Layer } from './layers.js';
export { SelfAttention, CausalSelfAttention, scaledDotProductAttention } from './attention.js';
export { crossEntropy, layerNorm, batchNorm, dropout, oneHot, attentionSoftmax } from '../engine/ops/nn.js';
export { embedding } from '../engine/ops/indexing.js';
export { softmax } from '../engine/ops/reduce.js';
export { LoRALinear, freeze } from './lora.js';
export { Conv2d, MaxPool2d, AvgPool2d, BatchNorm2d, Flatten } from './conv.js';
export { conv2d } from '../engine/ops/conv.js';
export { maxPool2d, avgPool2d } from '../engine/ops/pool.js';
export { batchNormChannels } from '../engine/ops/batchnorm.js';
