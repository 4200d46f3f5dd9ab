export { Optimizer, type ParamGroup } from './optimizer.js';
export { SGD } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { decayGroups } from './groups.js';
export { constantLR, stepLR, cosineWithWarmup, linearLR, clipGradNorm, gradNorm, type Schedule } from './schedule.js';
