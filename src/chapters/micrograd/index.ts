/** The micrograd chapter as a library: a scalar autograd engine (and its fast twin), a tiny MLP, and its pictures. */
export { Value, topologicalOrder, type Operand } from './engine.js';
export { FastValue, topologicalOrder as fastTopologicalOrder, type FastOperand } from './fast_engine.js';
export { Neuron, Layer, MLP, type Scalar, type Leaf } from './nn.js';
export { makeMoons, type Dataset, type MoonsOptions } from './data.js';
export { toDot, renderSvg } from './graph.js';
export { lectureNeuron } from './lecture.js';
export { decisionBoundarySvg } from './plot.js';
export { trainMoons, moonsLoss, sum, ENGINES, MOONS_RECIPE, type EngineName, type TrainOptions, type TrainResult, type StepInfo } from './train.js';
