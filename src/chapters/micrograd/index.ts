/** The micrograd chapter as a library: a scalar autograd engine, a tiny MLP, and its pictures. */
export { Value, sum, topologicalOrder, type Operand } from './engine.js';
export { Neuron, Layer, MLP } from './nn.js';
export { Rng } from './random.js';
export { makeMoons, type Dataset, type MoonsOptions } from './data.js';
export { toDot, renderSvg } from './graph.js';
export { decisionBoundarySvg } from './plot.js';
export { trainMoons, moonsLoss, MOONS_RECIPE, type TrainOptions, type TrainResult, type StepInfo } from './train.js';
